#!/usr/bin/env node
// The `pgforks` command (bin of @pgforks/cli): src/main.ts in this very process, with tsx's loader
// found from this file, so `npx pgforks` works from any folder (`npx --prefix <repo> pgforks` too).
// Not through the tsx program: it runs the command in a child process and kills it (SIGKILL)
// when ctrl-C finds it busy, so a tenant command could never say whether its change was written.
import "tsx";

await import("../src/main.ts");
