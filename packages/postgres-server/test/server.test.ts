// Tests of @pgforks/testing's startPostgres discovery (that package has no Jest run of its own);
// starting and stopping real servers is covered by every other test file here.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import {
  DEBIAN_POSTGRES_LIB_DIR,
  findPostgresBinDir,
  PG_BIN_ENV,
  PostgresNotFoundError,
} from "@pgforks/testing";

test("a folder without initdb/pg_ctl gives an error that says how to install them", () => {
  expect(() => findPostgresBinDir("/nonexistent/bin")).toThrow(PostgresNotFoundError);
  expect(() => findPostgresBinDir(undefined, { [PG_BIN_ENV]: "/nonexistent/bin" })).toThrow(
    /initdb, pg_ctl.*install Debian's postgresql package/i,
  );
});

test("without PATH it falls back to the highest /usr/lib/postgresql/<major>/bin", () => {
  const majors = existsSync(DEBIAN_POSTGRES_LIB_DIR)
    ? readdirSync(DEBIAN_POSTGRES_LIB_DIR).filter((v) =>
        existsSync(join(DEBIAN_POSTGRES_LIB_DIR, v, "bin", "initdb")),
      )
    : [];
  if (majors.length === 0) {
    expect(() => findPostgresBinDir(undefined, { PATH: "" })).toThrow(PostgresNotFoundError);
    return;
  }
  const highest = majors.sort((a, b) => Number(a) - Number(b)).at(-1) ?? "";
  expect(findPostgresBinDir(undefined, { PATH: "" })).toBe(
    join(DEBIAN_POSTGRES_LIB_DIR, highest, "bin"),
  );
});

test("$PGFORKS_PG_BIN wins over PATH, and PATH needs both binaries in one folder", () => {
  const root = mkdtempSync(join(tmpdir(), "pgforks-bin-"));
  const folder = (name: string, binaries: readonly string[]) => {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const binary of binaries) {
      writeFileSync(join(dir, binary), "#!/bin/sh\n");
      chmodSync(join(dir, binary), 0o755);
    }
    return dir;
  };
  try {
    const half = folder("half", ["initdb"]);
    const full = folder("full", ["initdb", "pg_ctl"]);
    const pinned = folder("pinned", ["initdb", "pg_ctl"]);
    const PATH = [half, full].join(delimiter);
    expect(findPostgresBinDir(undefined, { PATH })).toBe(full);
    expect(findPostgresBinDir(undefined, { PATH, [PG_BIN_ENV]: pinned })).toBe(pinned);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
