#!/usr/bin/env bash
# Provides every Terraform provider the tests and `npm start` need, in a filesystem mirror, for
# machines that cannot download providers from the Terraform registry (CI, this project's build
# machines). A machine that reaches the registry needs none of this: plain `terraform init`
# downloads hashicorp/aws and cyrilgdn/postgresql as usual (set PGFORKS_TF_REGISTRY=1 so the
# real-apply tests use it).
#
# - hashicorp/aws 5.100.0 must already be in a filesystem mirror (machine images ship it);
# - cyrilgdn/postgresql 1.26.0 is built from this Go module through the Go module proxy (go.mod,
#   pinned by go.sum) and installed beside hashicorp/aws, keyed by version, reused when present.
#
# When the postgresql provider cannot be had, this says so loudly and exits 0 (or 1 with
# PGFORKS_REQUIRE_PROVIDERS=1): the tests that need it then report NOT RUN, never passed.
set -euo pipefail
# shellcheck source=../script-usage.sh
source "$(dirname "$0")/../script-usage.sh"
script_usage "$0" "$@"
cd "$(dirname "$0")"

readonly AWS_VERSION=5.100.0
readonly PG_SOURCE=registry.terraform.io/cyrilgdn/postgresql
readonly PG_VERSION=1.26.0
readonly PG_MODULE=github.com/terraform-providers/terraform-provider-postgresql

platform="$(go env GOOS 2>/dev/null || uname -s | tr 'A-Z' 'a-z')_$(go env GOARCH 2>/dev/null || echo amd64)"

# The mirror: PGFORKS_TF_MIRROR, else the first of Terraform's implied mirror folders or /opt/*
# (as @pgforks/terraform-harness looks) that holds hashicorp/aws.
candidates=()
if [[ -n "${PGFORKS_TF_MIRROR:-}" ]]; then
  candidates=("$PGFORKS_TF_MIRROR")
else
  candidates=("$HOME/.terraform.d/plugins" "${XDG_DATA_HOME:-$HOME/.local/share}/terraform/plugins" \
    /usr/local/share/terraform/plugins /usr/share/terraform/plugins)
  for dir in "${PGFORKS_ADD_ON_ROOT:-/opt}"/*/; do
    [[ -d "$dir/registry.terraform.io" ]] && candidates+=("${dir%/}")
  done
fi
mirror=""
for dir in "${candidates[@]}"; do
  if compgen -G "$dir/registry.terraform.io/hashicorp/aws/$AWS_VERSION/$platform/terraform-provider-aws*" >/dev/null; then
    mirror="$dir"
    break
  fi
done
if [[ -z "$mirror" ]]; then
  mirror="${PGFORKS_TF_MIRROR:-$HOME/.terraform.d/plugins}"
  echo "providers: hashicorp/aws $AWS_VERSION is in no filesystem mirror (fine where the Terraform registry is reachable)"
else
  echo "providers: hashicorp/aws $AWS_VERSION in $mirror"
fi

target_dir="$mirror/$PG_SOURCE/$PG_VERSION/$platform"
target="$target_dir/terraform-provider-postgresql_v$PG_VERSION"
if [[ -x "$target" ]]; then
  echo "providers: cyrilgdn/postgresql $PG_VERSION in $mirror (reused)"
  exit 0
fi

started=$SECONDS
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
echo "providers: building cyrilgdn/postgresql $PG_VERSION through the Go module proxy ..."
mkdir -p "$target_dir"
if go build -trimpath -o "$target.tmp" "$PG_MODULE" >"$log" 2>&1; then
  mv "$target.tmp" "$target"
  echo "providers: cyrilgdn/postgresql $PG_VERSION built in $((SECONDS - started)) s, installed in $mirror"
  exit 0
fi
rm -f "$target.tmp"
rmdir -p "$target_dir" 2>/dev/null || true
cat >&2 <<MSG

################################################################################
NOT AVAILABLE: cyrilgdn/postgresql $PG_VERSION could not be built here.
The Go module proxy answered:
$(sed 's/^/  /' "$log" | tail -5)
Every test that needs the real provider will report NOT RUN (not verified).
A machine that reaches the Terraform registry needs no build: set PGFORKS_TF_REGISTRY=1.
################################################################################

MSG
[[ "${PGFORKS_REQUIRE_PROVIDERS:-0}" == "1" ]] && exit 1
exit 0
