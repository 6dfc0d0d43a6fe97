import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { DefaultPrivileges } from "@cdktf/provider-postgresql/lib/default-privileges";
import { Extension } from "@cdktf/provider-postgresql/lib/extension";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { GrantRole } from "@cdktf/provider-postgresql/lib/grant-role";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import {
  type EnvironmentConfig,
  readOnlyRoleName,
  readOnlyRoleNameProblem,
  type TenantConfig,
  tenantDatabaseName,
  tenantHoldsConnections,
} from "@pgforks/config";
import { Fn, type TerraformProvider, type TerraformResource, Token } from "cdktf";
import { Construct } from "constructs";
import {
  type ConnectionTarget,
  credentialsVersionExpression,
  environmentConnectionTarget,
} from "./credentials";
import { EphemeralResource } from "./ephemeral";
import { logicalIdOf } from "./logical-ids";
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
 * What the tenant's own role holds on its database: everything an owner holds by default
 * (PostgreSQL docs, "Privileges": CREATE, CONNECT, TEMPORARY). CREATE matters: the provider's
 * postgresql_grant runs `REVOKE ALL ... FROM <role>` before its GRANT, which also strips an owner's
 * own default privileges, so leaving CREATE out here would take CREATE SCHEMA away from the tenant,
 * and CREATE EXTENSION away from the master user, which works with the owner's privileges (both
 * seen in the stacks package's provider-model test on PostgreSQL 15).
 */
export const TENANT_DATABASE_PRIVILEGES = ["CONNECT", "CREATE", "TEMPORARY"] as const;

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
  /**
   * Host written into the secrets: the proxy endpoint when the proxy is on, else the instance
   * address (may be a token; part of every tenant's credentials version). Required.
   */
  readonly applicationHost: string;
  /** Port written into the secrets (may be a token). Required. */
  readonly applicationPort: number;
  /**
   * Whether the secrets point at the proxy, and the port, as the configuration says at synth time
   * (`applicationHost`/`applicationPort` may be tokens): part of every tenant's credentials
   * version (see credentialsVersionExpression). Default: derived from `environment`
   * (environmentConnectionTarget).
   */
  readonly connectionTarget?: Pick<ConnectionTarget, "proxy" | "port">;
  /** The postgresql provider. Default: the stack's default (unaliased) postgresql provider. */
  readonly postgresqlProvider?: TerraformProvider;
}

/** The resources of one tenant. */
export interface TenantDatabaseResources {
  readonly tenant: TenantConfig;
  readonly role: Role;
  /** The master user's membership in the tenant's role (see TenantDatabases). */
  readonly adminMembership: GrantRole;
  readonly database: Database;
  readonly secretVersion: SecretsmanagerSecretVersion;
  readonly readOnlyRole?: Role;
  /** Where the tenant's secret points (config view). */
  readonly connectionTarget: ConnectionTarget;
  /**
   * The credentials version (a Terraform expression, see credentialsVersionExpression): the
   * secret's `secret_string_wo_version`; the role's `password_wo_version` is its `tostring`.
   */
  readonly credentialsVersion: number;
  /** This tenant's links of the serialized chain, in order. */
  readonly chain: readonly TerraformResource[];
}

/**
 * Databases and roles of the tenants (postgresql provider), in the `<env>-tenants` stack.
 *
 * Per tenant that is not dropped:
 * - a role (LOGIN only while active; CONNECTION LIMIT its connectionLimit while active, 0 otherwise;
 *   no SUPERUSER/CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS) with a generated password;
 * - the master user's membership in that role (`postgresql_grant_role`, see below);
 * - a UTF8 database it owns, CONNECTION LIMIT its connectionLimit, with lifecycle prevent_destroy;
 * - CONNECT and TEMPORARY revoked from PUBLIC, and CONNECT, CREATE, TEMPORARY granted to the tenant
 *   (TENANT_DATABASE_PRIVILEGES), so no other tenant can even connect;
 * - its allow-listed extensions;
 * - optionally `<name>_readonly`: a NOLOGIN group role with CONNECT (while active), USAGE on schema
 *   public, SELECT on its tables and default privileges for the tables the tenant creates later.
 *   It is a group, not a login: people or tools get it with `GRANT <name>_readonly TO <login>`, so
 *   it needs no password or secret and holds no connections of its own.
 * - the value of the tenant's secret (created by TenantSecrets in the platform stack).
 *
 * Why the master user is made a member of every tenant role: on RDS it is neither a superuser nor
 * the owner of the tenant databases, and only an owner (or a member inheriting the owner's rights)
 * can GRANT or REVOKE on a database; anyone else gets a warning ("no privileges could be revoked")
 * and nothing changes. cyrilgdn/postgresql 1.26.0 grants itself the owner role only around
 * CREATE DATABASE and for schema/table grants (getRolesToGrant returns no owner for
 * object_type "database"), and PostgreSQL 16 gives a CREATEROLE creator only an INHERIT FALSE,
 * SET FALSE membership in the roles it creates. Without this membership PUBLIC would keep CONNECT
 * and TEMPORARY on every tenant database and the grants would read back different from the
 * config at every plan. With it, the master user also keeps CONNECT through the owner's
 * privileges, so it needs no grant of its own. `with_admin_option` stays false: the creator
 * already holds ADMIN on the role, and PostgreSQL 16 refuses to grant ADMIN back to one's grantor.
 * The database depends on the membership, so the provider finds it in place and neither grants
 * nor revokes it around CREATE DATABASE.
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
 * version changes. Both take the same version, a Terraform expression evaluated at plan time
 * (credentialsVersionExpression) over passwordVersion, the connection target (proxy or instance,
 * port, database), the secret's ARN and the host. So bumping passwordVersion, turning the proxy
 * on or off, changing the port, renaming the database, recreating the secret (new ARN) or a new
 * host (proxy endpoint or instance address) each draws a new password and writes it to the role
 * and the secret (with the new host, port, dbname) in the same apply. If an apply fails between
 * the role and the secret, bump passwordVersion to bring both in line again.
 *
 * Every membership, grant, default privilege and extension of all tenants forms ONE chain of
 * explicit depends_on (tenants by name, then a fixed order within each, the membership first):
 * the provider fails with "tuple concurrently updated" when privilege changes run in parallel,
 * and extensions run inside the tenant database, which the master user reaches (CONNECT) and
 * creates extensions in (CREATE) with the owner's privileges, through the membership.
 *
 * Addresses: every construct id is keyed by the tenant's name, the one thing that never changes
 * for a tenant. The database's `name` is an ordinary argument the provider updates in place
 * (`ALTER DATABASE ... RENAME TO`; `name` is not ForceNew in cyrilgdn/postgresql), so a database
 * rename keeps the same address and never plans a destroy; its grants and extensions, whose
 * `database` is ForceNew, are replaced, and the secret is rewritten (the database is part of the
 * target). `tenant-cli check --base` still refuses a rename (see there). Until this version the
 * database and its extensions were keyed by database name; `moved` blocks carry them over from
 * those addresses, so existing states move instead of planning a destroy.
 *
 * Lifecycle, nothing lost by accident: a dropped tenant has no resources here, so the plan shows
 * its database (and role, grants, secret value) being destroyed. That is the only way a database
 * goes: Terraform checks prevent_destroy only for resources still in the configuration (checked
 * with Terraform 1.11: a removed block plans a destroy, a replacement of a block that sets
 * prevent_destroy is an error), so while a tenant is in any other state a change that would
 * replace its database (a new encoding, locale or template, all ForceNew) fails the plan.
 * Removing a tenant from tenants.yaml without first setting it to dropped, or renaming the tenant
 * (its addresses change), would also destroy it: `tenant-cli check --base` and the plan review
 * refuse both.
 */
export class TenantDatabases extends Construct {
  /** Per tenant that is not dropped, by tenant name. */
  public readonly tenants: Readonly<Record<string, TenantDatabaseResources>>;
  /** Every membership, grant, default privilege and extension, in the order they are serialized. */
  public readonly chain: readonly TerraformResource[];

  constructor(scope: Construct, id: string, props: TenantDatabasesProps) {
    super(scope, id);
    const provider = props.postgresqlProvider;
    const admin = props.environment.database.masterUsername;
    const target = props.connectionTarget ?? environmentConnectionTarget(props.environment);
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
      ...(typeof props.applicationPort === "number" &&
      !Token.isUnresolved(props.applicationPort) &&
      props.applicationPort !== target.port
        ? [
            `applicationPort ${props.applicationPort} differs from connectionTarget.port ${target.port}`,
          ]
        : []),
    ]);
    if (problems.length > 0) {
      throw new Error(`TenantDatabases ${this.node.path}: ${[...new Set(problems)].join("; ")}`);
    }

    const tenants: Record<string, TenantDatabaseResources> = {};
    // Construct ids of earlier versions (keyed by database name) -> the resource now at that place.
    const legacy: Array<{ id: string; resource: TerraformResource; tenant: string }> = [];
    for (const tenant of kept) {
      const active = tenantHoldsConnections(tenant);
      const dbName = tenantDatabaseName(tenant);
      const tenantTarget: ConnectionTarget = { ...target, database: dbName };
      const secretArn = props.secretArns[tenant.name] ?? "";
      const version = credentialsVersionExpression({
        passwordVersion: tenant.passwordVersion,
        target: tenantTarget,
        secretArn,
        host: props.applicationHost,
      });
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
        // The same expression as the secret's version, as the string the provider takes.
        passwordWoVersion: Fn.tostring(version),
      });

      // First link of the tenant: every grant below runs as a member of the owner.
      const adminMembership = link(
        new GrantRole(this, `admin-member-${tenant.name}`, {
          provider,
          role: admin,
          grantRole: role.name,
          withAdminOption: false,
          // On PostgreSQL 16 the creator of a role already holds an implicit membership in it
          // with ADMIN OPTION; the provider reads memberships back without filtering by grantor
          // (cyrilgdn/terraform-provider-postgresql PR #667, open) and may see admin_option =
          // true. with_admin_option forces replacement, so without this every plan would
          // replace every tenant's membership. The value we set is never read back as ours.
          lifecycle: { ignoreChanges: ["with_admin_option"] },
        }),
      );

      const database = new Database(this, `database-${tenant.name}`, {
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
        dependsOn: [adminMembership],
      });
      legacy.push({ id: `database-${dbName}`, resource: database, tenant: tenant.name });

      // No privileges: REVOKE ALL from PUBLIC, which PostgreSQL gives CONNECT and TEMPORARY on every
      // new database (PostgreSQL docs, "Privileges", default privileges).
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
        const resource = link(
          new Extension(this, `extension-${tenant.name}-${extension}`, {
            provider,
            database: database.name,
            name: extension,
            // Removing an extension that objects still use fails instead of dropping them.
            dropCascade: false,
          }),
        );
        legacy.push({ id: `extension-${dbName}-${extension}`, resource, tenant: tenant.name });
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
        secretId: secretArn,
        secretStringWo: Fn.jsonencode(
          tenantSecretValue({
            host: props.applicationHost,
            port: props.applicationPort,
            username: role.name,
            password,
            dbname: database.name,
          }),
        ),
        secretStringWoVersion: version,
      });

      tenants[tenant.name] = {
        tenant,
        role,
        adminMembership,
        database,
        secretVersion,
        readOnlyRole,
        connectionTarget: tenantTarget,
        credentialsVersion: version,
        chain: chain.slice(start),
      };
    }
    this.moveFromLegacyIds(legacy);
    this.tenants = tenants;
    this.chain = chain;
  }

  /**
   * `moved` blocks from the addresses of earlier versions (databases and extensions keyed by
   * database name) to today's, for tenants whose database is not named like the tenant (for the
   * others the id did not change). A `moved` block whose source is not in the state does nothing.
   */
  private moveFromLegacyIds(
    legacy: ReadonlyArray<{ id: string; resource: TerraformResource; tenant: string }>,
  ): void {
    const moves = legacy.filter(({ id, resource }) => id !== resource.node.id);
    if (moves.length === 0) return;
    const sample = moves[0]?.resource;
    if (sample && logicalIdOf(this, sample.node.id) !== sample.friendlyUniqueId) {
      throw new Error(
        `TenantDatabases ${this.node.path}: cdktf's logical id scheme changed (${sample.friendlyUniqueId} vs ${logicalIdOf(this, sample.node.id)}); update logicalIdOf before synthesizing moved blocks`,
      );
    }
    const clashes = moves.filter(({ id }) => this.node.tryFindChild(id) !== undefined);
    if (clashes.length > 0) {
      throw new Error(
        `TenantDatabases ${this.node.path}: ${clashes
          .map(
            ({ id, tenant }) =>
              `tenant "${tenant}" had construct id "${id}" in earlier versions, which another tenant's resource uses now`,
          )
          .join(
            "; ",
          )}. A moved block would hand that tenant's state to the other tenant: move the state by hand (terraform state mv) and rename the database, or pick a database name that is no other tenant's name`,
      );
    }
    for (const { id, resource } of moves) {
      resource.moveFromId(`${resource.terraformResourceType}.${logicalIdOf(this, id)}`);
    }
  }
}
