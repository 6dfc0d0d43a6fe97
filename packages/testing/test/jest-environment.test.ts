import { rmSync } from "node:fs";

describe("the environment every test file runs in (jest-global-setup.js)", () => {
  it("has no PGFORKS_ENVIRONMENTS_DIR from the shell that started Jest", async () => {
    // The tests read this repository's environments/; the README has people export the variable
    // for a copy. globalSetup runs in Jest's parent process, so it is called here on its own.
    const saved = { ...process.env };
    process.env.PGFORKS_ENVIRONMENTS_DIR = "/elsewhere/environments";
    try {
      const globalSetup = require("../jest-global-setup.js") as () => Promise<void>;
      await globalSetup();
      expect(process.env.PGFORKS_ENVIRONMENTS_DIR).toBeUndefined();
      const root = process.env.PGFORKS_JEST_TMPDIR;
      if (root && root !== saved.PGFORKS_JEST_TMPDIR)
        rmSync(root, { recursive: true, force: true });
    } finally {
      for (const key of Object.keys(process.env)) {
        if (!(key in saved)) delete process.env[key];
      }
      Object.assign(process.env, saved);
    }
    // This worker inherited the parent's environment after the real globalSetup ran.
    expect(saved.PGFORKS_ENVIRONMENTS_DIR).toBeUndefined();
  });
});
