import { Database } from "@cdktf/provider-postgresql/lib/database";
import { DefaultPrivileges } from "@cdktf/provider-postgresql/lib/default-privileges";
import { Extension } from "@cdktf/provider-postgresql/lib/extension";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { Schema } from "@cdktf/provider-postgresql/lib/schema";
import {
  ADMIN_DATABASE,
  ALLOWED_EXTENSIONS,
  readOnlyRoleName,
  readOnlyRoleNameProblem,
  TENANT_DATABASE_PRIVILEGES,
  type TenantConfig,
  tenantDatabaseConnectionLimit,
  tenantDatabaseName,
  tenantHoldsConnections,
  tenantRoleConnectionLimit,
} from "@pgforks/config";
import { type TerraformProvider, type TerraformResource, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { TenantCredentialSource } from "./credential-sources";
import { logicalIdOf, terraformAddress } from "./logical-ids";

/** Encoding of every tenant database (seed 001: "proper permissions and encoding (UTF8)"). */
export const DATABASE_ENCODING = "UTF8";

/**
 * LC_COLLATE and LC_CTYPE of every tenant database: en_US.UTF-8, the locale RDS for PostgreSQL
 * creates its own databases with (AWS Database Blog, "Manage collation changes in PostgreSQL on
 * Amazon Aurora and Amazon RDS"). The local server needs the OS locale too (`npm start` says so).
 */
export const DATABASE_LOCALE = "en_US.UTF-8";

/** template0: the pristine template, required when the locale may differ from template1's. */
export const DATABASE_TEMPLATE = "template0";

/** PostgreSQL's pseudo-role for "every role"; the provider accepts it as `role`. */
export const PUBLIC_ROLE = "public";

export { ADMIN_DATABASE, TENANT_DATABASE_PRIVILEGES };

export interface TenantDatabasesProps {
  /** The environment's tenants (validated config). Required. Dropped tenants get no resources. */
  readonly tenants: readonly TenantConfig[];
  /**
   * The admin role the provider connects as (on RDS the master user: CREATEROLE and CREATEDB,
   * member of rds_superuser, not a superuser). Required. It owns every tenant database.
   */
  readonly adminRole: string;
  /** Where passwords come from and go to. Required. */
  readonly credentials: TenantCredentialSource;
  /** The postgresql provider. Default: the stack's default (unaliased) postgresql provider. */
  readonly postgresqlProvider?: TerraformProvider;
}

/** The resources of one tenant. */
export interface TenantDatabaseResources {
  readonly tenant: TenantConfig;
  readonly role: Role;
  readonly database: Database;
  /** The tenant's own schema, named like its role: first on its search path ("$user", public). */
  readonly schema: Schema;
  readonly readOnlyRole?: Role;
  /** Resources inside the tenant database (they go with it when the tenant is dropped). */
  readonly inDatabase: readonly TerraformResource[];
}

/**
 * Databases and roles of the tenants (postgresql provider), in the `<env>-tenants` and
 * `local-tenants` stacks.
 *
 * Per tenant that is not dropped:
 * - a role named like the tenant: LOGIN and CONNECTION LIMIT its connectionLimit while active,
 *   NOLOGIN and limit 0 otherwise; no SUPERUSER/CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS; its
 *   password from the credential source, write-only (never in state);
 * - a UTF8 database owned by the ADMIN, CONNECTION LIMIT the tenant's limit plus the admin's
 *   headroom (tenantDatabaseConnectionLimit), PUBLIC's CONNECT and TEMPORARY revoked, CONNECT and
 *   TEMPORARY granted to the tenant (TENANT_DATABASE_PRIVILEGES), lifecycle prevent_destroy;
 * - a schema named like the tenant, owned by the tenant, in that database: with the default
 *   search path ("$user", public) Django and other ORMs create their tables there;
 * - its allow-listed extensions (installed by the admin into schema public, usable by the tenant);
 * - optionally `<name>_readonly`: a NOLOGIN group with CONNECT (while active), USAGE on the
 *   tenant's schema, SELECT on its tables and default privileges for the tables the tenant
 *   creates later. People or tools get it with `GRANT <name>_readonly TO <login>`.
 * - Once per stack: PUBLIC's CONNECT and TEMPORARY revoked on the admin database `postgres`.
 *
 * Why the admin, not the tenant, owns the database (each point seen on PostgreSQL 16 with the
 * real provider, see the scenario and attack suites of @pgforks/local):
 * - only an owner can `ALTER DATABASE ... SET` (search_path, default_transaction_read_only),
 *   `ALLOW_CONNECTIONS false`, `CONNECTION LIMIT 0` or revoke the grants the owner made: a
 *   tenant that owned its database could shadow catalog functions the provider's sessions call
 *   unqualified, or block every plan of the environment;
 * - the provider's delete of a grant runs `REVOKE ALL ... FROM <role>`: revoking from a tenant
 *   that owned the database also stripped the owner's own CONNECT, which the admin held only
 *   through the owner, and dropping a tenant then locked the database;
 * - the admin needs no membership in the tenant role for any database-level grant, so nothing
 *   hides behind PostgreSQL 16's implicit ADMIN membership of a role's creator.
 *
 * Every grant, default privilege and extension of all tenants forms ONE chain of explicit
 * depends_on: the provider fails with "tuple concurrently updated" when privilege changes run in
 * parallel.
 *
 * Addresses: every construct id is keyed by the tenant's name. A database rename keeps the
 * address and is refused at plan time by a postcondition (with `name` in ignore_changes, the
 * planned name is the one in the state): a rename needs every session gone and would replace
 * every grant, schema and extension (their `database` forces replacement), so it is done by hand
 * (docs/operations.md), never by a routine apply. Keying the database by its name instead would
 * plan a silent destroy: Terraform checks prevent_destroy only for resources still configured.
 *
 * Dropping (state: dropped, with confirmDrop): the tenant's resources leave the configuration.
 * Those inside its database (schema, grants, default privileges, extensions) get `removed`
 * blocks with destroy = false: DROP DATABASE takes them, and destroying them one by one first
 * would fail on an extension a column still uses. The database goes first (WITH (FORCE)), then
 * the roles: the database depends on both roles.
 */
export class TenantDatabases extends Construct {
  /** Per tenant that is not dropped, by tenant name. */
  public readonly tenants: Readonly<Record<string, TenantDatabaseResources>>;
  /** Every grant, default privilege and extension, in the order they are serialized. */
  public readonly chain: readonly TerraformResource[];

  constructor(scope: Construct, id: string, props: TenantDatabasesProps) {
    super(scope, id);
    const provider = props.postgresqlProvider;
    const admin = props.adminRole;
    const chain: TerraformResource[] = [];
    // Each new link waits for the previous one (across tenants too).
    const link = <T extends TerraformResource>(resource: T): T => {
      const previous = chain[chain.length - 1];
      if (previous)
        resource.dependsOn = [...(resource.dependsOn ?? []), terraformAddress(previous)];
      chain.push(resource);
      return resource;
    };

    const byName = (a: TenantConfig, b: TenantConfig) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    const kept = props.tenants.filter((t) => t.state !== "dropped").sort(byName);
    const problems = kept.flatMap((t) => [
      ...(t.name === admin ? [`tenant "${t.name}" has the admin role's name`] : []),
      ...(t.readOnlyRole ? [readOnlyRoleNameProblem(t)].filter((p) => p !== undefined) : []),
    ]);
    if (problems.length > 0) {
      throw new Error(`TenantDatabases ${this.node.path}: ${[...new Set(problems)].join("; ")}`);
    }

    link(
      new Grant(this, "revoke-public-admin-database", {
        provider,
        database: ADMIN_DATABASE,
        role: PUBLIC_ROLE,
        objectType: "database",
        privileges: [],
      }),
    );

    const tenants: Record<string, TenantDatabaseResources> = {};
    for (const tenant of kept) {
      const active = tenantHoldsConnections(tenant);
      const dbName = tenantDatabaseName(tenant);
      const start = chain.length;
      const ids = tenantConstructIds(tenant.name);

      const role = new Role(this, ids.role, {
        provider,
        name: tenant.name,
        login: active,
        connectionLimit: tenantRoleConnectionLimit(tenant),
        superuser: false,
        createDatabase: false,
        createRole: false,
        replication: false,
        bypassRowLevelSecurity: false,
        passwordWo: props.credentials.rolePassword(this, tenant),
        passwordWoVersion: props.credentials.rolePasswordVersion(tenant),
      });

      const readOnlyRole = tenant.readOnlyRole
        ? new Role(this, ids.readOnlyRole, {
            provider,
            name: readOnlyRoleName(tenant),
            login: false,
            superuser: false,
            createDatabase: false,
            createRole: false,
            replication: false,
            bypassRowLevelSecurity: false,
          })
        : undefined;

      const database = new Database(this, ids.database, {
        provider,
        name: dbName,
        owner: admin,
        encoding: DATABASE_ENCODING,
        lcCollate: DATABASE_LOCALE,
        lcCtype: DATABASE_LOCALE,
        template: DATABASE_TEMPLATE,
        connectionLimit: tenantDatabaseConnectionLimit(tenant),
        allowConnections: true,
        isTemplate: false,
        lifecycle: {
          preventDestroy: true,
          // A rename is refused at plan time, before anything changes: with `name` ignored the
          // planned name stays the one in the state, and this postcondition fails the plan.
          ignoreChanges: ["name"],
          postcondition: [
            {
              condition: `\${self.name == ${JSON.stringify(dbName)}}`,
              errorMessage: `Tenant "${tenant.name}" is configured with database "${dbName}", but its database has another name. Renaming a tenant database is refused: it needs every session gone and moves every grant (docs/operations.md, "Renaming a database").`,
            },
          ],
        },
        // Destroyed before the roles (a dropped tenant's objects go with the database).
        dependsOn: readOnlyRole ? [role, readOnlyRole] : [role],
      });

      // PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database.
      link(
        new Grant(this, ids.revokePublic, {
          provider,
          database: database.name,
          role: PUBLIC_ROLE,
          objectType: "database",
          privileges: [],
        }),
      );
      link(
        new Grant(this, ids.connect, {
          provider,
          database: database.name,
          role: role.name,
          objectType: "database",
          privileges: [...TENANT_DATABASE_PRIVILEGES],
        }),
      );
      const schema = link(
        new Schema(this, ids.schema, {
          provider,
          database: database.name,
          name: role.name,
          owner: role.name,
          // Never drop a schema that still holds the tenant's tables.
          dropCascade: false,
          ifNotExists: false,
        }),
      );
      for (const extension of [...tenant.extensions].sort()) {
        link(
          new Extension(this, ids.extension(extension), {
            provider,
            database: database.name,
            name: extension,
            schema: "public",
            // Removing an extension that objects still use fails instead of dropping them.
            dropCascade: false,
          }),
        );
      }

      if (readOnlyRole) {
        link(
          new Grant(this, ids.readOnlyConnect, {
            provider,
            database: database.name,
            role: readOnlyRole.name,
            objectType: "database",
            privileges: active ? ["CONNECT"] : [],
          }),
        );
        link(
          new Grant(this, ids.readOnlySchema, {
            provider,
            database: database.name,
            role: readOnlyRole.name,
            schema: schema.name,
            objectType: "schema",
            privileges: ["USAGE"],
          }),
        );
        link(
          new Grant(this, ids.readOnlyTables, {
            provider,
            database: database.name,
            role: readOnlyRole.name,
            schema: schema.name,
            objectType: "table",
            privileges: ["SELECT"],
          }),
        );
        link(
          new DefaultPrivileges(this, ids.readOnlyDefaultTables, {
            provider,
            database: database.name,
            owner: role.name,
            role: readOnlyRole.name,
            schema: schema.name,
            objectType: "table",
            privileges: ["SELECT"],
          }),
        );
      }

      props.credentials.publish?.(this, tenant, { role, database });

      tenants[tenant.name] = {
        tenant,
        role,
        database,
        schema,
        readOnlyRole,
        inDatabase: chain.slice(start),
      };
    }
    this.tenants = tenants;
    this.chain = chain;
    this.forgetInsideDroppedDatabases(props.tenants.filter((t) => t.state === "dropped"));
  }

  /**
   * `removed` blocks (destroy = false) for what lived inside each dropped tenant's database: the
   * addresses a tenant of that name and shape had while it was kept. A block whose address is
   * not in the state does nothing.
   */
  private forgetInsideDroppedDatabases(dropped: readonly TenantConfig[]): void {
    if (dropped.length === 0) return;
    const probe = this.tenants[Object.keys(this.tenants)[0] ?? ""]?.role;
    if (probe && logicalIdOf(this, probe.node.id) !== probe.friendlyUniqueId) {
      throw new Error(
        `TenantDatabases ${this.node.path}: cdktf's logical id scheme changed (${probe.friendlyUniqueId} vs ${logicalIdOf(this, probe.node.id)}); update logicalIdOf before synthesizing removed blocks`,
      );
    }
    const removed = dropped.flatMap((tenant) =>
      insideDatabaseIds(tenant).map(([type, id]) => ({
        from: `${type}.${logicalIdOf(this, id)}`,
        lifecycle: { destroy: false },
      })),
    );
    TerraformStack.of(this).addOverride("removed", removed);
  }
}

/** The construct id of each of a tenant's resources: keyed by the tenant's name only. */
export function tenantConstructIds(name: string) {
  return {
    role: `role-${name}`,
    readOnlyRole: `readonly-role-${name}`,
    database: `database-${name}`,
    revokePublic: `revoke-public-${name}`,
    connect: `connect-${name}`,
    schema: `schema-${name}`,
    extension: (extension: string) => `extension-${name}-${extension}`,
    readOnlyConnect: `readonly-connect-${name}`,
    readOnlySchema: `readonly-schema-${name}`,
    readOnlyTables: `readonly-tables-${name}`,
    readOnlyDefaultTables: `readonly-default-tables-${name}`,
  };
}

/** [resource type, construct id] of everything a tenant may have inside its database. */
export function insideDatabaseIds(tenant: TenantConfig): Array<[string, string]> {
  const ids = tenantConstructIds(tenant.name);
  return [
    ["postgresql_grant", ids.revokePublic],
    ["postgresql_grant", ids.connect],
    ["postgresql_schema", ids.schema],
    // Every allow-listed extension, whether or not the dropped entry still lists it.
    ...ALLOWED_EXTENSIONS.map((e): [string, string] => ["postgresql_extension", ids.extension(e)]),
    // The read-only group's, whether or not the dropped entry still asks for it.
    ["postgresql_grant", ids.readOnlyConnect],
    ["postgresql_grant", ids.readOnlySchema],
    ["postgresql_grant", ids.readOnlyTables],
    ["postgresql_default_privileges", ids.readOnlyDefaultTables],
  ];
}
