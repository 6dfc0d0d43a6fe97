import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, stopPostgres } from "@pgforks/postgres-server";
import { explainStartFailure, localPort, resetLocal } from "../src/local-target";

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

describe("localPort (PGFORKS_LOCAL_PORT)", () => {
  it.each(["abc", "80", "99999", "0x1000", "1e4", "5432.0", " 5432", "-5432", "+5432"])(
    "refuses %j in one line naming the variable, what was found and what is allowed",
    (raw) => {
      expect(() => localPort({ PGFORKS_LOCAL_PORT: raw })).toThrow(
        new Error(
          `PGFORKS_LOCAL_PORT: must be a port number from 1024 to 65535 in decimal digits (found "${raw}")`,
        ),
      );
    },
  );

  it.each([
    ["54394", 54394],
    ["1024", 1024],
    ["65535", 65535],
  ])("takes %j", (raw, port) => {
    expect(localPort({ PGFORKS_LOCAL_PORT: raw })).toBe(port);
  });
});

describe("explainStartFailure", () => {
  let root: string;
  let taken: Server;
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), "pgforks-local-port-"));
    // The server's unprivileged user (when the tests run as root) must traverse it, as .local.
    chmodSync(root, 0o711);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await stopPostgres(join(root, "postgres"));
    rmSync(root, { recursive: true, force: true });
  });

  it("ends a real start on a taken port with the fix: PGFORKS_LOCAL_PORT", async () => {
    const address = taken.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const failure = await startPostgres({ persistent: { dir: join(root, "postgres"), port } }).then(
      () => new Error("the server started on a taken port"),
      (error: unknown) => explainStartFailure(error, port) as Error,
    );
    const lines = failure.message.split("\n");
    expect(lines[0]).toMatch(/^pg_ctl start failed/);
    expect(failure.message).toMatch(/could not bind IPv4 address "127\.0\.0\.1"/);
    expect(lines.at(-1)).toBe(
      `Fix: port ${port} is taken (another PostgreSQL, perhaps another clone's npm start): stop that server, or set PGFORKS_LOCAL_PORT to a free port from 1024 to 65535 and run npm start again.`,
    );
  }, 120_000);

  it("leaves any other failure as it is", () => {
    const other = new Error("initdb failed (exit 1)");
    expect(explainStartFailure(other, 54316)).toBe(other);
  });
});
