#!/usr/bin/env bash
# Installs the PostgreSQL 16 client programs (pg_dump, pg_restore, psql) into .tools/pg-client
# (ignored by git), for the test that runs the tenant backup runbook against PostgreSQL 16
# (packages/local/test/backup.test.ts). The machine's own client may be older, and pg_dump refuses
# a server of a newer major version. Source: the pinned pgserver wheel from PyPI
# (requirements.txt, checked by hash), whose files are extracted as they are laid out in the wheel
# (the programs find their libraries through their RPATH). Reused when already there.
#
# Without pip or PyPI this says so and exits 1; the backup test then reports NOT RUN.
set -euo pipefail
# shellcheck source=../script-usage.sh
source "$(dirname "$0")/../script-usage.sh"
script_usage "$0" "$@"
readonly PG_CLIENT_VERSION=16.2

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="$root/.tools/pg-client"
bin="$target/pgserver/pginstall/bin"

mkdir -p "$root/.tools"
exec 9>"$root/.tools/pg-client.lock"
flock 9

# The wheel's programs are built without TLS: they refuse sslmode=require themselves, and RDS
# (rds.force_ssl=1) accepts no other connection.
readonly NO_TLS_NOTE='pg-client: built without TLS: for the local server (npm start) and the tests only; RDS requires TLS: docs/operations.md, "Backup and restore of one tenant", says which client to use there'

if [[ -x "$bin/pg_dump" ]] && "$bin/pg_dump" --version 2>/dev/null | grep -q " $PG_CLIENT_VERSION\$"; then
  echo "pg-client: PostgreSQL $PG_CLIENT_VERSION client in .tools/pg-client (reused): psql, pg_dump and pg_restore are in ${bin#"$root"/}"
  echo "$NO_TLS_NOTE"
  exit 0
fi

python="${PGFORKS_PYTHON:-python3}"
started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "pg-client: downloading the PostgreSQL $PG_CLIENT_VERSION client programs ..."
if ! "$python" -m pip download --disable-pip-version-check --no-input -q --no-deps \
  --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 \
  --require-hashes -r "$here/requirements.txt" -d "$work" >"$work/log" 2>&1; then
  tail -n 5 "$work/log" >&2
  echo "pg-client: could not download the client programs; the backup test will report NOT RUN" >&2
  exit 1
fi
rm -rf "$target"
mkdir -p "$target.tmp"
"$python" - "$work"/pgserver-*.whl "$target.tmp" <<'PY'
import os, stat, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
wanted = ("pgserver/pginstall/bin/pg_dump", "pgserver/pginstall/bin/pg_restore",
          "pgserver/pginstall/bin/psql")
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name in wanted or (name.startswith("pgserver.libs/") and not name.endswith("/")):
            path = z.extract(name, out)
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
PY
mv "$target.tmp" "$target"
"$bin/pg_dump" --version
echo "pg-client: installed in .tools/pg-client in $((SECONDS - started)) s: psql, pg_dump and pg_restore are in ${bin#"$root"/}"
echo "$NO_TLS_NOTE"
