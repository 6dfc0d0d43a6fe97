#!/usr/bin/env bash
# Makes the database instances' configuration take effect before the tenants stack runs
# (deploy.yml). The tenants' connection limits are admitted against max_connections of the new
# instance class, so nothing of the tenants stack may run against an instance that still has a
# modification pending.
#
#   instance-settle.sh reboot-if-pending <identifier>...
#     In apply-platform, after `terraform apply` (so behind the GitHub environment's approval of the
#     reviewed plan, whose review names this reboot). Waits until no modification is pending, then
#     reboots each instance whose parameter group is `pending-reboot` (a static parameter such as
#     shared_preload_libraries changed, or a new group was associated: RDS applies those only at a
#     reboot, which restarts PostgreSQL without failover) and waits until it is available and
#     in-sync. Instances without a pending reboot are not touched.
#   instance-settle.sh wait-settled <identifier>...
#     In plan-tenants and apply-tenants, first: waits until no modification is pending, and fails
#     when that takes longer than the timeout. A pending reboot left from earlier is reported.
#
# Reads DescribeDBInstances: PendingModifiedValues (changes RDS has accepted but not applied) and
# DBParameterGroups[].ParameterApplyStatus (in-sync, applying, pending-reboot, ...: RDS API
# Reference, DBParameterGroupStatus). Needs rds:DescribeDBInstances, plus rds:RebootDBInstance for
# reboot-if-pending (the apply role).
#
# Environment: SETTLE_TIMEOUT_SECONDS (default 3600: the provider itself waits up to 80 minutes for
# an instance update; deploy.yml's tenants jobs pass 1800, to fail inside their job timeout and
# role session), SETTLE_POLL_SECONDS (default 30, as `aws rds wait`).
# Exit 0 settled, 1 not settled in time or the reboot did not bring the parameters in sync, 2 usage.
set -euo pipefail

timeout="${SETTLE_TIMEOUT_SECONDS:-3600}"
poll="${SETTLE_POLL_SECONDS:-30}"

usage() {
  echo "usage: instance-settle.sh reboot-if-pending|wait-settled <db-instance-identifier>..." >&2
  exit 2
}

describe() {
  aws rds describe-db-instances --db-instance-identifier "$1" --output json
}

# Statuses in which the instance serves connections and accepts the next step. storage-optimization
# follows a storage change and runs online for hours (RDS User Guide, "Increasing DB instance
# storage capacity"); waiting for it would hold every deploy.
ready_status='["available","storage-optimization"]'

# Waits until the instance has no pending modification and a ready status; leaves its description
# in $description.
description=""
wait_no_pending() {
  local id="$1" waited=0 status pending
  while :; do
    description=$(describe "$id") || {
      echo "::error::aws rds describe-db-instances failed for $id"
      return 1
    }
    status=$(jq -r '.DBInstances[0].DBInstanceStatus' <<<"$description")
    pending=$(jq -c '.DBInstances[0].PendingModifiedValues // {}' <<<"$description")
    if [ "$pending" = "{}" ] && jq -e --arg s "$status" 'index($s) != null' <<<"$ready_status" >/dev/null; then
      return 0
    fi
    if [ "$waited" -ge "$timeout" ]; then
      echo "::error::$id still has modifications pending after ${timeout}s (status $status, PendingModifiedValues $pending): the tenants stack is not run against an instance whose class, storage or parameters are not yet what the platform plan applied. Look at the instance's events; rerun the deploy once it is available."
      return 1
    fi
    echo "$id: status $status, pending $pending; waiting ${poll}s (${waited}s of ${timeout}s)"
    sleep "$poll"
    waited=$((waited + poll))
  done
}

# Parameter groups of the instance that wait for a reboot, one per line.
pending_reboot_groups() {
  jq -r '.DBInstances[0].DBParameterGroups[]? | select(.ParameterApplyStatus == "pending-reboot") | .DBParameterGroupName'
}

command="${1:-}"
[ $# -ge 2 ] || usage
shift

case "$command" in
  reboot-if-pending)
    for id in "$@"; do
      wait_no_pending "$id" || exit 1
      groups=$(pending_reboot_groups <<<"$description")
      if [ -z "$groups" ]; then
        echo "$id: parameters in sync, no reboot needed"
        continue
      fi
      echo "$id: parameter group $(tr '\n' ' ' <<<"$groups")is pending-reboot; rebooting (PostgreSQL restarts, without failover)"
      aws rds reboot-db-instance --db-instance-identifier "$id" --output json >/dev/null
      aws rds wait db-instance-available --db-instance-identifier "$id"
      wait_no_pending "$id" || exit 1
      still=$(jq -r '.DBInstances[0].DBParameterGroups[]? | select(.ParameterApplyStatus != "in-sync") | "\(.DBParameterGroupName) \(.ParameterApplyStatus)"' <<<"$description")
      if [ -n "$still" ]; then
        echo "::error::$id was rebooted but its parameter group is not in sync: $still"
        exit 1
      fi
      echo "$id: rebooted, parameters in sync"
    done
    ;;
  wait-settled)
    for id in "$@"; do
      wait_no_pending "$id" || exit 1
      groups=$(pending_reboot_groups <<<"$description")
      if [ -n "$groups" ]; then
        echo "::warning::$id: parameter group $(tr '\n' ' ' <<<"$groups")is pending-reboot: its static parameters take effect at the next platform apply (deploy.yml apply-platform reboots it) or a reboot by hand"
      fi
      echo "$id: no modification pending"
    done
    ;;
  *) usage ;;
esac
