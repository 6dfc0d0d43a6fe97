import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environmentsDir } from "../src";

/** A throw-away copy of the committed environments/ folder, so tests can break files freely. */
export function copyEnvironments(): string {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-config-"));
  cpSync(environmentsDir(), dir, { recursive: true });
  return dir;
}

export function writeTenants(dir: string, env: string, yaml: string): void {
  writeFileSync(join(dir, env, "tenants.yaml"), yaml);
}
