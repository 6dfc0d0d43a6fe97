// Removes the run's temp folder (see jest-global-setup.js).
const { rmSync } = require("node:fs");

module.exports = async () => {
  const root = process.env.PGFORKS_JEST_TMPDIR;
  // Retries: a child process a test started (tsx writing its cache) may still be finishing a
  // write, which makes a single pass fail with ENOTEMPTY and leave the folder behind.
  if (root) rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
};
