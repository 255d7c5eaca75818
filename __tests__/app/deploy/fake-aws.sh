#!/usr/bin/env bash
# A stand-in for the AWS CLI in tests of app/deploy/release.sh and roll.sh. Appends each call's
# arguments to $FAKE_AWS_DIR/calls (one call per line, arguments separated by a unit separator,
# \x1f) and answers from files in $FAKE_AWS_DIR, which the test writes:
#   ami, running-version, running-image, running-description (a version's VersionDescription),
#   default-version (the template's DefaultVersionNumber),
#   statuses (one "Status<TAB>Percent<TAB>Reason" line per poll; the last repeats),
#   fail-<service>-<command> (exists: that call fails with its content on stderr)
set -euo pipefail
dir=${FAKE_AWS_DIR:?FAKE_AWS_DIR is not set}
(IFS=$'\x1f'; printf '%s\n' "$*") >>"$dir/calls"
service=$1 command=$2
if [ -f "$dir/fail-$service-$command" ]; then
  cat "$dir/fail-$service-$command" >&2
  exit 254
fi
case "$service $command" in
  "s3 cp") ;;
  "ssm get-parameter") cat "$dir/ami" ;;
  "ec2 describe-launch-template-versions")
    case "$*" in
      *VersionDescription*) cat "$dir/running-description" ;;
      *) cat "$dir/running-image" ;;
    esac ;;
  "ec2 describe-launch-templates") cat "$dir/default-version" ;;
  "codepipeline start-pipeline-execution") echo execution-1 ;;
  "ec2 create-launch-template-version") echo 7 ;;
  "autoscaling describe-auto-scaling-groups") cat "$dir/running-version" ;;
  "autoscaling start-instance-refresh") echo refresh-1 ;;
  "autoscaling describe-instance-refreshes")
    polls=$(($(cat "$dir/polls" 2>/dev/null || echo 0) + 1))
    echo "$polls" >"$dir/polls"
    total=$(wc -l <"$dir/statuses")
    sed -n "$((polls < total ? polls : total))p" "$dir/statuses" ;;
  "autoscaling rollback-instance-refresh" | "autoscaling cancel-instance-refresh") ;;
  *) echo "fake aws: unexpected call: $*" >&2; exit 255 ;;
esac
