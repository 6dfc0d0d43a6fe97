import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resetLocal } from "./local-target";

describe("resetLocal", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "pgforks-local-reset-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("deletes the local folder (no server running) and says so", async () => {
    const dir = join(root, ".local");
    mkdirSync(join(dir, "terraform"), { recursive: true });
    writeFileSync(join(dir, "credentials.json"), "{}");
    const lines: string[] = [];
    expect(await resetLocal((line) => lines.push(line), dir)).toBe(0);
    expect(existsSync(dir)).toBe(false);
    expect(lines).toEqual([`Deleted ${dir} (server data, Terraform state, local passwords).`]);
  });

  it("claims no deletion when there is nothing to delete", async () => {
    const dir = join(root, ".local");
    const lines: string[] = [];
    expect(await resetLocal((line) => lines.push(line), dir)).toBe(0);
    expect(lines).toEqual([`Nothing to delete: ${dir} does not exist.`]);
  });
});
