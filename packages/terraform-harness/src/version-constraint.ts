/**
 * Terraform provider version constraints ("5.100.0", "~> 5.0", ">= 1.2, < 2.0.0"), enough to decide
 * whether a version found in the filesystem mirror satisfies a stack's `required_providers`.
 * Semantics follow Terraform's "Version Constraints" page (developer.hashicorp.com/terraform/
 * language/expressions/version-constraints): comma = AND; no operator = exact; `~>` lets only the
 * right-most given component grow; a pre-release matches only an exact `=` constraint naming it.
 */

/** A parsed version: numeric components (missing ones are 0) and an optional pre-release tag. */
export interface Version {
  /** major, minor, patch. */
  readonly parts: readonly [number, number, number];
  /** Number of components that were written ("~> 5.1" has 2); drives `~>`. */
  readonly given: number;
  /** Pre-release tag without the dash ("beta1"), or "" for a release. */
  readonly prerelease: string;
}

const VERSION_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const OPERATOR_RE = /^(~>|>=|<=|!=|=|>|<)?\s*(.+)$/;

/** Parses "5.100.0", "v1.2", "1.0.0-beta1"; throws on anything else. */
export function parseVersion(text: string): Version {
  const match = VERSION_RE.exec(text.trim());
  if (!match) throw new Error(`Invalid version "${text}"`);
  const given = match.slice(1, 4).filter((part) => part !== undefined).length;
  return {
    parts: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)],
    given,
    prerelease: match[4] ?? "",
  };
}

/** Orders versions; a pre-release sorts before its release (1.0.0-beta < 1.0.0). */
export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === "") return 1;
  if (b.prerelease === "") return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

interface Clause {
  readonly operator: string;
  readonly version: Version;
}

function parseConstraint(constraint: string): Clause[] {
  return constraint
    .split(",")
    .map((raw) => raw.trim())
    .filter((raw) => raw !== "")
    .map((raw) => {
      const match = OPERATOR_RE.exec(raw);
      if (!match?.[2]) throw new Error(`Invalid version constraint "${constraint}"`);
      return { operator: match[1] ?? "=", version: parseVersion(match[2]) };
    });
}

function pessimisticUpperBound(version: Version): Version {
  // "~> 5" and "~> 5.1" allow < 6.0.0; "~> 5.1.2" allows < 5.2.0.
  const bumpIndex = Math.max(0, Math.min(version.given, 3) - 2);
  const parts: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < bumpIndex; i++) parts[i] = version.parts[i] ?? 0;
  parts[bumpIndex] = (version.parts[bumpIndex] ?? 0) + 1;
  return { parts, given: 3, prerelease: "" };
}

function clauseMatches(clause: Clause, version: Version): boolean {
  const cmp = compareVersions(version, clause.version);
  switch (clause.operator) {
    case "=":
      return cmp === 0;
    case "!=":
      return cmp !== 0;
    case ">":
      return cmp > 0;
    case ">=":
      return cmp >= 0;
    case "<":
      return cmp < 0;
    case "<=":
      return cmp <= 0;
    case "~>":
      return cmp >= 0 && compareVersions(version, pessimisticUpperBound(clause.version)) < 0;
    default:
      return false;
  }
}

/**
 * True when `version` satisfies every clause of `constraint`. An empty or missing constraint
 * accepts any release.
 */
export function satisfiesConstraint(version: string, constraint: string | undefined): boolean {
  const parsed = parseVersion(version);
  const clauses = parseConstraint(constraint ?? "");
  if (parsed.prerelease !== "") {
    const named = clauses.some(
      (clause) => clause.operator === "=" && compareVersions(parsed, clause.version) === 0,
    );
    if (!named) return false;
  }
  return clauses.every((clause) => clauseMatches(clause, parsed));
}

/** The newest of `versions` that satisfies `constraint`, or undefined. */
export function newestMatching(
  versions: readonly string[],
  constraint: string | undefined,
): string | undefined {
  return versions
    .filter((version) => satisfiesConstraint(version, constraint))
    .sort((a, b) => compareVersions(parseVersion(b), parseVersion(a)))[0];
}
