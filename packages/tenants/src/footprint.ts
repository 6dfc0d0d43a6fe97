/**
 * What one tenant amounts to: a pure function from (environment, tenant) to typed intents, each
 * with its construct address. TenantDatabases, TenantSecrets and the platform stack's proxy auth
 * build from it; the tenant CLI's previews render it; the audit compares the live server with it;
 * the synth writes its addresses into pgforks-manifest.json for the plan review.
 *
 * Imports no construct library, so the CLI and the audit can load it cheaply.
 */
import type { SecretsmanagerSecretConfig } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import type { DatabaseConfig } from "@cdktf/provider-postgresql/lib/database";
import type { DefaultPrivilegesConfig } from "@cdktf/provider-postgresql/lib/default-privileges";
import type { ExtensionConfig } from "@cdktf/provider-postgresql/lib/extension";
import type { GrantConfig } from "@cdktf/provider-postgresql/lib/grant";
import type { RoleConfig } from "@cdktf/provider-postgresql/lib/role";
import type { SchemaConfig } from "@cdktf/provider-postgresql/lib/schema";
import {
  ALLOWED_EXTENSIONS,
  type ConnectionTarget,
  connectionTarget,
  describeConnectionTarget,
  type EnvironmentConfig,
  readOnlyRoleName,
  resourcePrefix,
  TENANT_DATABASE_PRIVILEGES,
  type TenantConfig,
  tenantDatabaseConnectionLimit,
  tenantDatabaseName,
  tenantHoldsConnections,
  tenantRoleConnectionLimit,
  tenantSecretName,
  terraformLiteral,
} from "@pgforks/config";
import type { TerraformMetaArguments } from "cdktf";
import { logicalIdOfPath } from "./construct-address";

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

/** The schema allow-listed extensions are installed into (usable by the tenant). */
export const EXTENSION_SCHEMA = "public";

/** The two stacks a tenant has resources in. */
export type FootprintStack = "platform" | "tenants";

/**
 * Where the tenant constructs sit below their stacks (construct ids). The stacks create them
 * under these ids; a construct placed elsewhere passes its own path (the addresses follow).
 */
export interface FootprintScopes {
  /** TenantDatabases in `<env>-tenants` (and `local-tenants`). Default ["tenants"]. */
  readonly databases: readonly string[];
  /** TenantSecrets in `<env>-platform`. Default ["tenant-secrets"]. */
  readonly secrets: readonly string[];
  /** The `aws_db_proxy` whose `auth` list holds the tenants' entries. Default ["proxy", "proxy"]. */
  readonly proxy: readonly string[];
}

export const DEFAULT_FOOTPRINT_SCOPES: FootprintScopes = {
  databases: ["tenants"],
  secrets: ["tenant-secrets"],
  proxy: ["proxy", "proxy"],
};

/** Where a resource is: its stack, construct path and Terraform address. */
export interface ConstructAddress {
  readonly stack: FootprintStack;
  /** Construct ids below the stack, e.g. ["tenants", "role-fintech"]. */
  readonly constructPath: readonly string[];
  /** `type.name`, e.g. `postgresql_role.tenants_role-fintech_1A2B3C4D`. */
  readonly terraformAddress: string;
}

/**
 * present: configured; absent: destroyed when the tenant leaves it (dropped, or a retired
 * tenant's proxy entry); forgotten: taken out of the state without a destroy (what lived inside a
 * dropped tenant's database goes with DROP DATABASE: `removed` blocks with destroy = false).
 */
export type IntentState = "present" | "absent" | "forgotten";

/** One attribute in a reviewer's words; an empty name renders the value alone ("UTF8"). */
export interface PreviewAttribute {
  readonly name: string;
  readonly value: string;
  /** Said instead of the name when the value changes ("... (old -> new)"). Default: the name. */
  readonly changeNote?: string;
  /** Listed when the resource is created. Default true. */
  readonly onCreate?: boolean;
}

/** How an intent reads in previews (tenant CLI, plan review for stacks not planned). */
export interface IntentPreview {
  readonly label: string;
  readonly attributes: readonly PreviewAttribute[];
  /** Said when it is created. */
  readonly createNote?: string;
  /** Said when it is destroyed. */
  readonly destroyNote?: string;
  /**
   * What destroying it loses, for the intents whose deletion the destroy guard stops (roles): the
   * plan review says "would lose <this>" and the guard's reason "deleting it loses <this>".
   * Default: the guard's words for the resource type.
   */
  readonly destroyLoses?: string;
}

/** Arguments of a provider resource as the footprint decides them (no meta-arguments, no secrets). */
type Arguments<C> = Omit<C, keyof TerraformMetaArguments>;

interface IntentBase<K extends string, A> {
  readonly kind: K;
  readonly tenant: string;
  readonly address: ConstructAddress;
  readonly state: IntentState;
  /** The resource's arguments (what the construct passes, besides provider and credentials). */
  readonly args: A;
  /** Listed in previews; absent for details summed up by another intent. */
  readonly preview?: IntentPreview;
}

/** A role's arguments; its password comes from the credential source (write-only). */
type RoleArguments = Arguments<Omit<RoleConfig, "passwordWo" | "passwordWoVersion">>;
export type RoleIntent = IntentBase<"role", RoleArguments>;
/** The optional `<name>_readonly` group. */
export type ReadOnlyRoleIntent = IntentBase<"read-only role", RoleArguments>;
export type DatabaseIntent = IntentBase<"database", Arguments<DatabaseConfig>>;
export type GrantIntent = IntentBase<"grant", Arguments<GrantConfig>>;
export type SchemaIntent = IntentBase<"schema", Arguments<SchemaConfig>>;
export type ExtensionIntent = IntentBase<"extension", Arguments<ExtensionConfig>>;
export type DefaultPrivilegesIntent = IntentBase<
  "default privileges",
  Arguments<DefaultPrivilegesConfig>
>;
/** The secret (platform stack); its KMS key and recovery window are the environment's. */
export type SecretIntent = IntentBase<
  "secret",
  Pick<SecretsmanagerSecretConfig, "name" | "description" | "tags">
>;
/** The secret's value and the role's password, written together by the tenants stack. */
export type SecretValueIntent = IntentBase<
  "secret value",
  { readonly passwordVersion: number; readonly target: ConnectionTarget }
>;
/** The tenant's entry in the `auth` set of the `aws_db_proxy` (address: the proxy). */
export type ProxyAuthIntent = IntentBase<"proxy auth", { readonly description: string }>;

export type TenantIntent =
  | RoleIntent
  | ReadOnlyRoleIntent
  | DatabaseIntent
  | GrantIntent
  | SchemaIntent
  | ExtensionIntent
  | DefaultPrivilegesIntent
  | SecretIntent
  | SecretValueIntent
  | ProxyAuthIntent;

export type IntentKind = TenantIntent["kind"];

/** What the footprint reads of an AWS environment. */
export type FootprintAwsEnvironment = Pick<
  EnvironmentConfig,
  "project" | "name" | "proxy" | "database"
>;

/** What the footprint needs to know of an environment. */
export interface FootprintEnvironment {
  /** The admin role (RDS master user) that owns every tenant database. Required. */
  readonly adminRole: string;
  /**
   * The AWS parts (secret, secret value, proxy auth). Absent for the local target, whose
   * passwords come from the caller and go nowhere else.
   */
  readonly aws?: FootprintAwsEnvironment;
}

/** The footprint input of an AWS environment. */
export function footprintEnvironment(environment: EnvironmentConfig): FootprintEnvironment {
  return { adminRole: environment.database.masterUsername, aws: environment };
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
    secret: name,
    secretValue: `secret-value-${name}`,
  };
}

/** Where the secret value of a tenant with this password and target points, in words. */
export const SECRET_VALUE_TARGET = "connection target";

/** What a preview says when the connection target of a tenant's secret changes. */
export const TARGET_CHANGED_NOTE = "password rotated because the connection target changed";

/** What a preview says when a tenant's database is renamed (same address, refused at plan time). */
export const DATABASE_RENAMED_NOTE =
  "REFUSED at plan time: a tenant database is never renamed by an apply (docs/operations.md)";

/** What dropping a tenant's login role loses. */
export const ROLE_DESTROY_LOSES =
  "the tenant's login and its password; the provider runs REASSIGN OWNED / DROP OWNED before DROP ROLE (cyrilgdn/postgresql docs, skip_reassign_owned)";

/**
 * What dropping a tenant's read-only group loses: it is NOLOGIN and has no password, so only the
 * read access it carries for the roles made its members.
 */
export function readOnlyRoleDestroyLoses(readOnly: string, database: string): string {
  return `the read access of its members: ${readOnly} is a NOLOGIN group without a password (no login is lost), and with it go the SELECT on the tables of ${database} it was granted (directly and through default privileges) and every membership in it; a group created again later has to be granted to its members again`;
}

/** No tenant role or group may hold any of these. */
const UNPRIVILEGED = {
  superuser: false,
  createDatabase: false,
  createRole: false,
  replication: false,
  bypassRowLevelSecurity: false,
} as const;

function address(
  stack: FootprintStack,
  scope: readonly string[],
  id: string,
  type: string,
): ConstructAddress {
  const constructPath = [...scope, id];
  return { stack, constructPath, terraformAddress: `${type}.${logicalIdOfPath(constructPath)}` };
}

/**
 * Every intent of one tenant, in the order the constructs create them. A dropped tenant's are
 * absent (database, roles, secret, its value, proxy entry) or forgotten (everything inside its
 * database: every allow-listed extension and the read-only group's grants, whether or not the
 * dropped entry still lists them). A retired tenant's proxy entry is absent.
 *
 * Lifecycle, per state:
 * - active: login role with the tenant's connection limit; the read-only group may CONNECT;
 * - suspended: role NOLOGIN with CONNECTION LIMIT 0, read-only group loses CONNECT; the database
 *   (the admin's) keeps its limit and its data; its secret stays in the proxy's auth list;
 * - retired: as suspended, and its secret leaves the RDS Proxy's auth list;
 * - dropped: nothing (database, role, grants and secret are destroyed).
 *
 * `stack`: only the intents in that stack (a stack's construct needs no more: the synth builds
 * each tenant's footprint once per stack, and the platform's is the smaller part).
 */
export function tenantFootprint(
  tenant: TenantConfig,
  environment: FootprintEnvironment,
  scopes: FootprintScopes = DEFAULT_FOOTPRINT_SCOPES,
  stack?: FootprintStack,
): TenantIntent[] {
  const dropped = tenant.state === "dropped";
  const kept: IntentState = dropped ? "absent" : "present";
  const inside: IntentState = dropped ? "forgotten" : "present";
  const active = tenantHoldsConnections(tenant);
  const database = tenantDatabaseName(tenant);
  const ids = tenantConstructIds(tenant.name);
  const db = (id: string, type: string) => address("tenants", scopes.databases, id, type);
  const base = { tenant: tenant.name };
  const readOnly = readOnlyRoleName(tenant);
  const hasReadOnly = tenant.readOnlyRole || dropped;
  const grant = (
    id: string,
    args: Arguments<GrantConfig>,
    preview?: IntentPreview,
    state: IntentState = inside,
  ): GrantIntent => ({
    ...base,
    kind: "grant",
    address: db(id, "postgresql_grant"),
    state,
    args,
    ...(preview ? { preview } : {}),
  });

  const intents: TenantIntent[] = [];
  const aws = environment.aws;
  if (aws && stack !== "tenants") {
    const secretName = tenantSecretName(resourcePrefix(aws), tenant.name);
    intents.push({
      ...base,
      kind: "secret",
      address: address("platform", scopes.secrets, ids.secret, "aws_secretsmanager_secret"),
      state: kept,
      args: {
        name: secretName,
        description: `PostgreSQL credentials of tenant ${tenant.name} (owner: ${terraformLiteral(tenant.owner)}); value written by the tenants stack.`,
        tags: { "pgforks:tenant": tenant.name },
      },
      preview: {
        label: `Secrets Manager secret ${secretName}`,
        attributes: [],
        destroyNote: "deletion scheduled, recoverable during its recovery window",
      },
    });
    if (aws.proxy.enabled) {
      intents.push({
        ...base,
        kind: "proxy auth",
        address: {
          stack: "platform",
          constructPath: [...scopes.proxy],
          terraformAddress: `aws_db_proxy.${logicalIdOfPath(scopes.proxy)}`,
        },
        // A suspended tenant stays registered (its role is NOLOGIN, so the database refuses it
        // anyway) so that resuming it is one state change.
        state: tenant.state === "active" || tenant.state === "suspended" ? "present" : "absent",
        args: { description: `tenant ${tenant.name}` },
        preview: {
          label: "RDS Proxy auth entry",
          attributes: [],
          createNote: "proxy on",
          destroyNote: "the tenant can no longer connect through the proxy",
        },
      });
    }
  }
  if (stack === "platform") return intents;

  intents.push({
    ...base,
    kind: "role",
    address: db(ids.role, "postgresql_role"),
    state: kept,
    args: {
      name: tenant.name,
      login: active,
      connectionLimit: tenantRoleConnectionLimit(tenant),
      ...UNPRIVILEGED,
    },
    preview: {
      label: `role ${tenant.name}`,
      attributes: [
        { name: "login", value: String(active) },
        { name: "connection limit", value: String(tenantRoleConnectionLimit(tenant)) },
      ],
      destroyLoses: ROLE_DESTROY_LOSES,
    },
  });
  if (hasReadOnly) {
    intents.push({
      ...base,
      kind: "read-only role",
      address: db(ids.readOnlyRole, "postgresql_role"),
      state: tenant.readOnlyRole ? kept : "absent",
      args: { name: readOnly, login: false, ...UNPRIVILEGED },
      preview: {
        label: `read-only role ${readOnly}`,
        attributes: [{ name: "CONNECT", value: active ? "granted" : "revoked" }],
        createNote: `NOLOGIN group, SELECT on ${database}'s tables via default privileges`,
        destroyLoses: readOnlyRoleDestroyLoses(readOnly, database),
      },
    });
  }
  intents.push(
    {
      ...base,
      kind: "database",
      address: db(ids.database, "postgresql_database"),
      state: kept,
      args: {
        name: database,
        owner: environment.adminRole,
        encoding: DATABASE_ENCODING,
        lcCollate: DATABASE_LOCALE,
        lcCtype: DATABASE_LOCALE,
        template: DATABASE_TEMPLATE,
        connectionLimit: tenantDatabaseConnectionLimit(tenant),
        allowConnections: true,
        isTemplate: false,
      },
      preview: {
        label: `database ${database}`,
        attributes: [
          { name: "", value: DATABASE_ENCODING },
          { name: "name", value: database, changeNote: DATABASE_RENAMED_NOTE, onCreate: false },
          { name: "owner", value: environment.adminRole },
          { name: "connection limit", value: String(tenantDatabaseConnectionLimit(tenant)) },
        ],
        destroyNote: "DESTROYED: data lost unless backed up",
      },
    },
    // PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database.
    grant(
      ids.revokePublic,
      { database, role: PUBLIC_ROLE, objectType: "database", privileges: [] },
      { label: `revoke PUBLIC CONNECT/TEMP on ${database}`, attributes: [] },
    ),
    grant(
      ids.connect,
      {
        database,
        role: tenant.name,
        objectType: "database",
        privileges: [...TENANT_DATABASE_PRIVILEGES],
      },
      {
        label: `grant ${TENANT_DATABASE_PRIVILEGES.join("/")} on ${database} to ${tenant.name}`,
        attributes: [],
      },
    ),
    {
      ...base,
      kind: "schema",
      address: db(ids.schema, "postgresql_schema"),
      state: inside,
      // Never drop a schema that still holds the tenant's tables.
      args: {
        database,
        name: tenant.name,
        owner: tenant.name,
        dropCascade: false,
        ifNotExists: false,
      },
      preview: {
        label: `schema ${tenant.name} in ${database}`,
        attributes: [{ name: "owner", value: tenant.name }],
        createNote: 'where the app\'s tables go (search_path "$user", public)',
      },
    },
  );
  const extensions = dropped ? [...ALLOWED_EXTENSIONS] : [...tenant.extensions].sort();
  for (const extension of extensions) {
    intents.push({
      ...base,
      kind: "extension",
      address: db(ids.extension(extension), "postgresql_extension"),
      state: inside,
      // Removing an extension that objects still use fails instead of dropping them.
      args: { database, name: extension, schema: EXTENSION_SCHEMA, dropCascade: false },
      preview: { label: `extension ${extension}`, attributes: [], createNote: `in ${database}` },
    });
  }
  if (hasReadOnly) {
    intents.push(
      grant(ids.readOnlyConnect, {
        database,
        role: readOnly,
        objectType: "database",
        privileges: active ? ["CONNECT"] : [],
      }),
      grant(ids.readOnlySchema, {
        database,
        role: readOnly,
        schema: tenant.name,
        objectType: "schema",
        privileges: ["USAGE"],
      }),
      grant(ids.readOnlyTables, {
        database,
        role: readOnly,
        schema: tenant.name,
        objectType: "table",
        privileges: ["SELECT"],
      }),
      {
        ...base,
        kind: "default privileges",
        address: db(ids.readOnlyDefaultTables, "postgresql_default_privileges"),
        state: inside,
        args: {
          database,
          owner: tenant.name,
          role: readOnly,
          schema: tenant.name,
          objectType: "table",
          privileges: ["SELECT"],
        },
      },
    );
  }
  if (aws) {
    const target = connectionTarget(aws, tenant);
    intents.push({
      ...base,
      kind: "secret value",
      address: db(ids.secretValue, "aws_secretsmanager_secret_version"),
      state: kept,
      args: { passwordVersion: tenant.passwordVersion, target },
      preview: {
        label: `secret value and role password of ${tenant.name}`,
        attributes: [
          { name: "password version", value: String(tenant.passwordVersion) },
          {
            name: SECRET_VALUE_TARGET,
            value: describeConnectionTarget(target),
            changeNote: TARGET_CHANGED_NOTE,
            onCreate: false,
          },
        ],
        createNote: "write-only, never in state",
      },
    });
  }
  return intents;
}

/** Intents of one kind, narrowed. */
export function intentsOf<K extends IntentKind>(
  intents: readonly TenantIntent[],
  kind: K,
): Array<Extract<TenantIntent, { kind: K }>> {
  return intents.filter((i): i is Extract<TenantIntent, { kind: K }> => i.kind === kind);
}

/** The one intent of a kind, if any. */
export function intentOf<K extends IntentKind>(
  intents: readonly TenantIntent[],
  kind: K,
): Extract<TenantIntent, { kind: K }> | undefined {
  return intentsOf(intents, kind)[0];
}

/** The file the synth writes beside each stack's cdk.tf.json. */
export const TENANT_MANIFEST_FILE = "pgforks-manifest.json";

/** Version of the manifest's format; readers refuse other versions. */
export const TENANT_MANIFEST_VERSION = 1;

/** pgforks-manifest.json: the tenant footprint's addresses in one synthesized stack. */
export interface TenantManifest {
  readonly version: typeof TENANT_MANIFEST_VERSION;
  readonly stack: string;
  readonly resources: readonly ManifestEntry[];
}

/** A construct that contributes footprint addresses to its stack's manifest. */
export interface TenantManifestSource {
  tenantManifestEntries(): readonly ManifestEntry[];
}

export function isTenantManifestSource(value: unknown): value is TenantManifestSource {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Partial<TenantManifestSource>).tenantManifestEntries === "function"
  );
}

/**
 * Why a manifest does not match its synthesized stack, or undefined: every present entry's
 * address must be a resource of the stack, and a present proxy auth entry's description must be
 * in that proxy's `auth` list.
 */
export function manifestProblems(
  entries: readonly ManifestEntry[],
  stack: { readonly resource?: Record<string, Record<string, unknown>> },
): string[] {
  return entries.flatMap((entry) => {
    if (entry.state !== "present") return [];
    const dot = entry.address.indexOf(".");
    const body = stack.resource?.[entry.address.slice(0, dot)]?.[entry.address.slice(dot + 1)];
    if (body === undefined)
      return [`${entry.address} (${entry.kind} of ${entry.tenant}) is not in the stack`];
    if (entry.kind !== "proxy auth") return [];
    const auth = (body as { auth?: Array<{ description?: unknown }> }).auth ?? [];
    return auth.some((a) => a.description === entry.detail)
      ? []
      : [`${entry.address} has no auth entry "${entry.detail}" (proxy auth of ${entry.tenant})`];
  });
}

/** One line of pgforks-manifest.json: which tenant a Terraform address belongs to, as what. */
export interface ManifestEntry {
  readonly address: string;
  readonly tenant: string;
  readonly kind: IntentKind;
  readonly state: IntentState;
  /** Extensions: the extension; proxy auth: the `description` of the tenant's `auth` entry. */
  readonly detail?: string;
}

/** The manifest lines of a footprint for one stack. */
export function manifestEntries(
  intents: readonly TenantIntent[],
  stack: FootprintStack,
): ManifestEntry[] {
  return intents
    .filter((i) => i.address.stack === stack)
    .map((i) => {
      const detail =
        i.kind === "extension"
          ? i.args.name
          : i.kind === "proxy auth"
            ? i.args.description
            : undefined;
      return {
        address: i.address.terraformAddress,
        tenant: i.tenant,
        kind: i.kind,
        state: i.state,
        ...(detail !== undefined ? { detail } : {}),
      };
    });
}
