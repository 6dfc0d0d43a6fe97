/**
 * `npx tsx packages/local/bench/for-each-apply.ts [tenants] [rounds]`: applies tenants written
 * as `for_each` blocks (docs/decisions/0001-tenant-resources-and-synth-time.md) to a real
 * PostgreSQL 16 set up like RDS, with real Terraform and the cyrilgdn/postgresql provider from
 * the filesystem mirror, at Terraform's default parallelism (10): role, database owned by the
 * admin, PUBLIC's CONNECT/TEMP revoked, CONNECT/TEMP granted to the tenant, a schema owned by the
 * tenant; within a tenant one block waits for the previous (block-level depends_on), across
 * tenants nothing is serialized. Each round replaces the previous round's tenants, so it also
 * destroys in parallel. Prints per round the exit code, the time and the errors by kind.
 *
 * An experiment for that record, not a test and not the product's tenants stack. Default 40
 * tenants, 3 rounds. Everything it writes is in a temporary folder, removed at the end.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "@cdktf/provider-postgresql/lib/database";
import { Grant } from "@cdktf/provider-postgresql/lib/grant";
import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { Schema } from "@cdktf/provider-postgresql/lib/schema";
import { startPostgres } from "@pgforks/postgres-server";
import { discoverProviderMirror, renderCliConfig } from "@pgforks/terraform-harness";
import { App, TerraformIterator, TerraformLocal, TerraformStack } from "cdktf";

const ADMIN = "forks_admin";
const ADMIN_PASSWORD = "for-each-experiment-only";

function synthRound(outdir: string, port: number, names: readonly string[]): string {
  const app = new App({ outdir, stackTraces: false });
  const stack = new TerraformStack(app, "for-each");
  new PostgresqlProvider(stack, "postgresql", {
    host: "127.0.0.1",
    port,
    database: "postgres",
    username: ADMIN,
    password: ADMIN_PASSWORD,
    sslmode: "disable",
    superuser: false,
    expectedVersion: "16",
  });
  const tenants = Object.fromEntries(names.map((name) => [name, { name }]));
  const each = TerraformIterator.fromMap(new TerraformLocal(stack, "tenants", tenants).asAnyMap);
  const name = each.getString("name");
  const role = new Role(stack, "role", { forEach: each, name, login: true, connectionLimit: 2 });
  const database = new Database(stack, "database", {
    forEach: each,
    name,
    owner: ADMIN,
    template: "template0",
    encoding: "UTF8",
    lcCollate: "C",
    lcCtype: "C",
    dependsOn: [role],
  });
  const revoke = new Grant(stack, "revoke-public", {
    forEach: each,
    database: name,
    role: "public",
    objectType: "database",
    privileges: [],
    dependsOn: [database],
  });
  const connect = new Grant(stack, "connect", {
    forEach: each,
    database: name,
    role: name,
    objectType: "database",
    privileges: ["CONNECT", "TEMPORARY"],
    dependsOn: [revoke],
  });
  new Schema(stack, "schema", {
    forEach: each,
    database: name,
    name,
    owner: name,
    dependsOn: [connect],
  });
  app.synth();
  return join(outdir, "stacks", "for-each");
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 40);
  const rounds = Number(process.argv[3] ?? 3);
  const work = mkdtempSync(join(tmpdir(), "pgforks-for-each-"));
  // cdktf's local backend writes its state relative to the working directory.
  process.chdir(work);
  const cliConfig = join(work, "terraform.tfrc");
  writeFileSync(cliConfig, renderCliConfig({ mirror: discoverProviderMirror() }));
  const env = { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1" };
  const server = await startPostgres({ rds: { adminRole: ADMIN, adminPassword: ADMIN_PASSWORD } });
  try {
    for (let round = 0; round < rounds; round++) {
      const names = Array.from({ length: count }, (_, i) => `r${round}_t${i}`);
      const dir = synthRound(join(work, `out-${round}`), server.port, names);
      const init = spawnSync("terraform", ["init", "-input=false", "-no-color"], {
        cwd: dir,
        env,
        encoding: "utf8",
      });
      if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stderr}`);
      const started = performance.now();
      const apply = spawnSync(
        "terraform",
        ["apply", "-auto-approve", "-input=false", "-no-color"],
        {
          cwd: dir,
          env,
          encoding: "utf8",
        },
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const errors = apply.stderr.match(/Error: .*/g) ?? [];
      const summary = apply.stdout.match(/Apply complete!.*/)?.[0] ?? "no apply summary";
      console.log(
        `round ${round}: ${count} tenants, exit ${apply.status}, ${seconds} s, ${errors.length} errors; ${summary}`,
      );
      const kinds = new Map<string, number>();
      for (const error of errors) kinds.set(error, (kinds.get(error) ?? 0) + 1);
      for (const [kind, n] of kinds) console.log(`  ${n} x ${kind}`);
    }
  } finally {
    await server.stop();
    process.chdir(tmpdir());
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
