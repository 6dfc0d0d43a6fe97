// One temp folder per Jest run: every worker (and every child it starts: cdktf's test outdirs,
// Terraform, PostgreSQL) writes its temporary files under it, and globalTeardown removes it, so
// `npm test` leaves nothing in the machine's temp folder even when a test forgets to clean up.
const { chmodSync, mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

module.exports = async () => {
  const root = mkdtempSync(join(tmpdir(), "pgforks-jest-"));
  // Traversable (not listable) by the unprivileged user PostgreSQL runs as when tests run as root.
  chmodSync(root, 0o711);
  process.env.PGFORKS_JEST_TMPDIR = root;
  process.env.TMPDIR = root;
  // The tests read this repository's environments/ (and pass a copy's folder explicitly where
  // they test the variable): one exported in the shell, as the README shows for a copy, made
  // dozens of them read the copy instead, and the committed-files checks compare the copy.
  delete process.env.PGFORKS_ENVIRONMENTS_DIR;
};
