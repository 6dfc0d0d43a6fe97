// The tenant-name rule's reserved key words are PostgreSQL 16's own: compared with a real server.
import { identifierProblem, SQL_RESERVED_WORDS } from "@pgforks/config";
import { startPostgres, type TemporaryPostgres } from "@pgforks/postgres-server";

let server: TemporaryPostgres | undefined;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(() => server?.stop(), 60_000);

describe("SQL_RESERVED_WORDS", () => {
  it("is exactly what PostgreSQL 16 reserves (pg_get_keywords: reserved, and reserved but function or type)", async () => {
    const rows = JSON.parse(
      await (server as TemporaryPostgres).superuserSql(
        "SELECT coalesce(json_agg(word ORDER BY word), '[]') AS words FROM pg_get_keywords() WHERE catcode IN ('R', 'T')",
      ),
    ) as Array<{ words: string[] }>;
    const reserved = rows[0]?.words ?? [];
    expect(reserved.length).toBeGreaterThan(90);
    expect([...SQL_RESERVED_WORDS].sort()).toEqual(reserved);
  });

  it.each(["join", "left", "select"])("refuses a tenant named %s", (name) => {
    expect(identifierProblem(name)).toBe("is a reserved SQL key word in PostgreSQL");
  });
});
