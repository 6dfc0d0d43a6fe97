/**
 * How an action runs (`runs.using` of its action.yml). GitHub runs JavaScript actions on Node 24
 * since June 2026 and removes Node 20 from its runners (GitHub changelog, 2025-09-19, "Deprecation
 * of Node 20 on GitHub Actions runners"); composite and Docker actions do not depend on the
 * runner's Node.
 */
export type ActionRuntime = "node20" | "node24" | "composite" | "docker";

/** Runtimes a pinned action may have. */
export const ALLOWED_ACTION_RUNTIMES: readonly ActionRuntime[] = ["node24", "composite", "docker"];

/** One release of an action, as the workflows pin it. */
export interface PinnedAction {
  /** The release tag the workflows name in their `# vX.Y.Z` comment. */
  readonly release: string;
  /** The full commit SHA that tag points to. */
  readonly commit: string;
  /** `runs.using` of action.yml at that commit. */
  readonly runtime: ActionRuntime;
}

/**
 * The actions the workflows may use, one release each. Written from the actions' own repositories
 * (not checked over the network by any test): `git rev-list -n1 <tag>` for the commit and
 * `git show <tag>:action.yml` for `runs.using`, on 2026-12-07. A new action or release needs its
 * row here, from the same two commands.
 */
export const PINNED_ACTIONS: Readonly<Record<string, PinnedAction>> = {
  "actions/checkout": {
    release: "v7.0.1",
    commit: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    runtime: "node24",
  },
  "actions/setup-node": {
    release: "v7.0.0",
    commit: "820762786026740c76f36085b0efc47a31fe5020",
    runtime: "node24",
  },
  "actions/cache": {
    release: "v5.0.5",
    commit: "27d5ce7f107fe9357f9df03efb73ab90386fccae",
    runtime: "node24",
  },
  "actions/upload-artifact": {
    release: "v7.0.0",
    commit: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
    runtime: "node24",
  },
  "actions/download-artifact": {
    release: "v8.0.1",
    commit: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
    runtime: "node24",
  },
  "actions/github-script": {
    release: "v8.0.0",
    commit: "ed597411d8f924073f98dfc5c65a23a2325f34cd",
    runtime: "node24",
  },
  "actions/setup-python": {
    release: "v7.0.0",
    commit: "5fda3b95a4ea91299a34e894583c3862153e4b97",
    runtime: "node24",
  },
  "aws-actions/configure-aws-credentials": {
    release: "v6.2.3",
    commit: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    runtime: "node24",
  },
  "hashicorp/setup-terraform": {
    release: "v4.0.1",
    commit: "dfe3c3f87815947d99a8997f908cb6525fc44e9e",
    runtime: "node24",
  },
};

/** A `uses:` line that breaks the pinning rule: its 1-based line, and what was found and allowed. */
export interface PinProblem {
  readonly line: number;
  readonly message: string;
}

const USES = /^\s*(?:- )?uses:\s*(\S+)(.*)$/;
const PINNED_REF = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40})$/;
const RELEASE_COMMENT = /^ # (v\d+\.\d+\.\d+)$/;

/**
 * Every `uses:` of a remote action (not `./` workflows) must name a full commit SHA with its release
 * as a comment, and that action, release and commit must be a row of `pinned` whose runtime is
 * allowed.
 */
export function actionPinProblems(
  source: string,
  pinned: Readonly<Record<string, PinnedAction>> = PINNED_ACTIONS,
): PinProblem[] {
  const problems: PinProblem[] = [];
  source.split("\n").forEach((text, i) => {
    const uses = USES.exec(text);
    if (!uses?.[1] || uses[1].startsWith("./")) return;
    const at = (message: string) => problems.push({ line: i + 1, message });
    const ref = PINNED_REF.exec(uses[1]);
    if (!ref?.[1] || !ref[2]) {
      at(`uses ${uses[1]}: not pinned; allowed: owner/repo@<40-hex commit SHA> # vX.Y.Z`);
      return;
    }
    const [, action, commit] = ref;
    const release = RELEASE_COMMENT.exec(uses[2] ?? "")?.[1];
    if (!release) {
      at(`uses ${action}: comment "${(uses[2] ?? "").trim()}"; allowed: "# vX.Y.Z"`);
      return;
    }
    const row = pinned[action];
    if (!row) {
      at(
        `uses ${action}: not in apps/bootstrap/src/pinned-actions.ts; allowed: ${Object.keys(pinned).join(", ")}`,
      );
    } else if (row.release !== release || row.commit !== commit) {
      at(
        `uses ${action}@${commit} # ${release}; allowed: ${row.commit} # ${row.release} (apps/bootstrap/src/pinned-actions.ts)`,
      );
    } else if (!ALLOWED_ACTION_RUNTIMES.includes(row.runtime)) {
      at(
        `uses ${action} ${release}: runs.using ${row.runtime}; allowed: ${ALLOWED_ACTION_RUNTIMES.join(", ")}`,
      );
    }
  });
  return problems;
}
