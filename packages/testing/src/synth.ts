import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type IResolvable, type TerraformStack, Testing, Token } from "cdktf";
import type { Construct } from "constructs";

/** One synthesized block (resource, data source, provider), as cdktf writes it. */
export type SynthesizedBlock = Record<string, unknown>;

/** The Terraform JSON of a test scope, parsed, with accessors. */
export interface SynthesizedScope {
  /** The JSON text cdktf wrote (for whole-document assertions such as `not.toContain`). */
  readonly json: string;
  /** The parsed document. */
  readonly parsed: {
    readonly resource?: Record<string, Record<string, SynthesizedBlock>>;
    readonly data?: Record<string, Record<string, SynthesizedBlock>>;
    readonly [key: string]: unknown;
  };
  /** The resources of one type, keyed by their Terraform name (empty when there are none). */
  readonly resource: Record<string, Record<string, SynthesizedBlock>>;
  /** The resources of one type (empty when there are none), typed as the test describes them. */
  all<T = SynthesizedBlock>(type: string): T[];
}

/**
 * The one synth helper of the construct tests: synthesizes what `build` adds to a fresh cdktf
 * test stack (`Testing.synthScope`) and parses it. `stack`: makes the test stack in the test app
 * instead (a stack class of the project, e.g. one that merges rendered blocks).
 */
export function synthScope(
  build: (scope: Construct) => void,
  stack?: (app: App) => TerraformStack,
): SynthesizedScope {
  let json: string;
  if (stack) {
    const scope = stack(Testing.app());
    build(scope);
    json = Testing.synth(scope);
  } else {
    json = Testing.synthScope(build);
  }
  const parsed = JSON.parse(json) as SynthesizedScope["parsed"];
  const resource = parsed.resource ?? {};
  const all = <T>(type: string) => Object.values(resource[type] ?? {}) as T[];
  return { json, parsed, resource, all };
}

/**
 * A string token that resolves to `text` and counts how often cdktf resolves it (tests of what is
 * resolved once: ExpressionTemplate, RenderedBlocksStack.resolveOnce).
 */
export function countedToken(text: string): { token: string; count: () => number } {
  let n = 0;
  const resolvable: IResolvable = {
    creationStack: [],
    resolve: () => {
      n += 1;
      return text;
    },
    toString: () => Token.asString(resolvable),
  };
  return { token: Token.asString(resolvable), count: () => n };
}

/**
 * Synthesizes the app `build` fills (several stacks, cross-stack references) into a throw-away
 * folder and returns each stack's Terraform JSON by stack name.
 */
export function synthApp(build: (app: App) => void): Record<string, Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-app-"));
  try {
    const app = new App({ outdir: dir, stackTraces: false });
    build(app);
    app.synth();
    const stacks = join(dir, "stacks");
    return Object.fromEntries(
      readdirSync(stacks).map((name) => [
        name,
        JSON.parse(readFileSync(join(stacks, name, "cdk.tf.json"), "utf8")),
      ]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
