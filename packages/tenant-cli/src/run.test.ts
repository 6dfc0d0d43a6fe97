import { loadEnvironment } from "@pgforks/config";
import { captureIo, scratchRoot } from "../test/helpers";
import { runTenantCli, USAGE } from "./run";

describe("runTenantCli", () => {
  let scratch: ReturnType<typeof scratchRoot>;
  beforeEach(() => {
    scratch = scratchRoot();
  });
  afterEach(() => scratch.cleanup());

  const run = (...argv: string[]) => {
    const io = captureIo();
    const code = runTenantCli([...argv, "--root", scratch.root], { io });
    return { code, io };
  };
  const prod = () => loadEnvironment("prod", scratch.environmentsDir);

  it("maps add's options onto the entry", () => {
    const { code, io } = run(
      "add",
      "--env",
      "prod",
      "shop",
      "--owner",
      "shop@example.com",
      "--database",
      "shop_prod",
      "--connection-limit",
      "7",
      "--extensions",
      "citext, pg_trgm",
      "--read-only-role",
      "--description",
      "The shop",
    );
    expect(io.err).toEqual([]);
    expect(code).toBe(0);
    expect(prod().tenants.at(-1)).toEqual(
      expect.objectContaining({
        name: "shop",
        database: "shop_prod",
        owner: "shop@example.com",
        connectionLimit: 7,
        extensions: ["citext", "pg_trgm"],
        readOnlyRole: true,
        description: "The shop",
        state: "active",
      }),
    );
  });

  it.each([
    ["suspend", "suspended"],
    ["retire", "retired"],
  ] as const)("%s moves the tenant to %s", (command, state) => {
    expect(run(command, "--env", "prod", "healthtech").code).toBe(0);
    expect(prod().tenants.find((t) => t.name === "healthtech")?.state).toBe(state);
    expect(run("activate", "--env", "prod", "healthtech").code).toBe(0);
    expect(prod().tenants.find((t) => t.name === "healthtech")?.state).toBe("active");
  });

  it("drop passes --confirm", () => {
    expect(run("drop", "--env", "prod", "fintech").code).toBe(1);
    expect(run("drop", "--env", "prod", "fintech", "--confirm", "fintech_experiment").code).toBe(0);
    expect(prod().tenants.find((t) => t.name === "fintech")?.state).toBe("dropped");
  });

  it("rejects unknown commands, unknown options and stray arguments with the usage", () => {
    for (const argv of [
      ["frobnicate"],
      ["list", "--colour"],
      ["suspend", "--env", "prod", "a", "b"],
      ["suspend", "--env", "prod"],
    ]) {
      const { code, io } = run(...argv);
      expect(code).toBe(1);
      expect(io.err.join("\n")).toMatch(/^error: /);
    }
    expect(run("frobnicate").io.err.join("\n")).toContain(USAGE);
  });

  it("prints the usage for --help", () => {
    const { code, io } = run("check", "--help");
    expect(code).toBe(0);
    expect(io.out).toEqual([USAGE]);
  });
});
