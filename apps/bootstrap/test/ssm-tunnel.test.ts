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

const calls = join(tmp, "aws-calls.jsonl");

/** The `aws <service> <command>` calls of the fake other than start-session, in order. */
function awsCalls(): string[] {
  if (!existsSync(calls)) return [];
  return readFileSync(calls, "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as string[]).slice(0, 2).join(" "));
}

/**
 * A fake `aws`: `ec2 describe-instances` reports `state` (then "running" once started), the SSM
 * agent is online, `describe-sessions` reports `otherSessions`; start-session behaves as asked.
 */
function fakeAws(
  behaviour: "listen" | "fail",
  state: "running" | "stopped" = "running",
  otherSessions = 0,
): void {
  spawnSync("mkdir", ["-p", bin]);
  rmSync(calls, { force: true });
  const file = join(bin, "aws");
  writeFileSync(
    file,
    `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
const command = args.slice(0, 2).join(" ");
if (command !== "ssm start-session") {
  fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(args) + "\\n");
  const started = fs.readFileSync(${JSON.stringify(calls)}, "utf8").includes("start-instances");
  const answers = {
    "ec2 describe-instances": started ? "running" : ${JSON.stringify(state)},
    "ssm describe-instance-information": "Online",
    "ssm describe-sessions": ${JSON.stringify(String(otherSessions))},
  };
  if (command in answers) console.log(answers[command]);
  process.exit(0);
}
fs.writeFileSync(${JSON.stringify(join(tmp, "aws-args.json"))}, JSON.stringify(args));
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
    // A running (always-on) bastion is neither started nor stopped.
    expect(awsCalls()).toEqual(["ec2 describe-instances", "ssm describe-instance-information"]);
  }, 40_000);

  it("starts a stopped bastion before the session and stops it after, when no one else uses it", async () => {
    fakeAws("listen", "stopped");
    const port = await freePort();
    const open = tunnel("open", "i-0123456789abcdef0", "db.example.internal", "5432", String(port));
    expect([open.status, open.stderr]).toEqual([0, ""]);
    expect(portOpen(port)).toBe(true);
    expect(tunnel("close").status).toBe(0);
    expect(awsCalls()).toEqual([
      "ec2 describe-instances",
      "ec2 start-instances",
      "ec2 wait",
      "ssm describe-instance-information",
      "ssm describe-sessions",
      "ec2 stop-instances",
    ]);
    expect(existsSync(join(tmp, "ssm-tunnel.started"))).toBe(false);
  }, 40_000);

  it("leaves a bastion it started running while another session uses it", async () => {
    fakeAws("listen", "stopped", 1);
    const port = await freePort();
    expect(
      tunnel("open", "i-0123456789abcdef0", "db.example.internal", "5432", String(port)).status,
    ).toBe(0);
    const close = tunnel("close");
    expect(close.stdout).toContain("1 other session(s) use it");
    expect(awsCalls()).not.toContain("ec2 stop-instances");
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
