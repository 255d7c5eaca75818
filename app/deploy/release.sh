#!/usr/bin/env bash
# Releases one build of the web app to its Auto Scaling group; the pipeline's Deploy action runs it
# (app/deployspec.yml), and an operator can run it by hand with the same variables.
#
#   app/deploy/release.sh ARCHIVE
#
# ARCHIVE is the tar.gz the Build action made (bin/webapp + webapp.service). Steps:
#   1. publish ARCHIVE to s3://$RELEASE_BUCKET/webapp/$VERSION.tar.gz
#   2. add a launch template version: the default version's settings, the AMI that
#      $AMI_PARAMETER names now (a concrete id, which a rollback can return to), and Terraform's
#      user data ($USER_DATA) with its release line naming the new release
#   3. start an instance refresh to that version with $REFRESH_PREFERENCES (launch before
#      terminate, warmup, alarm, auto rollback), wait for it, and exit non-zero unless it succeeds
#
# Environment (the CodeBuild project sets all but VERSION, which the pipeline sets to the commit):
#   VERSION, RELEASE_BUCKET, ASG_NAME, LAUNCH_TEMPLATE_ID, USER_DATA (base64), AMI_PARAMETER,
#   REFRESH_PREFERENCES (JSON)
#   POLL_SECONDS (default 15), REFRESH_TIMEOUT_SECONDS (default 3600)
set -euo pipefail

fail() { echo "release.sh: $*" >&2; exit 1; }
log() { echo "release.sh: $*"; }

[ $# -eq 1 ] || { echo "usage: app/deploy/release.sh ARCHIVE" >&2; exit 2; }
archive=$1
for name in VERSION RELEASE_BUCKET ASG_NAME LAUNCH_TEMPLATE_ID USER_DATA AMI_PARAMETER REFRESH_PREFERENCES; do
  [ -n "${!name:-}" ] || fail "environment variable $name is not set; the deploy CodeBuild project sets it (VERSION comes from the pipeline)"
done
[[ $VERSION =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || fail "VERSION '$VERSION' is not a version (letters, digits, . _ + -, at most 64)"
[ -f "$archive" ] || fail "ARCHIVE '$archive' does not exist; pass the Build action's webapp.tar.gz"
poll=${POLL_SECONDS:-15}
timeout=${REFRESH_TIMEOUT_SECONDS:-3600}
for name in poll timeout; do
  [[ ${!name} =~ ^[0-9]+$ ]] || fail "$name '${!name}' must be a whole number of seconds"
done
for cmd in aws jq base64; do
  command -v "$cmd" >/dev/null || fail "$cmd is missing"
done
prefs=$(jq -ce . <<<"$REFRESH_PREFERENCES") || fail "REFRESH_PREFERENCES is not JSON: $REFRESH_PREFERENCES"
base_user_data=$(base64 -d <<<"$USER_DATA" 2>/dev/null) || fail "USER_DATA is not base64"
release_lines=$(grep -c "^release='[^']*'\$" <<<"$base_user_data" || true)
[ "$release_lines" = 1 ] || fail "USER_DATA has $release_lines release='...' lines, expected exactly 1; see userData() in constructs/web-server-fleet.ts"

# 1. Publish (the bucket encrypts with its KMS key by default).
release="s3://$RELEASE_BUCKET/webapp/$VERSION.tar.gz"
aws s3 cp --only-show-errors "$archive" "$release"
log "published $release"

# 2. A launch template version for this release.
ami=$(aws ssm get-parameter --name "$AMI_PARAMETER" --query Parameter.Value --output text)
[[ $ami =~ ^ami-[0-9a-f]+$ ]] || fail "$AMI_PARAMETER names '$ami', not an AMI id"
user_data=$(sed "s|^release='[^']*'\$|release='$release'|" <<<"$base_user_data" | base64 -w0)
data=$(jq -cn --arg ami "$ami" --arg ud "$user_data" '{ImageId: $ami, UserData: $ud}')
version=$(aws ec2 create-launch-template-version --launch-template-id "$LAUNCH_TEMPLATE_ID" --source-version '$Default' \
  --version-description "release $VERSION" --launch-template-data "$data" \
  --query LaunchTemplateVersion.VersionNumber --output text)
[[ $version =~ ^[0-9]+$ ]] || fail "create-launch-template-version answered '$version', not a version number"
log "launch template $LAUNCH_TEMPLATE_ID version $version: $ami, $release"

# 3. Refresh. AWS cannot roll back to a version that resolves its AMI through SSM, which only the
# Terraform-made first version does: the first release goes without auto rollback.
running=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$ASG_NAME" \
  --query 'AutoScalingGroups[0].LaunchTemplate.Version' --output text)
running_ami=$(aws ec2 describe-launch-template-versions --launch-template-id "$LAUNCH_TEMPLATE_ID" --versions "$running" \
  --query 'LaunchTemplateVersions[0].LaunchTemplateData.ImageId' --output text)
if [[ $running_ami == resolve:ssm:* ]] && [ "$(jq -r .AutoRollback <<<"$prefs")" = true ]; then
  prefs=$(jq -c '.AutoRollback = false | del(.AlarmSpecification)' <<<"$prefs")
  log "running version $running resolves its AMI through SSM, which AWS cannot roll back to: this first release refreshes without auto rollback"
fi
desired=$(jq -cn --arg id "$LAUNCH_TEMPLATE_ID" --arg v "$version" '{LaunchTemplate: {LaunchTemplateId: $id, Version: $v}}')
refresh=$(aws autoscaling start-instance-refresh --auto-scaling-group-name "$ASG_NAME" --strategy Rolling \
  --desired-configuration "$desired" --preferences "$prefs" --query InstanceRefreshId --output text)
log "instance refresh $refresh started on $ASG_NAME with $prefs"

deadline=$((SECONDS + timeout))
while :; do
  read -r status percent reason < <(aws autoscaling describe-instance-refreshes --auto-scaling-group-name "$ASG_NAME" \
    --instance-refresh-ids "$refresh" --query 'InstanceRefreshes[0].[Status,PercentageComplete,StatusReason]' --output text)
  log "refresh $refresh: $status ${percent}%"
  case $status in
    Successful) log "released $VERSION (launch template version $version)"; exit 0 ;;
    Failed | Cancelled | RollbackSuccessful | RollbackFailed)
      fail "refresh $refresh ended $status: ${reason:-no reason given}; the group runs the previous version unless the status says the rollback failed" ;;
    Pending | InProgress | Cancelling | RollbackInProgress | Baking) ;;
    *) fail "refresh $refresh has unknown status '$status'" ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    aws autoscaling rollback-instance-refresh --auto-scaling-group-name "$ASG_NAME" >/dev/null ||
      aws autoscaling cancel-instance-refresh --auto-scaling-group-name "$ASG_NAME" >/dev/null || true
    fail "refresh $refresh still $status after ${timeout}s; asked Auto Scaling to roll it back"
  fi
  sleep "$poll"
done
