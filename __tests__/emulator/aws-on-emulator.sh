#!/usr/bin/env bash
# `aws` for the Deploy action run against the emulator: every call goes to the real AWS CLI
# ($REAL_AWS, pointed at the emulator by AWS_ENDPOINT_URL), except where moto falls short of AWS:
# - ec2 create-launch-template-version --source-version: moto ignores the source version, so the new
#   version would lack the default version's settings. This merges them in first, as AWS does
#   (less the template's own tags, which moto lists among a version's tag specifications).
# - autoscaling start-instance-refresh and describe-instance-refreshes: moto has no instance
#   refresh. A start moves the group to the desired launch template version, the end state of a
#   refresh that succeeds, and is recorded in $REFRESH_STATE_DIR/refreshes; describe answers
#   Successful. The refresh itself (health checks, rollback) is tested against the fake in
#   __tests__/app/deploy and stays unproven against AWS (README, Known limits).
set -euo pipefail
real=${REAL_AWS:?REAL_AWS is not set}
state=${REFRESH_STATE_DIR:?REFRESH_STATE_DIR is not set}

# The value following flag $1 in the remaining arguments.
arg() { local flag=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$flag" ] && { echo "$2"; return; }; shift; done; return 1; }

case "${1:-} ${2:-}" in
  "ec2 create-launch-template-version")
    source_version=$(arg --source-version "$@") || exec "$real" "$@"
    template=$(arg --launch-template-id "$@")
    data=$(arg --launch-template-data "$@")
    base=$("$real" ec2 describe-launch-template-versions --launch-template-id "$template" --versions "$source_version" \
      --query 'LaunchTemplateVersions[0].LaunchTemplateData' --output json)
    merged=$(jq -c --argjson over "$data" '(. + $over) | .TagSpecifications |= (if . then map(select(.ResourceType != "launch-template")) else . end)' <<<"$base")
    args=()
    while [ $# -gt 0 ]; do
      case $1 in
        --source-version) shift 2 ;;
        --launch-template-data) args+=("$1" "$merged"); shift 2 ;;
        *) args+=("$1"); shift ;;
      esac
    done
    exec "$real" "${args[@]}" ;;
  "autoscaling start-instance-refresh")
    group=$(arg --auto-scaling-group-name "$@")
    desired=$(arg --desired-configuration "$@")
    (IFS=$'\x1f'; printf '%s\n' "$*") >>"$state/refreshes"
    "$real" autoscaling update-auto-scaling-group --auto-scaling-group-name "$group" \
      --launch-template "$(jq -r '.LaunchTemplate | "LaunchTemplateId=\(.LaunchTemplateId),Version=\(.Version)"' <<<"$desired")"
    echo "refresh-$(date +%s)" ;;
  "autoscaling describe-instance-refreshes")
    printf 'Successful\t100\tNone\n' ;;
  "autoscaling rollback-instance-refresh" | "autoscaling cancel-instance-refresh")
    (IFS=$'\x1f'; printf '%s\n' "$*") >>"$state/refreshes" ;;
  *)
    exec "$real" "$@" ;;
esac
