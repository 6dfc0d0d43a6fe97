#!/usr/bin/env bash
# Refuses, before the platform plan, an environment.yaml zone where what it asks for is not
# offered, so the pull request fails at plan with a clear line instead of the apply failing midway
# (Graviton classes such as db.t4g and the t4g.nano bastion are not offered in every zone).
#
#   zone-offerings.sh <instance-class> "<AZ ID>..." [<bastion AZ ID> <bastion instance type>]
#
# 1. Maps the AZ IDs to this account's zone names (ec2 describe-availability-zones --zone-ids;
#    an AZ ID that the region does not have fails here).
# 2. Lists the zones where RDS for PostgreSQL offers the instance class
#    (rds describe-orderable-db-instance-options, AvailabilityZones[].Name) and fails on every
#    configured zone that is not among them: the DB subnet group spans every zone, and the
#    Multi-AZ standby or a replica may land in any of them.
# 3. With a bastion: checks that its instance type is offered in its zone
#    (ec2 describe-instance-type-offerings --location-type availability-zone-id).
#
# Not a Terraform data source: offline plans (npm run validate, the plan review's scenarios) cannot
# call AWS, and a data source that fails there would fail them. Needs ec2:DescribeAvailabilityZones,
# rds:DescribeOrderableDBInstanceOptions, ec2:DescribeInstanceTypeOfferings (ReadOnlyAccess of
# every plan role). Exit 0 offered everywhere, 1 not, 2 usage.
set -euo pipefail

[ $# -eq 2 ] || [ $# -eq 4 ] || {
  echo 'usage: zone-offerings.sh <instance-class> "<AZ ID>..." [<bastion AZ ID> <bastion instance type>]' >&2
  exit 2
}
class="$1"
read -ra zones <<<"$2"
bastion_zone="${3:-}"
bastion_type="${4:-}"

names=$(aws ec2 describe-availability-zones --zone-ids "${zones[@]}" --output json) || {
  echo "::error::availabilityZones (${zones[*]}): not every AZ ID exists in this region"
  exit 1
}
offered=$(aws rds describe-orderable-db-instance-options --engine postgres \
  --db-instance-class "$class" --query 'OrderableDBInstanceOptions[].AvailabilityZones[].Name' \
  --output json)

failed=0
for zone in "${zones[@]}"; do
  name=$(jq -r --arg id "$zone" '.AvailabilityZones[] | select(.ZoneId == $id) | .ZoneName' <<<"$names")
  if ! jq -e --arg name "$name" 'index($name) != null' <<<"$offered" >/dev/null; then
    where=$(jq -r '[.[]] | unique | join(", ")' <<<"$offered")
    echo "::error::environment.yaml availabilityZones: $zone ($name in this account) does not offer $class for RDS for PostgreSQL (offered in: ${where:-no zone}); choose other AZ IDs or another database.instanceClass"
    failed=1
  fi
done

if [ -n "$bastion_zone" ]; then
  types=$(aws ec2 describe-instance-type-offerings --location-type availability-zone-id \
    --filters "Name=location,Values=$bastion_zone" "Name=instance-type,Values=$bastion_type" \
    --query 'InstanceTypeOfferings[].InstanceType' --output json)
  if [ "$(jq 'length' <<<"$types")" -eq 0 ]; then
    echo "::error::environment.yaml network: the bastion's $bastion_type is not offered in $bastion_zone; set network.bastionAvailabilityZone to another of availabilityZones or change bastionInstanceType"
    failed=1
  fi
fi

[ "$failed" -eq 0 ] || exit 1
echo "$class is offered in ${zones[*]}${bastion_zone:+; $bastion_type in $bastion_zone}"
