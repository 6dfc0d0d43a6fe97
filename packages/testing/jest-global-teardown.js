// Removes the run's temp folder (see jest-global-setup.js).
const { rmSync } = require("node:fs");

module.exports = async () => {
  const root = process.env.PGFORKS_JEST_TMPDIR;
  if (root) rmSync(root, { recursive: true, force: true });
};
