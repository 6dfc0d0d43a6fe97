#!/usr/bin/env bash
# Runs the plan review (npm run review: packages/plan-review) on `terraform show -json` files,
# appends the Markdown to the job summary and exits with the review's status: 1 when the destroy
# guard fails (a stateful resource deleted or replaced without approval, or a stale approval), so
# nothing that needs the calling job (an apply, a green check) goes ahead.
#
#   review-plan.sh <stack>.json... | --stack <stack>=<plan.json>...
#   review-plan.sh                 (with BASE_REF: no stack planned, the configuration's changes,
#                                   e.g. a pull request that changes a tenants stack only)
#
# Environment:
#   REVIEW_OUT  Markdown output file (default: $RUNNER_TEMP/plan-review.md)
#   REVIEW_MAX_CHARS  character budget of the review (default: the CLI's 65536); the pull-request
#               comment passes less, leaving room for its header and notes under GitHub's limit
#   BASE_REF    git revision holding the configuration before the change (the pull request's base
#               branch, main's previous commit); its environments/ folder becomes --base-env-dir,
#               so tenants, connection budget and cost are shown before -> after
# Approvals: .github/approved-changes.txt, when present, is passed as --approve-file; it is
# committed in the pull request, so the pull request and main read the same approvals. One
# <stack>:<address> per line (a bare address exits 2: addresses repeat in every environment), for
# a stateful deletion or replacement or for a lowered protection of production (`<stack>:tier`
# for the tier), or for a changed region, account or state backend (`<env>-platform:region`,
# `:account`, `:stateBackend`), or for a lowered engine version or storage
# (`<env>-platform:database.engineVersion`, `:database.allocatedStorageGb`); an approval matching nothing in the plan of its stack fails the
# guard until the line is removed.
set -euo pipefail
[ $# -gt 0 ] || [ -n "${BASE_REF:-}" ] || {
  echo "usage: $0 <stack>.json... | --stack <stack>=<plan.json>... (none: BASE_REF set)" >&2
  exit 2
}

tmp="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
out="${REVIEW_OUT:-$tmp/plan-review.md}"
extra=()
if [ -n "${REVIEW_MAX_CHARS:-}" ]; then
  extra+=(--max-chars "$REVIEW_MAX_CHARS")
fi
# The earlier name of the approval file: refused, never ignored (someone wrote those approvals).
if [ -f .github/destroy-approvals.txt ]; then
  echo "::error::.github/destroy-approvals.txt was renamed to .github/approved-changes.txt (approvals now cover destroys and lowered protections): move its lines there"
  exit 2
fi
if [ -f .github/approved-changes.txt ]; then
  extra+=(--approve-file .github/approved-changes.txt)
fi
if [ -n "${BASE_REF:-}" ] && git cat-file -e "$BASE_REF:environments" 2>/dev/null; then
  base="$tmp/review-base"
  rm -rf "$base" && mkdir -p "$base"
  git archive "$BASE_REF" environments | tar -x -C "$base"
  extra+=(--base-env-dir "$base/environments")
fi

status=0
npm run --silent review -- --outdir cdktf.out "${extra[@]}" --out "$out" "$@" || status=$?
if [ ! -s "$out" ]; then
  echo "The plan review could not be produced (exit $status); see the job log." >"$out"
fi
cat "$out" >>"${GITHUB_STEP_SUMMARY:-/dev/null}"
case "$status" in
  0) ;;
  1) echo "::error::the destroy guard blocked this plan: a stateful resource is deleted or replaced, a protection of production lowered (Multi-AZ, deletion protection, backups, encryption, TLS, public access, tier) or older logs or performance data deleted (a shortened log or Performance Insights retention), an environment's region, account or state backend changed, or its engine version or storage lowered (RDS cannot do either), without approval, or an approval in .github/approved-changes.txt matches nothing (see the review)" ;;
  *) echo "::error::the plan review failed (exit $status)" ;;
esac
exit "$status"
