import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// tools/pg-client/install.sh must say where psql is: the README's "connect to a fork" step uses
// that folder; and that the programs have no TLS, so they cannot serve the backup runbook on RDS. Run on a copy of the script in a scratch tree whose client is already there (the
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
  copyFileSync(join(root, "tools", "script-usage.sh"), join(scratch, "tools", "script-usage.sh"));
  const bin = join(scratch, ".tools", "pg-client", "pgserver", "pginstall", "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "pg_dump"), "#!/bin/sh\necho 'pg_dump (PostgreSQL) 16.2'\n");
  chmodSync(join(bin, "pg_dump"), 0o755);

  const run = spawnSync("bash", [join(scratch, "tools", "pg-client", "install.sh")], {
    encoding: "utf8",
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(run.stdout.split("\n")).toEqual([
    "pg-client: PostgreSQL 16.2 client in .tools/pg-client (reused): psql, pg_dump and pg_restore are in .tools/pg-client/pgserver/pginstall/bin",
    // The wheel's programs have no TLS (`sslmode value "require" invalid when SSL support is not
    // compiled in`): whoever installs them for the backup runbook must learn they cannot reach RDS.
    'pg-client: built without TLS: for the local server (npm start) and the tests only; RDS requires TLS: docs/operations.md, "Backup and restore of one tenant", says which client to use there',
    "",
  ]);
});
