import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readWrittenInstanceSizings } from "../src/base-instance";

const scratch = mkdtempSync(join(tmpdir(), "pgforks-base-instance-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("readWrittenInstanceSizings", () => {
  it("reads what is written, whatever today's rules say, the schema's defaults for the rest, and skips what cannot be parsed", () => {
    const files: Record<string, string> = {
      pinned: "database:\n  engineVersion: 16.8\n  allocatedStorageGb: 40\n",
      quoted: 'database:\n  engineVersion: "15"\n  allowMajorVersionUpgrade: true\n',
      bare: "name: bare\n",
      broken: "database: [unclosed\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(scratch, name));
      writeFileSync(join(scratch, name, "environment.yaml"), text);
    }
    expect(readWrittenInstanceSizings(scratch)).toEqual([
      {
        name: "bare",
        database: { engineVersion: "16", allocatedStorageGb: 20, allowMajorVersionUpgrade: false },
      },
      {
        name: "pinned",
        database: {
          engineVersion: "16.8",
          allocatedStorageGb: 40,
          allowMajorVersionUpgrade: false,
        },
      },
      {
        name: "quoted",
        database: { engineVersion: "15", allocatedStorageGb: 20, allowMajorVersionUpgrade: true },
      },
    ]);
  });
});
