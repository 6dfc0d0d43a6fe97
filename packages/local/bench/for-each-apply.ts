/**
 * `npx tsx packages/local/bench/for-each-apply.ts [tenants] [rounds]`: applies tenants written
 * as `for_each` blocks (docs/decisions/0001-tenant-resources-and-synth-time.md) to a real
 * PostgreSQL 16 set up like RDS, with real Terraform and the cyrilgdn/postgresql provider from
 * the filesystem mirror, at Terraform's default parallelism (10), every resource kind an active
 * tenant with extensions and a read-only group has in `<env>-tenants`: role, read-only group,
 * database owned by the admin, PUBLIC's CONNECT/TEMP revoked, CONNECT/TEMP granted to the tenant,
 * a schema owned by the tenant, two extensions, the group's CONNECT, USAGE and SELECT grants and
 * its default privileges. Within a tenant each block waits for the previous one (block-level
 * depends_on, today's order); across tenants nothing is serialized. Each round replaces the previous round's tenants, so it also
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
import { DefaultPrivileges } from "@cdktf/provider-postgresql/lib/default-privileges";
import { Extension } from "@cdktf/provider-postgresql/lib/extension";
import { Grant, type GrantConfig } from "@cdktf/provider-postgresql/lib/grant";
import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import { Role } from "@cdktf/provider-postgresql/lib/role";
import { Schema } from "@cdktf/provider-postgresql/lib/schema";
import { startPostgres } from "@pgforks/postgres-server";
import { discoverProviderMirror, renderCliConfig } from "@pgforks/terraform-harness";
import {
  App,
  TerraformIterator,
  TerraformLocal,
  type TerraformResource,
  TerraformStack,
} from "cdktf";

const ADMIN = "forks_admin";
const ADMIN_PASSWORD = "for-each-experiment-only";
/** Two of the allow-listed extensions (packages/config), created in every tenant database. */
const EXTENSIONS = ["citext", "hstore"] as const;

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
  const readOnly = `${name}_readonly`;
  const role = new Role(stack, "role", { forEach: each, name, login: true, connectionLimit: 2 });
  const readOnlyRole = new Role(stack, "readonly-role", {
    forEach: each,
    name: readOnly,
    login: false,
    dependsOn: [role],
  });
  const database = new Database(stack, "database", {
    forEach: each,
    name,
    owner: ADMIN,
    template: "template0",
    encoding: "UTF8",
    lcCollate: "C",
    lcCtype: "C",
    dependsOn: [readOnlyRole],
  });
  // Every later block waits for the one before it: the chain of one tenant, in the order of
  // today's TenantDatabases.
  let previous: TerraformResource = database;
  const next = <T extends TerraformResource>(resource: T): T => {
    resource.dependsOn = [`${previous.terraformResourceType}.${previous.friendlyUniqueId}`];
    previous = resource;
    return resource;
  };
  const grant = (id: string, config: Omit<GrantConfig, "forEach" | "database">) =>
    next(new Grant(stack, id, { forEach: each, database: name, ...config }));
  grant("revoke-public", { role: "public", objectType: "database", privileges: [] });
  grant("connect", { role: name, objectType: "database", privileges: ["CONNECT", "TEMPORARY"] });
  next(new Schema(stack, "schema", { forEach: each, database: name, name, owner: name }));
  for (const extension of EXTENSIONS)
    next(
      new Extension(stack, `extension-${extension}`, {
        forEach: each,
        database: name,
        name: extension,
        schema: "public",
      }),
    );
  grant("readonly-connect", { role: readOnly, objectType: "database", privileges: ["CONNECT"] });
  grant("readonly-schema", {
    role: readOnly,
    schema: name,
    objectType: "schema",
    privileges: ["USAGE"],
  });
  grant("readonly-tables", {
    role: readOnly,
    schema: name,
    objectType: "table",
    privileges: ["SELECT"],
  });
  next(
    new DefaultPrivileges(stack, "readonly-default-tables", {
      forEach: each,
      database: name,
      owner: name,
      role: readOnly,
      schema: name,
      objectType: "table",
      privileges: ["SELECT"],
    }),
  );
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
          // A round that destroys and creates 1200 resources writes more than spawnSync's default
          // 1 MiB, which would kill Terraform mid-apply (status null).
          maxBuffer: 256 * 1024 * 1024,
        },
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const errors = apply.stderr.match(/Error: .*/g) ?? [];
      const summary = apply.stdout.match(/Apply complete!.*/)?.[0] ?? "no apply summary";
      console.log(
        `round ${round}: ${count} tenants, exit ${apply.status ?? apply.signal}, ${seconds} s, ${errors.length} errors; ${summary}`,
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
