/**
 * Tests that need a tool this machine may lack (Terraform with the cyrilgdn/postgresql provider,
 * say). Where the tool is missing they are registered as Jest "todo" entries whose names start
 * with "NOT RUN", so Jest reports them as todo (never as passed) and `npm test` prints them loudly
 * and counts them as not run.
 */
export const NOT_RUN_PREFIX = "NOT RUN";

/** `test` when `missing` is undefined; otherwise a loud todo naming what is missing. */
export function testWhen(
  missing: string | undefined,
): (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void {
  if (missing === undefined) {
    // Jest's `test` types a callback as returning void or a Promise, not a union of the two.
    return (name, fn, timeoutMs) =>
      test(
        name,
        async () => {
          await fn();
        },
        timeoutMs,
      );
  }
  return (name) => test.todo(`${NOT_RUN_PREFIX} (${missing}): ${name}`);
}
