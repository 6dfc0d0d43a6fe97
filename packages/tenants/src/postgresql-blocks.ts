import type { TerraformProvider } from "cdktf";
import type { RenderedBody } from "./rendered-blocks";

/** Terraform's meta-arguments of a rendered postgresql block, as cdktf writes them. */
export interface PostgresqlBlockMeta {
  /** The construct path cdktf would write in `//` metadata (`<stack>/<scope>/<id>`). */
  readonly path: string;
  /** The block's name (the construct's logical id), also written as the metadata's uniqueId. */
  readonly name: string;
  /** The provider; undefined for the stack's default, which cdktf leaves unnamed. */
  readonly provider?: TerraformProvider;
  /** Addresses (`type.name`) this block waits for. */
  readonly dependsOn?: readonly string[];
  /** The lifecycle block, already in Terraform's snake_case. */
  readonly lifecycle?: RenderedBody;
}

/** An argument value of the footprint: what the postgresql binding writes as it is. */
type ArgumentValue = string | number | boolean | readonly string[] | undefined;

/** cdktf's snake_case of a binding's camelCase argument name (`passwordWoVersion` -> `password_wo_version`). */
function snakeCase(key: string): string {
  let snake = SNAKE_CASE.get(key);
  if (snake === undefined) {
    snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    SNAKE_CASE.set(key, snake);
  }
  return snake;
}

/** snakeCase's results: a few dozen argument names, each written for every tenant. */
const SNAKE_CASE = new Map<string, string>();

/**
 * The block cdktf writes for a postgresql provider construct with these arguments (camelCase, as
 * the binding takes them) and meta-arguments: `//` metadata, each argument in snake_case, undefined
 * ones left out, then depends_on, lifecycle and provider. Arguments are only scalars and lists of
 * strings (the footprint's); anything else is refused, so a nested binding structure cannot be
 * written in a form the binding would not write. test/databases-rendered.test.ts checks every kind against
 * the binding's own construct.
 */
export function postgresqlBlock(
  args: Readonly<Record<string, ArgumentValue>>,
  meta: PostgresqlBlockMeta,
): RenderedBody {
  const body: Record<string, unknown> = {
    "//": { metadata: { path: meta.path, uniqueId: meta.name } },
  };
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const scalar =
      typeof value === "string" || typeof value === "number" || typeof value === "boolean";
    const strings = Array.isArray(value) && value.every((v) => typeof v === "string");
    if (!scalar && !strings) {
      throw new Error(
        `${meta.path}: argument ${key} is neither a scalar nor a list of strings; postgresqlBlock renders only those`,
      );
    }
    body[snakeCase(key)] = Array.isArray(value) ? [...value] : value;
  }
  if (meta.dependsOn && meta.dependsOn.length > 0) body.depends_on = [...meta.dependsOn];
  if (meta.lifecycle) body.lifecycle = meta.lifecycle;
  if (meta.provider) body.provider = meta.provider.fqn;
  return body;
}
