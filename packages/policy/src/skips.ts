import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ConfigError, type ConfigProblem, formatPath, repoRoot } from "@pgforks/config";
import { parse } from "yaml";
import { z } from "zod";

/** The one file listing every check this project relaxes, checkov's and its own, with why. */
export const SKIPS_FILE = join(__dirname, "..", "skips.yaml");

/**
 * A check relaxed on purpose. A failure of `check` on one of `stacks` (on a resource whose
 * address matches `resource`, when given) is reported as skipped with `reason`; a skip that
 * matches no failure on one of its stacks is stale and fails the policy suite, so the file never
 * outlives its reasons.
 */
export interface Skip {
  /** checkov id (CKV_AWS_88) or Security Hub control id of the project's own rules (RDS.23). */
  readonly check: string;
  /** Stack names (dev-platform, bootstrap-prod, ...). */
  readonly stacks: readonly string[];
  /** Only resources whose address matches this regular expression. Default: every resource. */
  readonly resource?: RegExp;
  readonly reason: string;
}

const skipSchema = z
  .object({
    check: z
      .string({ error: "must be a check id" })
      .regex(/^(CKV2?_AWS_\d+|RDS\.\d+)$/, "must be a checkov id (CKV_AWS_n, CKV2_AWS_n) or RDS.n"),
    stacks: z
      .array(z.string().regex(/^[a-z0-9-]+$/, "must be a stack name such as prod-platform"), {
        error: "must be a list of stack names",
      })
      .min(1, "must list at least one stack"),
    resource: z
      .string()
      .refine((source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      }, "must be a regular expression")
      .optional(),
    reason: z.string({ error: "must say why" }).min(20, "must say why, in at least 20 characters"),
  })
  .strict();

const skipsFileSchema = z.object({ skips: z.array(skipSchema) }).strict();

/** Reads and validates the skips file; throws ConfigError naming file, field and what is allowed. */
export function loadSkips(file = SKIPS_FILE): Skip[] {
  const fromRoot = relative(repoRoot(), file);
  const display = fromRoot.startsWith("..") ? file : fromRoot;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError([
      { file: display, path: "", message: `cannot be read as YAML: ${(error as Error).message}` },
    ]);
  }
  const result = skipsFileSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue): ConfigProblem => {
        if (issue.code === "unrecognized_keys") {
          return {
            file: display,
            path: formatPath([...issue.path, ...issue.keys.slice(0, 1)]),
            message: `unknown key (allowed: ${issue.path.length === 0 ? "skips" : "check, stacks, resource, reason"})`,
          };
        }
        const found = issue.input;
        return {
          file: display,
          path: formatPath(issue.path),
          message: issue.message,
          ...(found === undefined ? {} : { found: JSON.stringify(found) }),
        };
      }),
    );
  }
  return result.data.skips.map((s) => ({
    check: s.check,
    stacks: s.stacks,
    ...(s.resource !== undefined ? { resource: new RegExp(s.resource) } : {}),
    reason: s.reason,
  }));
}

/** The skip covering a failure of `check` on `address` in `stack`, if any. */
export function findSkip(
  skips: readonly Skip[],
  stack: string,
  check: string,
  address: string,
): Skip | undefined {
  return skips.find(
    (s) =>
      s.check === check && s.stacks.includes(stack) && (!s.resource || s.resource.test(address)),
  );
}
