import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";

// .github/scripts/ssm-tunnel.sh with a fake `aws` on PATH: the fake parses the same
// --parameters the real CLI gets and listens on localPortNumber, as the Session Manager plugin does.
const script = join(repoRoot(), ".github/scripts/ssm-tunnel.sh");
const tmp = mkdtempSync(join(tmpdir(), "pgforks-tunnel-"));
const bin = join(tmp, "bin");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeAws(behaviour: "listen" | "fail"): void {
  spawnSync("mkdir", ["-p", bin]);
  const file = join(bin, "aws");
  writeFileSync(
    file,
    `#!/usr/bin/env node
const args = process.argv.slice(2);
require("fs").writeFileSync(${JSON.stringify(join(tmp, "aws-args.json"))}, JSON.stringify(args));
${
  behaviour === "fail"
    ? 'console.error("An error occurred (AccessDeniedException) when calling the StartSession operation"); process.exit(254);'
    : `const params = Object.fromEntries(args[args.indexOf("--parameters") + 1].split(",").map((kv) => kv.split("=")));
const server = require("net").createServer((socket) => socket.end());
setTimeout(() => server.listen(Number(params.localPortNumber), "127.0.0.1"), 300);
process.on("SIGTERM", () => process.exit(0));`
}
`,
  );
  chmodSync(file, 0o755);
}

function tunnel(...args: string[]) {
  return spawnSync("bash", [script, ...args], {
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      RUNNER_TEMP: tmp,
      SSM_TUNNEL_TIMEOUT_SECONDS: "10",
    },
    encoding: "utf8",
    timeout: 30_000,
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function portOpen(port: number): boolean {
  return spawnSync("bash", ["-c", `(exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null`]).status === 0;
}

describe("ssm-tunnel.sh", () => {
  it("opens the port-forwarding session, waits for the local port, and closes it", async () => {
    fakeAws("listen");
    const port = await freePort();
    const open = tunnel("open", "i-0123456789abcdef0", "db.example.internal", "5432", String(port));
    expect(open.stderr).toBe("");
    expect(open.status).toBe(0);
    expect(open.stdout).toContain(
      `127.0.0.1:${port} -> db.example.internal:5432 via i-0123456789abcdef0`,
    );
    expect(JSON.parse(readFileSync(join(tmp, "aws-args.json"), "utf8"))).toEqual([
      "ssm",
      "start-session",
      "--target",
      "i-0123456789abcdef0",
      "--document-name",
      "AWS-StartPortForwardingSessionToRemoteHost",
      "--parameters",
      `host=db.example.internal,portNumber=5432,localPortNumber=${port}`,
    ]);
    expect(portOpen(port)).toBe(true);

    const close = tunnel("close");
    expect(close.status).toBe(0);
    expect(portOpen(port)).toBe(false);
    expect(existsSync(join(tmp, "ssm-tunnel.pid"))).toBe(false);
  }, 40_000);

  it("fails with the CLI's error when the session cannot start", async () => {
    fakeAws("fail");
    const port = await freePort();
    const open = tunnel("open", "i-0123456789abcdef0", "db.example.internal", "5432", String(port));
    expect(open.status).toBe(1);
    expect(open.stderr).toContain("exited before the tunnel opened");
    expect(open.stderr).toContain("AccessDeniedException");
    expect(tunnel("close").status).toBe(0);
  }, 40_000);

  it("refuses missing arguments", () => {
    expect(tunnel("open", "i-0123").status).toBe(2);
    expect(tunnel("nonsense").status).toBe(2);
  });
});
