import { loadEnvironment } from "@pgforks/config";
import { runTenant, type TenantRequest } from "../src/run";
import { captureIo, scratchRoot } from "./helpers";

describe("runTenant", () => {
  let scratch: ReturnType<typeof scratchRoot>;
  beforeEach(() => {
    scratch = scratchRoot();
  });
  afterEach(() => scratch.cleanup());

  const run = async (request: TenantRequest) => {
    const io = captureIo();
    const code = await runTenant({ ...request, root: scratch.root, io });
    return { code, io };
  };
  const prod = () => loadEnvironment("prod", scratch.environmentsDir);

  it("add writes the entry with every option", async () => {
    const { code, io } = await run({
      command: "add",
      env: "prod",
      name: "shop",
      owner: "shop@example.com",
      database: "shop_prod",
      connectionLimit: "7",
      extensions: ["citext", "pg_trgm"],
      readOnlyRole: true,
      description: "The shop",
    });
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
  ] as const)("%s moves the tenant to %s", async (command, state) => {
    expect((await run({ command, env: "prod", name: "healthtech" })).code).toBe(0);
    expect(prod().tenants.find((t) => t.name === "healthtech")?.state).toBe(state);
    expect((await run({ command: "activate", env: "prod", name: "healthtech" })).code).toBe(0);
    expect(prod().tenants.find((t) => t.name === "healthtech")?.state).toBe("active");
  });

  it("drop needs the matching --confirm", async () => {
    const refused = await run({ command: "drop", env: "prod", name: "fintech" });
    expect(refused.code).toBe(1);
    expect(refused.io.err.join("\n")).toContain("needs --confirm fintech_experiment");
    expect(prod().tenants.find((t) => t.name === "fintech")?.state).toBe("active");
    const confirmed = await run({
      command: "drop",
      env: "prod",
      name: "fintech",
      confirm: "fintech_experiment",
    });
    expect(confirmed.code).toBe(0);
    expect(prod().tenants.find((t) => t.name === "fintech")?.state).toBe("dropped");
  });

  it("refuses an unknown environment in one line, exit 1", async () => {
    const { code, io } = await run({ command: "suspend", env: "nowhere", name: "fintech" });
    expect(code).toBe(1);
    expect(io.err).toEqual([expect.stringMatching(/^error: unknown environment "nowhere"/)]);
  });
});
