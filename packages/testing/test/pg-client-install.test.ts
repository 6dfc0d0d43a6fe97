import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// tools/pg-client/install.sh must say where psql is: the README's "connect to a fork" step uses
// that folder. Run on a copy of the script in a scratch tree whose client is already there (the
// reuse path: no download), with a stand-in pg_dump that reports the pinned version.
const root = resolve(__dirname, "../../..");
let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), "pgforks-pg-client-"));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

it("names the folder of psql, pg_dump and pg_restore when the client is already installed", () => {
  mkdirSync(join(scratch, "tools", "pg-client"), { recursive: true });
  copyFileSync(
    join(root, "tools", "pg-client", "install.sh"),
    join(scratch, "tools", "pg-client", "install.sh"),
  );
  const bin = join(scratch, ".tools", "pg-client", "pgserver", "pginstall", "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "pg_dump"), "#!/bin/sh\necho 'pg_dump (PostgreSQL) 16.2'\n");
  chmodSync(join(bin, "pg_dump"), 0o755);

  const run = spawnSync("bash", [join(scratch, "tools", "pg-client", "install.sh")], {
    encoding: "utf8",
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.stdout).toBe(
    "pg-client: PostgreSQL 16.2 client in .tools/pg-client (reused): psql, pg_dump and pg_restore are in .tools/pg-client/pgserver/pginstall/bin\n",
  );
});
