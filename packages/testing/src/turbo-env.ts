/**
 * The environment `npm test` runs Turborepo with: the caller's, plus PGFORKS_NODE_MAJOR, which
 * turbo.json lists in globalEnv. Turborepo's cache keys on declared inputs only (package.json's
 * `engines`, not the running Node), so without it a suite that passed on one Node major would be
 * replayed from the cache on another (CI runs Node 24, this machine's .ci/run Node 20).
 */
export const NODE_MAJOR_ENV = "PGFORKS_NODE_MAJOR";

export function turboEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  nodeVersion: string = process.versions.node,
): NodeJS.ProcessEnv {
  return { ...env, [NODE_MAJOR_ENV]: nodeVersion.split(".")[0] };
}
