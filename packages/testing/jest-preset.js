// Shared Jest settings: every package's jest.config.js spreads this.
// @swc/jest strips types only (fast); type errors are caught by `tsc` in the typecheck task.
const path = require("node:path");

module.exports = {
  // Jest's transform cache stays in the checkout (node_modules/.cache), not in the OS temp folder.
  cacheDirectory: path.join(__dirname, "..", "..", "node_modules", ".cache", "jest"),
  testEnvironment: "node",
  transform: { "^.+\\.tsx?$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  testMatch: ["<rootDir>/test/**/*.test.ts"],
  setupFilesAfterEnv: [require.resolve("./jest-setup.js")],
  globalSetup: require.resolve("./jest-global-setup.js"),
  globalTeardown: require.resolve("./jest-global-teardown.js"),
};
