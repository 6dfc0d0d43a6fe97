import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { PostgresqlProvider } from "@cdktf/provider-postgresql/lib/provider";
import { App, TerraformStack } from "cdktf";

interface Floor<S extends TerraformStack> {
  readonly app: App;
  readonly stack: S;
  readonly count: number;
}

/**
 * The arguments `<tenants> <outdir>` of a floor program, and its app and one stack (of `Stack`,
 * default TerraformStack) with the two providers of `<env>-tenants`; exits 2 with the usage on
 * anything else.
 */
export function floorStack(program: string): Floor<TerraformStack>;
export function floorStack<S extends TerraformStack>(
  program: string,
  Stack: new (scope: App, id: string) => S,
): Floor<S>;
export function floorStack(
  program: string,
  Stack: new (scope: App, id: string) => TerraformStack = TerraformStack,
): Floor<TerraformStack> {
  const [count, outdir] = [Number(process.argv[2]), process.argv[3]];
  if (!Number.isInteger(count) || count < 0 || !outdir) {
    console.error(`usage: ${program} <tenants> <outdir>`);
    process.exit(2);
  }
  const app = new App({ outdir, stackTraces: false });
  const stack = new Stack(app, "floor");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  new PostgresqlProvider(stack, "postgresql", { host: "db.example.com" });
  return { app, stack, count };
}

/** The literal arguments both floors give every tenant database (besides its name). */
export const FLOOR_DATABASE = {
  owner: "forks_admin",
  encoding: "UTF8",
  lcCollate: "en_US.UTF-8",
  lcCtype: "en_US.UTF-8",
  template: "template0",
  connectionLimit: 11,
  allowConnections: true,
  isTemplate: false,
} as const;

/** The role flags both floors give every tenant role. */
export const FLOOR_ROLE = {
  login: true,
  superuser: false,
  createDatabase: false,
  createRole: false,
  replication: false,
  bypassRowLevelSecurity: false,
} as const;
