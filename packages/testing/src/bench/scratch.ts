import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A benchmark's temporary folder (`<tmp>/<prefix>XXXXXX`) and the function that removes it,
 * which also runs on ctrl-C and SIGTERM (exit 130), so that no run leaves one behind.
 */
export function benchScratch(prefix: string): { scratch: string; cleanup: () => void } {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(scratch, { recursive: true, force: true });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }
  return { scratch, cleanup };
}
