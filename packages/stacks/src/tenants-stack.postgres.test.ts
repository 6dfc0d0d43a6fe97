import { auditEnvironment } from "@pgforks/audit";
import { loadEnvironment, tenantDatabaseName, tenantHoldsConnections } from "@pgforks/config";
import { startPostgres, type TemporaryPostgres } from "@pgforks/testing";
import { Client } from "pg";
import { type StackJson, synthesizeInMemory } from "./synth";
import { ADMIN_DATABASE } from "./tenants-stack";
import {
  applyProviderModel,
  driftAfterApply,
  type ModelStep,
  type ProviderModelOptions,
} from "./tenants-stack.provider-model";

/**
 * The synthesized prod-tenants stack applied to a real PostgreSQL server by a MODEL of the SQL
 * cyrilgdn/postgresql 1.26.0 runs (tenants-stack.provider-model.ts, written from the provider's
 * source; it is not the provider), connected as a master user that is, like RDS's, not a superuser
 * but CREATEROLE CREATEDB. The test server is PostgreSQL 15, where a CREATEROLE creator gets no
 * membership in the roles it creates; PostgreSQL 16 gives it one with INHERIT FALSE, which grants
 * no privileges either, so granting nothing extra here is the faithful emulation.
 */
const loaded = loadEnvironment("prod");
const master = loaded.environment.database.masterUsername;
const live = loaded.tenants.filter((t) => t.state !== "dropped");
const active = loaded.tenants.filter(tenantHoldsConnections);
/** The test machine has only C and C.UTF-8 (`locale -a`); collation is not what is checked here. */
const LOCALES = { "en_US.UTF-8": "C.UTF-8" };
const passwordFor = (role: string) => `model-password-${role}`;

let server: TemporaryPostgres;
let stack: StackJson;
let steps: ModelStep[];

async function connectAs(user: string, database: string): Promise<Client> {
  const client = new Client({ host: server.host, port: server.port, user, database });
  await client.connect();
  return client;
}

const options = (): ProviderModelOptions => ({
  connect: (database) => connectAs(master, database),
  adminDatabase: ADMIN_DATABASE,
  passwordFor,
  locales: LOCALES,
});

beforeAll(async () => {
  stack = synthesizeInMemory([loaded])["prod-tenants"] as StackJson;
  // "postgres" plays RDS's rdsadmin; the master user gets what RDS gives it that matters here.
  server = await startPostgres({ user: "postgres" });
  const bootstrap = await connectAs("postgres", "postgres");
  try {
    await bootstrap.query(`CREATE ROLE "${master}" LOGIN CREATEROLE CREATEDB NOSUPERUSER`);
  } finally {
    await bootstrap.end();
  }
  steps = await applyProviderModel(stack, options());
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe("prod-tenants applied as a non-superuser master user (provider SQL model)", () => {
  it("creates every postgresql resource in dependency order, without error or warning", () => {
    expect(steps.length).toBeGreaterThan(live.length * 5);
    expect(steps.filter((s) => s.error !== undefined || s.skipped)).toEqual([]);
    // PostgreSQL only warns when a non-owner's GRANT or REVOKE changes nothing.
    const ineffective = steps.filter((s) =>
      s.warnings.some((w) => /no privileges (could be revoked|were granted)/.test(w)),
    );
    expect(ineffective).toEqual([]);
    // The only warning left: postgresql_grant_role revokes before it grants, on first create too.
    for (const w of steps.flatMap((s) => s.warnings)) expect(w).toMatch(/is not a member of role/);
  });

  it("leaves nothing for the audit to find", async () => {
    const report = await auditEnvironment(() => connectAs(master, ADMIN_DATABASE), loaded);
    expect(report.findings).toEqual([]);
    expect(report.checked.tenants).toBe(loaded.tenants.length);
  });

  it("revokes CONNECT and TEMPORARY from PUBLIC on every tenant database", async () => {
    const client = await connectAs("postgres", "postgres");
    try {
      const { rows } = await client.query(
        `SELECT d.datname, a.privilege_type
         FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
         WHERE a.grantee = 0 AND d.datname = ANY($1)`,
        [live.map(tenantDatabaseName)],
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it("lets each tenant into its own database and into no other", async () => {
    expect(active.length).toBeGreaterThanOrEqual(2);
    const reached: string[] = [];
    const refused: string[] = [];
    for (const tenant of active) {
      for (const other of live) {
        const pair = `${tenant.name} -> ${tenantDatabaseName(other)}`;
        try {
          await (await connectAs(tenant.name, tenantDatabaseName(other))).end();
          reached.push(pair);
        } catch (error) {
          expect((error as Error).message).toMatch(/permission denied for database/);
          refused.push(pair);
        }
      }
    }
    expect(reached.sort()).toEqual(
      active.map((t) => `${t.name} -> ${tenantDatabaseName(t)}`).sort(),
    );
    expect(refused).toHaveLength(active.length * (live.length - 1));
  });

  it("lets a tenant CREATE SCHEMA in its own database", async () => {
    for (const tenant of active) {
      const client = await connectAs(tenant.name, tenantDatabaseName(tenant));
      try {
        await client.query("CREATE SCHEMA app");
        await client.query("CREATE TABLE app.t (id int)");
        await client.query("DROP SCHEMA app CASCADE");
      } finally {
        await client.end();
      }
    }
  });

  it("keeps the master user able to connect to every tenant database (later plans refresh there)", async () => {
    for (const tenant of live) {
      const client = await connectAs(master, tenantDatabaseName(tenant));
      await client.end();
    }
  });

  it("reads back what it applied: the next plan has nothing to change", async () => {
    expect(await driftAfterApply(stack, options())).toEqual([]);
  });
});
