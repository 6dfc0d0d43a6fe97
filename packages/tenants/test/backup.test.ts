import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadEnvironment, TUNNEL_HOST, tenantDatabaseName } from "@pgforks/config";
import { environmentFixture } from "@pgforks/testing";
import { backupCommands, environmentAdminConnection, restoreCommands } from "../src/backup";

const connection = { host: "127.0.0.1", port: 15432, user: "forks_admin" };
const tenant = { name: "healthtech", database: "healthtech_experiment" };

describe("backupCommands", () => {
  it("grants the admin the tenant's role around the dump, and revokes it", () => {
    const [grant, dump, revoke] = backupCommands(connection, tenant);
    expect(grant).toContain(`-c 'GRANT "healthtech" TO "forks_admin" WITH INHERIT TRUE'`);
    expect(grant).toContain("dbname=postgres sslmode=require");
    expect(dump).toMatch(
      /^pg_dump ".*dbname=healthtech_experiment sslmode=require" --format=custom /,
    );
    expect(revoke).toContain(`-c 'REVOKE "healthtech" FROM "forks_admin"'`);
  });

  it("restores as the tenant, without the extensions and the schema the stack keeps", () => {
    const lines = restoreCommands(connection, tenant, "x.dump");
    expect(lines[0]).toBe(
      "pg_restore --list x.dump | grep -v -E ' (EXTENSION|SCHEMA) ' > healthtech_experiment.list",
    );
    expect(lines[2]).toContain("--role=healthtech --no-owner --clean --if-exists");
    expect([lines[1], lines[3]]).toEqual([
      backupCommands(connection, tenant)[0],
      backupCommands(connection, tenant)[2],
    ]);
  });

  it("connects through the tunnel when the environment has one, else names the endpoint", () => {
    const tunneled = environmentFixture({ tunnel: { localPort: 15432 } });
    expect(environmentAdminConnection(tunneled)).toEqual({
      host: TUNNEL_HOST,
      port: 15432,
      user: tunneled.database.masterUsername,
    });
    const direct = environmentFixture();
    expect(environmentAdminConnection(direct)).toEqual({
      host: "<instance endpoint>",
      port: direct.database.port,
      user: direct.database.masterUsername,
    });
  });

  it("is what docs/operations.md tells operators to run, line for line: prod's tunnel, as `tenant drop` prints", () => {
    const runbook = readFileSync(resolve(__dirname, "../../../docs/operations.md"), "utf8");
    const prod = loadEnvironment("prod");
    const healthtech = prod.tenants.find((t) => t.name === "healthtech");
    if (!healthtech) throw new Error("environments/prod/tenants.yaml has no healthtech");
    const documented = { name: healthtech.name, database: tenantDatabaseName(healthtech) };
    const admin = environmentAdminConnection(prod.environment);
    const lines = [
      ...backupCommands(admin, documented),
      ...restoreCommands(admin, documented, `${documented.database}-20261121.dump`),
    ];
    for (const line of lines) expect(runbook.split("\n")).toContain(line);
  });
});
