import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { DefaultPrivileges } from "@cdktf/provider-postgresql/lib/default-privileges";
import { Extension } from "@cdktf/provider-postgresql/lib/extension";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import {
  type EnvironmentConfig,
  readOnlyRoleName,
  readOnlyRoleNameProblem,
  type TenantConfig,
  tenantDatabaseName,
  tenantHoldsConnections,
} from "@pgforks/config";
import { Fn, type TerraformProvider, type TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { EphemeralResource } from "./ephemeral";
import { tenantSecretValue } from "./secret-value";
import { tenantHasSecret } from "./secrets";

/**
 * Length of generated tenant passwords: 40 letters and digits, about 238 bits of entropy
 * (GetRandomPassword accepts 1 to 4096; its default is 32).
 */
export const TENANT_PASSWORD_LENGTH = 40;

/** Encoding of every tenant database (seed 001: "proper permissions and encoding (UTF8)"). */
export const DATABASE_ENCODING = "UTF8";

/**
 * LC_COLLATE and LC_CTYPE of every tenant database: en_US.UTF-8, the locale RDS for PostgreSQL
 * creates its own databases with, which it serves from its independent default collation library
 * so OS (glibc) updates do not silently change sort order under existing indexes (AWS Database
 * Blog, "Manage collation changes in PostgreSQL on Amazon Aurora and Amazon RDS"). C.UTF-8 is an
 * OS locale on RDS's glibc builds (the builtin C.UTF-8 provider only exists from PostgreSQL 17),
 * so it is not the portable choice across the 14-17 versions the config allows.
 */
export const DATABASE_LOCALE = "en_US.UTF-8";

/** template0: the pristine template, required when the locale may differ from template1's. */
export const DATABASE_TEMPLATE = "template0";

/** PostgreSQL's pseudo-role for "every role"; the provider accepts it as `role`. */
export const PUBLIC_ROLE = "public";

/** The schema tenants' applications use (Django and most ORMs default to it). */
export const PUBLIC_SCHEMA = "public";

/**
 * What PostgreSQL grants PUBLIC on every new database (PostgreSQL docs, "Privileges", table of
 * default privileges: CONNECT and TEMPORARY for databases). Revoked from PUBLIC, granted to the tenant.
 */
export const TENANT_DATABASE_PRIVILEGES = ["CONNECT", "TEMPORARY"] as const;

/**
 * What the master user keeps on every tenant database. It is not a superuser on RDS, so once
 * PUBLIC's CONNECT is revoked it could only connect while it happens to be a member of the owner
 * role, and the provider revokes the memberships it grants itself; without this grant every later
 * in-database change (grants, extensions, default privileges) and every refresh would fail
 * (checked on PostgreSQL 15: a CREATEDB CREATEROLE non-superuser gets "permission denied for
 * database" once PUBLIC's CONNECT is revoked, and connects again with its own CONNECT).
 */
export const ADMIN_DATABASE_PRIVILEGES = ["CONNECT"] as const;

export interface TenantDatabasesProps {
  /** The environment's tenants (validated config). Required. Dropped tenants get no resources. */
  readonly tenants: readonly TenantConfig[];
  /** The environment (master username, engine). Required. */
  readonly environment: EnvironmentConfig;
  /**
   * ARNs of the tenants' secrets (TenantSecrets.secretArns of the platform stack), by tenant name.
   * Required for every tenant that is not dropped.
   */
  readonly secretArns: Readonly<Record<string, string>>;
  /** Host written into the secrets: the proxy endpoint when the proxy is on, else the instance address. Required. */
  readonly applicationHost: string;
  /** Port written into the secrets. Required. */
  readonly applicationPort: number;
  /** The postgresql provider. Default: the stack's default (unaliased) postgresql provider. */
  readonly postgresqlProvider?: TerraformProvider;
}

/** The resources of one tenant. */
export interface TenantDatabaseResources {
  readonly tenant: TenantConfig;
  readonly role: Role;
  readonly database: Database;
  readonly secretVersion: SecretsmanagerSecretVersion;
  readonly readOnlyRole?: Role;
  /** This tenant's links of the serialized chain, in order. */
  readonly chain: readonly TerraformResource[];
}

/**
 * Databases and roles of the tenants (postgresql provider), in the `<env>-tenants` stack.
 *
 * Per tenant that is not dropped:
 * - a role (LOGIN only while active; CONNECTION LIMIT its connectionLimit while active, 0 otherwise;
 *   no SUPERUSER/CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS) with a generated password;
 * - a UTF8 database it owns, CONNECTION LIMIT its connectionLimit, with lifecycle prevent_destroy;
 * - CONNECT and TEMPORARY revoked from PUBLIC and granted to the tenant (CONNECT also to the master
 *   user, see ADMIN_DATABASE_PRIVILEGES), so no other tenant can even connect;
 * - its allow-listed extensions;
 * - optionally `<name>_readonly`: a NOLOGIN group role with CONNECT (while active), USAGE on schema
 *   public, SELECT on its tables and default privileges for the tables the tenant creates later.
 *   It is a group, not a login: people or tools get it with `GRANT <name>_readonly TO <login>`, so
 *   it needs no password or secret and holds no connections of its own.
 * - the value of the tenant's secret (created by TenantSecrets in the platform stack).
 *
 * Why the database keeps its connection limit when the tenant is suspended or retired: the master
 * user is not a superuser on RDS, so CONNECTION LIMIT 0 on the database would lock it out too and
 * every plan would fail refreshing that database's grants and extensions (checked on PostgreSQL
 * 15: "too many connections for database" for a non-superuser at limit 0). NOLOGIN with CONNECTION
 * LIMIT 0 on the tenant's role (and no CONNECT for the read-only group) already keeps everyone but
 * the master user out.
 *
 * Passwords never reach state: each run draws one from the ephemeral
 * `aws_secretsmanager_random_password` (letters and digits only, URL-safe), and it is written
 * through the write-only `postgresql_role.password_wo` and
 * `aws_secretsmanager_secret_version.secret_string_wo`, which Terraform only sends when their
 * version (the tenant's passwordVersion) changes. Consequences: bump passwordVersion to rotate; a
 * change of host or port (e.g. turning the proxy on) is not re-sent until passwordVersion is bumped
 * (see secretRefreshReason); and if an apply fails between the role and the secret, bump
 * passwordVersion to bring both in line again.
 *
 * Every grant, default privilege and extension of all tenants forms ONE chain of explicit
 * depends_on (tenants by name, then a fixed order within each): the provider fails with "tuple
 * concurrently updated" when privilege changes run in parallel, and extensions run inside the
 * tenant database, which the master user can only reach after its own CONNECT grant.
 *
 * Lifecycle, nothing lost by accident: a dropped tenant has no resources here, so the plan shows
 * its database (and role, grants, secret value) being destroyed. That is the only way a database
 * goes: Terraform checks prevent_destroy only for resources still in the configuration (checked
 * with Terraform 1.11: a removed block plans a destroy, a replacement of a block that sets
 * prevent_destroy is an error), so while a tenant is in any other state a change that would
 * replace its database (e.g. renaming the database) fails the plan. Databases and extensions are
 * keyed by database name so renaming a tenant's role does not move (= destroy) its database.
 * Removing a tenant from tenants.yaml without first setting it to dropped would also destroy it:
 * the plan review (policy) must refuse deletions of tenants not marked dropped.
 */
export class TenantDatabases extends Construct {
  /** Per tenant that is not dropped, by tenant name. */
  public readonly tenants: Readonly<Record<string, TenantDatabaseResources>>;
  /** Every grant, default privilege and extension, in the order they are serialized. */
  public readonly chain: readonly TerraformResource[];

  constructor(scope: Construct, id: string, props: TenantDatabasesProps) {
    super(scope, id);
    const provider = props.postgresqlProvider;
    const admin = props.environment.database.masterUsername;
    const chain: TerraformResource[] = [];
    // Each new link waits for the previous one (across tenants too).
    const link = <T extends TerraformResource>(resource: T): T => {
      const previous = chain[chain.length - 1];
      if (previous) resource.dependsOn = [...(resource.dependsOn ?? []), previous.fqn];
      chain.push(resource);
      return resource;
    };

    const kept = [...props.tenants]
      .filter(tenantHasSecret)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const problems = kept.flatMap((t) => [
      ...(props.secretArns[t.name] === undefined
        ? [`tenant "${t.name}" has no secret ARN in secretArns`]
        : []),
      ...(t.readOnlyRole ? [readOnlyRoleNameProblem(t)].filter((p) => p !== undefined) : []),
    ]);
    if (problems.length > 0) {
      throw new Error(`TenantDatabases ${this.node.path}: ${problems.join("; ")}`);
    }

    const tenants: Record<string, TenantDatabaseResources> = {};
    for (const tenant of kept) {
      const active = tenantHoldsConnections(tenant);
      const dbName = tenantDatabaseName(tenant);
      const start = chain.length;

      const password = new EphemeralResource(
        this,
        `password-${tenant.name}`,
        "aws_secretsmanager_random_password",
        {
          password_length: TENANT_PASSWORD_LENGTH,
          exclude_punctuation: true,
          require_each_included_type: true,
        },
      ).getStringAttribute("random_password");

      const role = new Role(this, `role-${tenant.name}`, {
        provider,
        name: tenant.name,
        login: active,
        connectionLimit: active ? tenant.connectionLimit : 0,
        superuser: false,
        createDatabase: false,
        createRole: false,
        replication: false,
        bypassRowLevelSecurity: false,
        passwordWo: password,
        passwordWoVersion: String(tenant.passwordVersion),
      });

      const database = new Database(this, `database-${dbName}`, {
        provider,
        name: dbName,
        owner: role.name,
        encoding: DATABASE_ENCODING,
        lcCollate: DATABASE_LOCALE,
        lcCtype: DATABASE_LOCALE,
        template: DATABASE_TEMPLATE,
        connectionLimit: tenant.connectionLimit,
        allowConnections: true,
        isTemplate: false,
        lifecycle: { preventDestroy: true },
      });

      // Order matters: the master user gets its own CONNECT while PUBLIC still has it.
      link(
        new Grant(this, `admin-connect-${tenant.name}`, {
          provider,
          database: database.name,
          role: admin,
          objectType: "database",
          privileges: [...ADMIN_DATABASE_PRIVILEGES],
        }),
      );
      link(
        new Grant(this, `revoke-public-${tenant.name}`, {
          provider,
          database: database.name,
          role: PUBLIC_ROLE,
          objectType: "database",
          privileges: [],
        }),
      );
      link(
        new Grant(this, `connect-${tenant.name}`, {
          provider,
          database: database.name,
          role: role.name,
          objectType: "database",
          privileges: [...TENANT_DATABASE_PRIVILEGES],
        }),
      );
      for (const extension of [...tenant.extensions].sort()) {
        link(
          new Extension(this, `extension-${dbName}-${extension}`, {
            provider,
            database: database.name,
            name: extension,
            // Removing an extension that objects still use fails instead of dropping them.
            dropCascade: false,
          }),
        );
      }

      let readOnlyRole: Role | undefined;
      if (tenant.readOnlyRole) {
        readOnlyRole = new Role(this, `readonly-role-${tenant.name}`, {
          provider,
          name: readOnlyRoleName(tenant),
          login: false,
          superuser: false,
          createDatabase: false,
          createRole: false,
          replication: false,
          bypassRowLevelSecurity: false,
        });
        link(
          new Grant(this, `readonly-connect-${tenant.name}`, {
            provider,
            database: database.name,
            role: readOnlyRole.name,
            objectType: "database",
            privileges: active ? ["CONNECT"] : [],
          }),
        );
        link(
          new Grant(this, `readonly-schema-${tenant.name}`, {
            provider,
            database: database.name,
            role: readOnlyRole.name,
            schema: PUBLIC_SCHEMA,
            objectType: "schema",
            privileges: ["USAGE"],
          }),
        );
        link(
          new Grant(this, `readonly-tables-${tenant.name}`, {
            provider,
            database: database.name,
            role: readOnlyRole.name,
            schema: PUBLIC_SCHEMA,
            objectType: "table",
            privileges: ["SELECT"],
          }),
        );
        link(
          new DefaultPrivileges(this, `readonly-default-tables-${tenant.name}`, {
            provider,
            database: database.name,
            owner: role.name,
            role: readOnlyRole.name,
            schema: PUBLIC_SCHEMA,
            objectType: "table",
            privileges: ["SELECT"],
          }),
        );
      }

      const secretVersion = new SecretsmanagerSecretVersion(this, `secret-value-${tenant.name}`, {
        secretId: props.secretArns[tenant.name] ?? "",
        secretStringWo: Fn.jsonencode(
          tenantSecretValue({
            host: props.applicationHost,
            port: props.applicationPort,
            username: role.name,
            password,
            dbname: database.name,
          }),
        ),
        secretStringWoVersion: tenant.passwordVersion,
      });

      tenants[tenant.name] = {
        tenant,
        role,
        database,
        secretVersion,
        readOnlyRole,
        chain: chain.slice(start),
      };
    }
    this.tenants = tenants;
    this.chain = chain;
  }
}
