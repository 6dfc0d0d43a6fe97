import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { NODE_MAJOR_ENV, turboEnvironment } from "../src/turbo-env";

const root = resolve(__dirname, "../../..");

/** The hash Turborepo would cache @pgforks/kms's test under, with `env`. */
function testTaskHash(env: NodeJS.ProcessEnv): string {
  const result = spawnSync("npx", ["turbo", "run", "test", "--dry=json", "--filter=@pgforks/kms"], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  expect(result.status).toBe(0);
  const dry = JSON.parse(result.stdout) as { tasks: Array<{ taskId: string; hash: string }> };
  const task = dry.tasks.find((t) => t.taskId === "@pgforks/kms#test");
  if (!task) throw new Error("no @pgforks/kms#test in turbo's dry run");
  return task.hash;
}

describe("Turborepo's cache and the Node version", () => {
  it("npm test tells Turborepo the running Node major, keeping the rest of the environment", () => {
    const env = turboEnvironment({ PATH: "/bin", CI: "true" }, "24.22.3");
    expect(env).toEqual({ PATH: "/bin", CI: "true", [NODE_MAJOR_ENV]: "24" });
    expect(turboEnvironment({}, "20.20.2")[NODE_MAJOR_ENV]).toBe("20");
  });

  it("a test result cached on one Node major is not replayed on another", () => {
    const on20 = testTaskHash(turboEnvironment(process.env, "20.20.2"));
    expect(testTaskHash(turboEnvironment(process.env, "20.1.0"))).toBe(on20);
    expect(testTaskHash(turboEnvironment(process.env, "24.22.3"))).not.toBe(on20);
  }, 240_000);
});
