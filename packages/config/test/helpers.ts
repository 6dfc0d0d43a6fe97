import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environmentsDir } from "../src";

/** A throw-away copy of the committed environments/ folder, so tests can break files freely. */
const copies: string[] = [];

export function copyEnvironments(): string {
  const dir = mkdtempSync(join(tmpdir(), "pgforks-config-"));
  cpSync(environmentsDir(), dir, { recursive: true });
  copies.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function writeTenants(dir: string, env: string, yaml: string): void {
  writeFileSync(join(dir, env, "tenants.yaml"), yaml);
}
