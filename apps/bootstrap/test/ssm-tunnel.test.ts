import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "@pgforks/config";
import { BASTION_SCHEDULE_TAG } from "@pgforks/network";

// .github/scripts/ssm-tunnel.sh with a stand-in `aws` on PATH. The stand-in is a MODEL of the AWS
// CLI, not AWS: one bastion and its Session Manager sessions kept in a JSON file that every call
// reads and writes, answering the script's --query shapes with the text output the real CLI would
// print. What it models from the AWS documentation:
// - start-session prints "Starting session with SessionId: <id>" (aws/aws-cli#5965), then the
//   plugin listens on localPortNumber;
// - a client that is killed leaves its session listed by describe-sessions --state Active ("all
//   active sessions (both connected and disconnected)", DescribeSessions API reference);
// - terminate-session ends a session (TerminateSession API reference); with `terminateLag` the
//   session stays listed as it was, the worst case of how quickly the list catches up;
// - stop-instances fails with the CLI's error when `failStop` is set.
// Nothing here ran against AWS.
const script = join(repoRoot(), ".github/scripts/ssm-tunnel.sh");
const tmp = mkdtempSync(join(tmpdir(), "pgforks-tunnel-"));
const bin = join(tmp, "bin");
const stateFile = join(tmp, "aws-state.json");
const calls = join(tmp, "aws-calls.jsonl");
const BASTION = "i-0123456789abcdef0";
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Session {
  id: string;
  target: string;
  status: string;
}
interface AwsState {
  instance: { id: string; state: "running" | "stopped"; schedule: string | null };
  sessions: Session[];
  failStop?: boolean;
  terminateLag?: boolean;
  startSessionFails?: boolean;
  /** Another job's close stops the bastion just as this job's first start-session begins. */
  stoppedDuringOpen?: boolean;
}

function readState(): AwsState {
  return JSON.parse(readFileSync(stateFile, "utf8")) as AwsState;
}

/** Installs the stand-in `aws` with the given bastion and sessions. */
function fakeAws(
  state: Partial<Omit<AwsState, "instance">> & { instance: Omit<AwsState["instance"], "id"> },
) {
  mkdirSync(bin, { recursive: true });
  rmSync(calls, { force: true });
  writeFileSync(
    stateFile,
    JSON.stringify({ sessions: [], ...state, instance: { id: BASTION, ...state.instance } }),
  );
  const file = join(bin, "aws");
  writeFileSync(
    file,
    `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
const command = args.slice(0, 2).join(" ");
const arg = (name) => args[args.indexOf(name) + 1];
const load = () => JSON.parse(fs.readFileSync(${JSON.stringify(stateFile)}, "utf8"));
const save = (s) => fs.writeFileSync(${JSON.stringify(stateFile)}, JSON.stringify(s));
fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify(args) + "\\n");
const s = load();
const ACTIVE = ["Connected", "Connecting", "Disconnected", "Terminating"];
switch (command) {
  case "ec2 describe-instances":
    console.log(s.instance.state + "\\t" + (s.instance.schedule ?? "None"));
    break;
  case "ec2 start-instances":
    s.instance.state = "running";
    save(s);
    break;
  case "ec2 stop-instances":
    if (s.failStop) {
      console.error("An error occurred (UnauthorizedOperation) when calling the StopInstances operation: You are not authorized to perform this operation.");
      process.exit(254);
    }
    s.instance.state = "stopped";
    for (const session of s.sessions) session.status = "Terminated";
    save(s);
    break;
  case "ec2 wait":
    break;
  case "ssm describe-instance-information":
    console.log(s.instance.state === "running" ? "Online" : "ConnectionLost");
    break;
  case "ssm describe-sessions": {
    const target = arg("--filters").split(",").find((kv) => kv.startsWith("value=")).slice(6);
    for (const session of s.sessions)
      if (session.target === target && ACTIVE.includes(session.status))
        console.log(session.id + "\\t" + session.status);
    break;
  }
  case "ssm terminate-session": {
    const session = s.sessions.find((x) => x.id === arg("--session-id"));
    if (!session) {
      console.error("An error occurred (DoesNotExistException) when calling the TerminateSession operation");
      process.exit(254);
    }
    if (!s.terminateLag) session.status = "Terminating";
    save(s);
    console.log(JSON.stringify({ SessionId: session.id }));
    break;
  }
  case "ssm start-session": {
    if (s.stoppedDuringOpen) {
      s.stoppedDuringOpen = false;
      s.instance.state = "stopped";
      save(s);
      console.error("An error occurred (TargetNotConnected) when calling the StartSession operation: ${BASTION} is not connected.");
      process.exit(254);
    }
    if (s.startSessionFails) {
      console.error("An error occurred (TargetNotConnected) when calling the StartSession operation: ${BASTION} is not connected.");
      process.exit(254);
    }
    const id = "pgforks-ci-" + require("crypto").randomBytes(8).toString("hex");
    s.sessions.push({ id, target: arg("--target"), status: "Connected" });
    save(s);
    fs.writeFileSync(${JSON.stringify(join(tmp, "aws-args.json"))}, JSON.stringify(args));
    const params = Object.fromEntries(arg("--parameters").split(",").map((kv) => kv.split("=")));
    console.log("\\nStarting session with SessionId: " + id);
    const server = require("net").createServer((socket) => socket.end());
    setTimeout(() => server.listen(Number(params.localPortNumber), "127.0.0.1", () => {
      console.log("Port " + params.localPortNumber + " opened for sessionId " + id + ".\\nWaiting for connections...");
    }), 300);
    // Killing the client drops the data channel; the session stays listed Active.
    process.on("SIGTERM", () => process.exit(0));
    return;
  }
  default:
    console.error("stand-in aws: unexpected call " + command);
    process.exit(2);
}
`,
  );
  chmodSync(file, 0o755);
}

/** The `aws <service> <command>` calls so far, in order. */
function awsCalls(): string[] {
  if (!existsSync(calls)) return [];
  return readFileSync(calls, "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as string[]).slice(0, 2).join(" "));
}

const count = (command: string) => awsCalls().filter((c) => c === command).length;

/** A CI job: its own RUNNER_TEMP (state files), as on its own runner. */
function job(name: string, extraEnv: Record<string, string> = {}) {
  const runnerTemp = join(tmp, name);
  rmSync(runnerTemp, { recursive: true, force: true });
  mkdirSync(runnerTemp, { recursive: true });
  const run = (...args: string[]) =>
    spawnSync("bash", [script, ...args], {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        RUNNER_TEMP: runnerTemp,
        SSM_TUNNEL_TIMEOUT_SECONDS: "10",
        ...extraEnv,
      },
      encoding: "utf8",
      timeout: 30_000,
    });
  return {
    runnerTemp,
    async open() {
      const port = await freePort();
      const result = run("open", BASTION, "db.example.internal", "5432", String(port));
      return { ...result, port };
    },
    close: () => run("close"),
    run,
  };
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
  it("reads the schedule from the tag packages/network sets on the instance", () => {
    expect(readFileSync(script, "utf8")).toContain(`SCHEDULE_TAG="${BASTION_SCHEDULE_TAG}"`);
  });

  it("opens the port-forwarding session, records its id, and on close terminates it; an always-on bastion keeps running", async () => {
    fakeAws({ instance: { state: "running", schedule: "always-on" } });
    const a = job("always-on");
    const open = await a.open();
    expect([open.status, open.stderr]).toEqual([0, ""]);
    const [session] = readState().sessions;
    expect(open.stdout).toContain(
      `127.0.0.1:${open.port} -> db.example.internal:5432 via ${BASTION} (session ${session?.id})`,
    );
    expect(JSON.parse(readFileSync(join(tmp, "aws-args.json"), "utf8"))).toEqual([
      "ssm",
      "start-session",
      "--target",
      BASTION,
      "--document-name",
      "AWS-StartPortForwardingSessionToRemoteHost",
      "--parameters",
      `host=db.example.internal,portNumber=5432,localPortNumber=${open.port}`,
    ]);
    expect(portOpen(open.port)).toBe(true);

    const close = a.close();
    expect([close.status, close.stderr]).toEqual([0, ""]);
    expect(close.stdout).toContain(`session ${session?.id} terminated`);
    expect(close.stdout).toContain("its schedule is always-on");
    expect(portOpen(open.port)).toBe(false);
    expect(readState().instance.state).toBe("running");
    expect(count("ec2 start-instances") + count("ec2 stop-instances")).toBe(0);
    // No state left for a later close to act on.
    for (const file of ["pid", "target", "session", "err"]) {
      expect(existsSync(join(a.runnerTemp, `ssm-tunnel.${file}`))).toBe(false);
    }
  }, 40_000);

  it("never stops an always-on bastion, even one found stopped and started for the job", async () => {
    fakeAws({ instance: { state: "stopped", schedule: "always-on" } });
    const a = job("always-on-started");
    expect((await a.open()).status).toBe(0);
    expect(a.close().status).toBe(0);
    expect([count("ec2 start-instances"), count("ec2 stop-instances")]).toEqual([1, 0]);
    expect(readState().instance.state).toBe("running");
  }, 40_000);

  it("a lone job stops the on-demand bastion although its own session is still listed Active", async () => {
    // terminateLag: terminate-session succeeds but the list still shows the session Connected.
    fakeAws({ instance: { state: "stopped", schedule: "on-demand" }, terminateLag: true });
    const a = job("lone");
    expect((await a.open()).status).toBe(0);
    const close = a.close();
    expect([close.status, close.stderr]).toEqual([0, ""]);
    expect(readState().sessions.map((s) => s.status)).toEqual(["Terminated"]);
    expect(awsCalls()).toEqual([
      "ec2 describe-instances",
      "ec2 start-instances",
      "ec2 wait",
      "ssm describe-instance-information",
      "ssm start-session",
      "ssm terminate-session",
      "ec2 describe-instances",
      "ssm describe-sessions",
      "ec2 stop-instances",
    ]);
    expect(close.stdout).toContain(`bastion ${BASTION} stopped`);
  }, 40_000);

  it("overlap: A starts it, B joins, A closes (left running for B), B closes (stopped, once)", async () => {
    fakeAws({ instance: { state: "stopped", schedule: "on-demand" } });
    const a = job("deploy");
    const b = job("audit");
    expect((await a.open()).status).toBe(0);
    expect((await b.open()).status).toBe(0);
    expect(count("ec2 start-instances")).toBe(1);
    const bSession = readState().sessions[1]?.id;

    const closeA = a.close();
    expect([closeA.status, closeA.stderr]).toEqual([0, ""]);
    expect(closeA.stdout).toContain(`1 other session(s) use it: ${bSession} (Connected)`);
    expect(count("ec2 stop-instances")).toBe(0);
    expect(readState().instance.state).toBe("running");

    // B did not start the bastion; it stops it all the same, as the last one out.
    const closeB = b.close();
    expect([closeB.status, closeB.stderr]).toEqual([0, ""]);
    expect(closeB.stdout).toContain(`bastion ${BASTION} stopped`);
    expect(count("ec2 stop-instances")).toBe(1);
    expect(readState().instance.state).toBe("stopped");
  }, 60_000);

  it("leaves the bastion running while a session it cannot end (a lost runner's) is listed", async () => {
    fakeAws({
      instance: { state: "running", schedule: "on-demand" },
      sessions: [{ id: "pgforks-ci-lostrunner", target: BASTION, status: "Disconnected" }],
    });
    const a = job("after-lost-runner");
    expect((await a.open()).status).toBe(0);
    const close = a.close();
    expect(close.stdout).toContain("pgforks-ci-lostrunner (Disconnected)");
    expect(count("ec2 stop-instances")).toBe(0);
  }, 40_000);

  it("does not count other sessions that are ending or failed (a job closing at the same time)", async () => {
    fakeAws({
      instance: { state: "running", schedule: "on-demand" },
      sessions: [
        { id: "pgforks-ci-closing", target: BASTION, status: "Terminating" },
        { id: "pgforks-ci-failed", target: BASTION, status: "Failed" },
        { id: "pgforks-ci-elsewhere", target: "i-0fedcba9876543210", status: "Connected" },
      ],
    });
    const a = job("others-ending");
    expect((await a.open()).status).toBe(0);
    const close = a.close();
    expect([close.status, close.stderr]).toEqual([0, ""]);
    expect(close.stdout).toContain(`bastion ${BASTION} stopped`);
    expect(count("ec2 stop-instances")).toBe(1);
  }, 40_000);

  it("does not guess a schedule: a bastion without the tag is not stopped, with a warning", async () => {
    fakeAws({ instance: { state: "stopped", schedule: null } });
    const a = job("untagged");
    expect((await a.open()).status).toBe(0);
    const close = a.close();
    expect(close.status).toBe(0);
    expect(close.stderr).toContain(
      `::warning::bastion ${BASTION} not stopped: its ${BASTION_SCHEDULE_TAG} tag is 'None', expected on-demand or always-on`,
    );
    expect(count("ec2 stop-instances")).toBe(0);
  }, 40_000);

  it("a failed stop is an ::error:: annotation; the step fails only with SSM_TUNNEL_ON_STOP_FAILURE=fail", async () => {
    for (const [mode, status] of [
      ["warn", 0],
      ["fail", 1],
    ] as const) {
      fakeAws({ instance: { state: "stopped", schedule: "on-demand" }, failStop: true });
      const a = job(`stop-fails-${mode}`, { SSM_TUNNEL_ON_STOP_FAILURE: mode });
      expect((await a.open()).status).toBe(0);
      const close = a.close();
      expect(close.status).toBe(status);
      const errors = close.stderr.split("\n").filter((l) => l.startsWith("::error::"));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`the on-demand bastion ${BASTION} was not stopped`);
      expect(errors[0]).toContain("UnauthorizedOperation");
      expect(errors[0]).toContain(`aws ec2 stop-instances --instance-ids ${BASTION}`);
      expect(readState().instance.state).toBe("running");
      expect(existsSync(join(a.runnerTemp, "ssm-tunnel.target"))).toBe(false);
    }
  }, 60_000);

  it("refuses an unknown SSM_TUNNEL_ON_STOP_FAILURE with one line naming it and what is allowed", () => {
    fakeAws({ instance: { state: "running", schedule: "on-demand" } });
    const close = job("bad-mode", { SSM_TUNNEL_ON_STOP_FAILURE: "ignore" }).close();
    expect(close.status).toBe(2);
    expect(close.stderr).toBe(
      "ssm-tunnel.sh: SSM_TUNNEL_ON_STOP_FAILURE is 'ignore'; allowed: warn, fail\n",
    );
    expect(awsCalls()).toEqual([]);
  });

  it("fails with the CLI's error when the session cannot start, and close still stops what open started", async () => {
    fakeAws({ instance: { state: "stopped", schedule: "on-demand" }, startSessionFails: true });
    const a = job("session-fails");
    const open = await a.open();
    expect(open.status).toBe(1);
    expect(open.stderr).toContain("exited before the tunnel opened");
    expect(open.stderr).toContain("TargetNotConnected");
    const close = a.close();
    expect(close.status).toBe(0);
    expect(awsCalls()).not.toContain("ssm terminate-session");
    expect(count("ec2 stop-instances")).toBe(1);
  }, 40_000);

  it("starts the bastion again, once, when another job's close stopped it while this one opened", async () => {
    fakeAws({ instance: { state: "running", schedule: "on-demand" }, stoppedDuringOpen: true });
    const a = job("stopped-during-open");
    const open = await a.open();
    expect([open.status, open.stderr]).toEqual([0, ""]);
    expect(open.stdout).toContain(
      `the bastion ${BASTION} is stopped (another job's close stopped it while this job opened): starting it again`,
    );
    expect([count("ssm start-session"), count("ec2 start-instances")]).toEqual([2, 1]);
    expect(portOpen(open.port)).toBe(true);
    expect(a.close().status).toBe(0);
    expect(count("ec2 stop-instances")).toBe(1);
  }, 40_000);

  it("close without open touches nothing", () => {
    fakeAws({ instance: { state: "running", schedule: "on-demand" } });
    const close = job("no-open").close();
    expect([close.status, close.stdout, close.stderr]).toEqual([0, "", ""]);
    expect(awsCalls()).toEqual([]);
  });

  it("refuses missing arguments", () => {
    const a = job("usage");
    expect(a.run("open", "i-0123").status).toBe(2);
    expect(a.run("nonsense").status).toBe(2);
  });
});
