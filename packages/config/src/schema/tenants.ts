import { z } from "zod";
import { identifierProblem } from "../identifiers";
import { readOnlyRoleName, readOnlyRoleNameProblem } from "../naming";

/**
 * Lifecycle of a fork (seed 001: local -> test -> production -> graduation -> retirement).
 * - active: role can log in, database serves traffic.
 * - suspended: role is NOLOGIN with connection limit 0; data kept.
 * - retired: as suspended, and removed from the proxy; data kept.
 * - dropped: the only state in which the database may be destroyed (needs confirmDrop).
 */
export const TENANT_STATES = ["active", "suspended", "retired", "dropped"] as const;
export type TenantState = (typeof TENANT_STATES)[number];

/**
 * Extensions a tenant may ask for: trusted extensions that RDS for PostgreSQL supports and that
 * the database owner can create without superuser (RDS User Guide, "PostgreSQL extensions
 * supported on Amazon RDS"). Anything else needs a deliberate change here.
 */
export const ALLOWED_EXTENSIONS = [
  "btree_gin",
  "btree_gist",
  "citext",
  "fuzzystrmatch",
  "hstore",
  "intarray",
  "pg_trgm",
  "pgcrypto",
  "tablefunc",
  "unaccent",
  "uuid-ossp",
  "vector",
] as const;

const identifier = z.string().superRefine((value, ctx) => {
  const problem = identifierProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const tenantSchema = z.strictObject({
  name: identifier.describe(
    "Tenant name: the PostgreSQL role and the default database name. Lowercase identifier, at most 63 bytes, unique.",
  ),
  database: identifier
    .optional()
    .describe(
      "Database name. Default: the tenant name. Renaming it later is refused unless the tenant is dropped first.",
    ),
  owner: z.string().min(3).max(200).describe("Who answers for this fork: a person, team or email."),
  description: z.string().max(500).optional().describe("What the fork is, for the registry."),
  connectionLimit: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe(
      "CONNECTION LIMIT of the role and the database. Default 10 (seed 001: a Django app uses 5-20 with pooling). Active tenants' limits must fit the instance's max_connections.",
    ),
  state: z.enum(TENANT_STATES).default("active").describe("Lifecycle state. Default active."),
  confirmDrop: z
    .string()
    .optional()
    .describe("Required with state: dropped; must repeat the database name exactly."),
  extensions: z
    .array(z.enum(ALLOWED_EXTENSIONS))
    .default([])
    .describe("Extensions created in the tenant's database (allow-listed)."),
  readOnlyRole: z
    .boolean()
    .default(false)
    .describe(
      "Also create <name>_readonly with SELECT on the tenant's tables (default privileges). Default false.",
    ),
  passwordVersion: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe(
      "Bump to rotate the tenant password: it is write-only (never in Terraform state) and only re-sent when this changes. Default 1.",
    ),
});

export const tenantsFileSchema = z
  .strictObject({
    tenants: z.array(tenantSchema).describe("The forks that share this environment's instance."),
  })
  .superRefine(
    (file, ctx) => {
      // Runs even when single entries are invalid (see `when`), so every cross-entry problem is
      // reported together with the per-entry ones: entries are read defensively.
      const tenants: Array<Partial<Record<keyof TenantConfig, unknown>>> = Array.isArray(
        file?.tenants,
      )
        ? file.tenants.filter((t) => t !== null && typeof t === "object")
        : [];
      const allNames = new Set(tenants.map((t) => t.name));
      const seenNames = new Map<unknown, number>();
      const seenDatabases = new Map<unknown, number>();
      tenants.forEach((tenant, i) => {
        if (typeof tenant.name !== "string") return;
        const first = seenNames.get(tenant.name);
        if (first !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["tenants", i, "name"],
            message: `duplicate tenant name "${tenant.name}" (first used by tenants[${first}])`,
          });
        } else {
          seenNames.set(tenant.name, i);
        }
        const database = typeof tenant.database === "string" ? tenant.database : tenant.name;
        const firstDb = seenDatabases.get(database);
        if (firstDb !== undefined && first === undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["tenants", i, tenant.database ? "database" : "name"],
            message: `database "${database}" is already used by tenants[${firstDb}]`,
          });
        } else if (firstDb === undefined) {
          seenDatabases.set(database, i);
        }
        // Each extension is one resource per database: a repeated one would make two resources
        // with the same address (synth would stop on a construct-id clash).
        if (Array.isArray(tenant.extensions)) {
          const seenExtensions = new Map<unknown, number>();
          tenant.extensions.forEach((extension: unknown, j: number) => {
            const firstAt = seenExtensions.get(extension);
            if (firstAt === undefined) {
              seenExtensions.set(extension, j);
              return;
            }
            ctx.addIssue({
              code: "custom",
              path: ["tenants", i, "extensions", j],
              message: `duplicate extension "${String(extension)}" (already at extensions[${firstAt}]); list each extension once`,
            });
          });
        }
        if (tenant.readOnlyRole === true) {
          const readOnly = readOnlyRoleName({ name: tenant.name });
          const problem = allNames.has(readOnly)
            ? `would create role "${readOnly}", which is also a tenant name`
            : readOnlyRoleNameProblem({ name: tenant.name });
          if (problem)
            ctx.addIssue({
              code: "custom",
              path: ["tenants", i, "readOnlyRole"],
              message: problem,
            });
        }
        if (tenant.state === "dropped" && tenant.confirmDrop !== database) {
          ctx.addIssue({
            code: "custom",
            path: ["tenants", i, "confirmDrop"],
            message: `state "dropped" destroys database "${database}": set confirmDrop: ${database} to confirm`,
          });
        }
        if (tenant.state !== "dropped" && tenant.confirmDrop !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["tenants", i, "confirmDrop"],
            message: `only allowed with state "dropped" (state is "${String(tenant.state ?? "active")}")`,
          });
        }
      });
    },
    { when: () => true },
  );

export type TenantInput = z.input<typeof tenantSchema>;
export type TenantConfig = z.output<typeof tenantSchema>;
export type TenantsFileConfig = z.output<typeof tenantsFileSchema>;

/** The database name of a tenant (defaults to its name). */
export function tenantDatabaseName(tenant: Pick<TenantConfig, "name" | "database">): string {
  return tenant.database ?? tenant.name;
}
