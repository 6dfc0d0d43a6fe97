import { join } from "node:path";
import { FileSystemError } from "./fs-errors";
import { formatIpv4Cidr, type Ipv4Cidr, parseIpv4Cidr } from "./ipv4";
import { ENVIRONMENT_FILE, type LoadedEnvironment } from "./load";

/** Whether two IPv4 networks share at least one address. */
export function ipv4CidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const end = (c: Ipv4Cidr) => c.address + 2 ** (32 - c.prefix);
  return a.address < end(b) && b.address < end(a);
}

/**
 * What is valid in each environment alone but clashes between two of them, as one warning line
 * each (synth goes on): a shared account (see sharedAccountProblems; bootstrap synth refuses it)
 * and two VPCs whose network.cidr overlap. Environments are not peered with one
 * another, so AWS accepts it; but a VPC cannot be peered or routed to two overlapping ranges
 * (docs/architecture.md, "Another VPC": an app's VPC is peered and routed between the CIDRs), and
 * a new environment copied from prod (the graduation runbook) keeps prod's range unless changed.
 */
export function crossEnvironmentWarnings(loaded: readonly LoadedEnvironment[]): string[] {
  const networks = loaded.map((env) => ({
    env,
    file: FileSystemError.display(join(env.dir, ENVIRONMENT_FILE)),
    cidr: parseIpv4Cidr(env.environment.network.cidr),
  }));
  const warnings: string[] = sharedAccountProblems(loaded).map((p) => `warning: ${p}`);
  // One free range per warned file, none suggested twice: three environments on one range were
  // each told the same "e.g.", which taken by both would make them overlap again.
  const suggested = new Map<string, Ipv4Cidr | undefined>();
  const suggestion = (file: string): Ipv4Cidr | undefined => {
    if (!suggested.has(file)) {
      const taken = [...networks.map((n) => n.cidr), ...suggested.values()];
      suggested.set(file, freeSlash16(taken.filter((c) => c !== undefined)));
    }
    return suggested.get(file);
  };
  networks.forEach((a, i) => {
    for (const b of networks.slice(i + 1)) {
      if (!ipv4CidrsOverlap(a.cidr, b.cidr)) continue;
      const range = suggestion(b.file);
      const free = range && formatIpv4Cidr(range);
      warnings.push(
        `warning: ${b.file} network.cidr: ${formatIpv4Cidr(b.cidr)} overlaps network.cidr ${formatIpv4Cidr(a.cidr)} of ${a.file}; a VPC cannot be peered or routed to both (docs/architecture.md, "Another VPC"): give each environment its own range${free ? `, e.g. ${free}` : ""}`,
      );
    }
  });
  return warnings;
}

/**
 * Environments that share an AWS account, one line per later one: the bootstrap stack of each
 * creates the account's GitHub OIDC provider (one per account and URL) and the state key alias
 * `alias/<project>-tfstate`, so the second bootstrap apply fails (EntityAlreadyExists,
 * AlreadyExistsException). Each environment gets its own account (README, apps/bootstrap).
 */
export function sharedAccountProblems(loaded: readonly LoadedEnvironment[]): string[] {
  const first = new Map<string, LoadedEnvironment>();
  const problems: string[] = [];
  for (const env of loaded) {
    const earlier = first.get(env.environment.account);
    if (earlier === undefined) {
      first.set(env.environment.account, env);
      continue;
    }
    const file = (e: LoadedEnvironment) => FileSystemError.display(join(e.dir, ENVIRONMENT_FILE));
    problems.push(
      `${file(env)} account: ${env.environment.account} is also the account of ${file(earlier)}; each environment's bootstrap stack creates the account's GitHub OIDC provider and state key alias, so the second bootstrap apply would fail (already exists): give each environment its own account`,
    );
  }
  return problems;
}

/** The first 10.n.0.0/16 that overlaps none of `taken` (n a multiple of 10 first, as committed), if any. */
function freeSlash16(taken: readonly Ipv4Cidr[]): Ipv4Cidr | undefined {
  const order = Array.from({ length: 256 }, (_, n) => n).sort(
    (a, b) => (a % 10) - (b % 10) || a - b,
  );
  for (const n of order.filter((n) => n > 0).concat(0)) {
    const candidate = { address: (10 * 256 + n) * 65536, prefix: 16 };
    if (!taken.some((t) => ipv4CidrsOverlap(candidate, t))) return candidate;
  }
  return undefined;
}
