import {
  ADMIN_DATABASE,
  readOnlyRoleNameProblem,
  TEMPLATE_DATABASE,
  TENANT_DATABASE_PRIVILEGES,
  type TenantConfig,
} from "@pgforks/config";
import { type TerraformProvider, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { RenderedValue, TenantCredentialSource } from "./credential-sources";
import {
  DEFAULT_FOOTPRINT_SCOPES,
  type FootprintEnvironment,
  intentOf,
  type ManifestEntry,
  manifestEntries,
  PUBLIC_ROLE,
  type TenantIntent,
  type TenantManifestSource,
  tenantConstructIds,
  tenantFootprint,
} from "./footprint";
import { logicalIdOf, pathBelowStack } from "./logical-ids";
import { type PostgresqlBlockMeta, postgresqlBlock } from "./postgresql-blocks";
import { type ResolvedTexts, renderedBlocksStackOf } from "./rendered-blocks";

export { ADMIN_DATABASE, TEMPLATE_DATABASE, TENANT_DATABASE_PRIVILEGES };

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
  /**
   * The AWS environment, for the footprint's secret value (FootprintEnvironment.aws). Default
   * none: the local target, whose passwords go nowhere but the roles.
   */
  readonly aws?: FootprintEnvironment["aws"];
}

/**
 * The resources of one tenant: rendered blocks, given by their Terraform address (`type.name`).
 * The login role's password arguments come from the credential source; on AWS their text is
 * known once cdktf has resolved the stack (RenderedBlocksStack.addLateRenderedResource).
 */
export interface TenantDatabaseResources {
  readonly tenant: TenantConfig;
  /** Address of the login role (`postgresql_role.<name>`). */
  readonly role: string;
  /** Address of the database (`postgresql_database.<name>`). */
  readonly database: string;
  /** Address of the tenant's own schema, named like its role: first on its search path ("$user", public). */
  readonly schema: string;
  /** Address of the read-only group, if any. */
  readonly readOnlyRole?: string;
  /** Addresses of the resources inside the tenant database (they go with it when the tenant is dropped). */
  readonly inDatabase: readonly string[];
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
 * - Once per stack: PUBLIC's CONNECT and TEMPORARY revoked on the admin database `postgres` and
 *   on `template1` (TEMPLATE_DATABASE): a tenant connects to no database but its own, so nothing
 *   it creates (a large object, default privileges) outlives its database and blocks DROP ROLE.
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
export class TenantDatabases extends Construct implements TenantManifestSource {
  /** Per tenant that is not dropped, by tenant name. */
  public readonly tenants: Readonly<Record<string, TenantDatabaseResources>>;
  /** Address of every grant, default privilege and extension, in the order they are serialized. */
  public readonly chain: readonly string[];
  /** The footprint of every tenant (dropped ones too), by tenant name: this stack's intents. */
  public readonly footprints: Readonly<Record<string, readonly TenantIntent[]>>;

  constructor(scope: Construct, id: string, props: TenantDatabasesProps) {
    super(scope, id);
    const stack = renderedBlocksStackOf(this);
    const provider = props.postgresqlProvider;
    const admin = props.adminRole;
    const chain: string[] = [];
    const render = (
      address: string,
      constructId: string,
      args: Readonly<Record<string, unknown>>,
      meta: Pick<PostgresqlBlockMeta, "dependsOn" | "lifecycle"> = {},
    ): string => {
      const [type, name] = address.split(".") as [string, string];
      stack.addRenderedResource(
        this,
        type,
        name,
        postgresqlBlock(args as Parameters<typeof postgresqlBlock>[0], {
          path: `${this.node.path}/${constructId}`,
          name,
          provider,
          ...meta,
        }),
      );
      return address;
    };
    // Each new link waits for the previous one (across tenants too).
    const link = (
      address: string,
      constructId: string,
      args: Readonly<Record<string, unknown>>,
    ) => {
      const previous = chain[chain.length - 1];
      render(address, constructId, args, previous ? { dependsOn: [previous] } : {});
      chain.push(address);
      return address;
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
    const environment: FootprintEnvironment = { adminRole: admin, aws: props.aws };
    const scopes = { ...DEFAULT_FOOTPRINT_SCOPES, databases: pathBelowStack(this) };
    const footprintOf = (tenant: TenantConfig) =>
      tenantFootprint(tenant, environment, scopes, "tenants");
    const footprints: Record<string, readonly TenantIntent[]> = {};

    for (const [id, shared] of [
      ["revoke-public-admin-database", ADMIN_DATABASE],
      ["revoke-public-template-database", TEMPLATE_DATABASE],
    ] as const) {
      link(`postgresql_grant.${logicalIdOf(this, id)}`, id, {
        database: shared,
        objectType: "database",
        privileges: [],
        role: PUBLIC_ROLE,
      });
    }

    /** `${type.name.attribute}`: what cdktf writes for a reference to a resource of this stack. */
    const expression = (address: string, attribute: string) => `\${${address}.${attribute}}`;
    const tenants: Record<string, TenantDatabaseResources> = {};
    for (const tenant of kept) {
      const intents = footprintOf(tenant);
      footprints[tenant.name] = intents;
      const start = chain.length;
      const idOf = (intent: TenantIntent) => intent.address.constructPath.at(-1) as string;
      const addressOf = (intent: TenantIntent) => intent.address.terraformAddress;

      const roleIntent = intentOf(intents, "role");
      if (!roleIntent)
        throw new Error(`TenantDatabases: no role in the footprint of ${tenant.name}`);
      // The password arguments come from the credential source: texts, or (on AWS, an
      // expression over the platform stack's outputs) texts known once cdktf has resolved them.
      const roleAddress = addressOf(roleIntent);
      const [roleType, roleName] = roleAddress.split(".") as [string, string];
      const passwordWo = props.credentials.rolePassword(this, tenant);
      const passwordWoVersion = props.credentials.rolePasswordVersion(tenant);
      const roleMeta = { path: `${this.node.path}/${idOf(roleIntent)}`, name: roleName, provider };
      const roleBlock = (texts?: ResolvedTexts) =>
        postgresqlBlock(
          {
            ...(roleIntent.args as Parameters<typeof postgresqlBlock>[0]),
            passwordWo: renderedValue(passwordWo, texts),
            passwordWoVersion: renderedValue(passwordWoVersion, texts),
          },
          roleMeta,
        );
      if (typeof passwordWo === "string" && typeof passwordWoVersion === "string") {
        stack.addRenderedResource(this, roleType, roleName, roleBlock());
      } else {
        stack.addLateRenderedResource(this, roleType, roleName, roleBlock);
      }
      const readOnlyIntent = intentOf(intents, "read-only role");
      const readOnlyRole = readOnlyIntent
        ? render(addressOf(readOnlyIntent), idOf(readOnlyIntent), readOnlyIntent.args)
        : undefined;

      const databaseIntent = intentOf(intents, "database");
      if (!databaseIntent)
        throw new Error(`TenantDatabases: no database in the footprint of ${tenant.name}`);
      const dbName = databaseIntent.args.name;
      const database = render(
        addressOf(databaseIntent),
        idOf(databaseIntent),
        databaseIntent.args,
        {
          lifecycle: {
            // A rename is refused at plan time, before anything changes: with `name` ignored the
            // planned name stays the one in the state, and this postcondition fails the plan.
            ignore_changes: ["name"],
            postcondition: [
              {
                condition: `\${self.name == ${JSON.stringify(dbName)}}`,
                error_message: `Tenant "${tenant.name}" is configured with database "${dbName}", but its database has another name. Renaming a tenant database is refused: it needs every session gone and moves every grant (docs/operations.md, "Renaming a database").`,
              },
            ],
            prevent_destroy: true,
          },
          // Destroyed before the roles (a dropped tenant's objects go with the database).
          dependsOn: readOnlyRole ? [roleAddress, readOnlyRole] : [roleAddress],
        },
      );

      // Names in the footprint become references, so Terraform orders each resource after the
      // role, database or schema it names.
      const roles = new Map<string, string>([[tenant.name, expression(roleAddress, "name")]]);
      if (readOnlyRole && readOnlyIntent)
        roles.set(readOnlyIntent.args.name, expression(readOnlyRole, "name"));
      const schemas = new Map<string, string>();
      const named = (names: ReadonlyMap<string, string>, value: string) =>
        names.get(value) ?? value;
      const wire = <
        A extends { database?: string; role?: string; owner?: string; schema?: string },
      >(
        args: A,
      ): A => ({
        ...args,
        ...(args.database === dbName ? { database: expression(database, "name") } : {}),
        ...(args.role !== undefined ? { role: named(roles, args.role) } : {}),
        ...(args.owner !== undefined ? { owner: named(roles, args.owner) } : {}),
        ...(args.schema !== undefined ? { schema: named(schemas, args.schema) } : {}),
      });

      let schema: string | undefined;
      for (const intent of intents) {
        switch (intent.kind) {
          case "grant":
          case "extension":
          case "default privileges":
            link(addressOf(intent), idOf(intent), wire(intent.args));
            break;
          case "schema":
            schema = link(addressOf(intent), idOf(intent), {
              ...wire(intent.args),
              name: named(roles, intent.args.name),
            });
            schemas.set(intent.args.name, expression(schema, "name"));
            break;
          default:
            break;
        }
      }

      const secretValue = intentOf(intents, "secret value");
      const published = props.credentials.publish?.(this, tenant, {
        roleName: `${roleAddress}.name`,
        databaseName: `${database}.name`,
        id: tenantConstructIds(tenant.name).secretValue,
      });
      if (published && secretValue && published !== secretValue.address.terraformAddress) {
        throw new Error(
          `${this.node.path}: the tenant footprint says ${secretValue.address.terraformAddress}, the credential source published ${published}`,
        );
      }

      if (!schema) throw new Error(`TenantDatabases: no schema in the footprint of ${tenant.name}`);
      tenants[tenant.name] = {
        tenant,
        role: roleAddress,
        database,
        schema,
        readOnlyRole,
        inDatabase: chain.slice(start),
      };
    }
    this.tenants = tenants;
    this.chain = chain;
    const dropped = props.tenants.filter((t) => t.state === "dropped");
    for (const tenant of dropped) footprints[tenant.name] = footprintOf(tenant);
    this.footprints = footprints;
    this.forgetInsideDroppedDatabases(dropped.flatMap(footprintOf));
  }

  /** The addresses of every tenant's footprint in this stack, for pgforks-manifest.json. */
  public tenantManifestEntries(): ManifestEntry[] {
    return Object.values(this.footprints).flatMap((intents) => manifestEntries(intents, "tenants"));
  }

  /**
   * `removed` blocks (destroy = false) for what lived inside each dropped tenant's database: the
   * footprint's forgotten intents, the addresses a tenant of that name and shape had while it was
   * kept. A block whose address is not in the state does nothing.
   */
  private forgetInsideDroppedDatabases(intents: readonly TenantIntent[]): void {
    const removed = intents
      .filter((i) => i.state === "forgotten")
      .map((i) => ({ from: i.address.terraformAddress, lifecycle: { destroy: false } }));
    if (removed.length === 0) return;
    TerraformStack.of(this).addOverride("removed", removed);
  }
}

/** A credential source's value as text: a late value is written from the stack's resolved texts. */
function renderedValue(value: RenderedValue, texts: ResolvedTexts | undefined): string {
  if (typeof value === "string") return value;
  if (!texts) throw new Error("a late value is rendered only once cdktf has resolved the stack");
  return value(texts);
}
