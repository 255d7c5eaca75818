#!/usr/bin/env bash
# Rolls the web fleet onto Terraform's current launch template without a code change. A Terraform
# change to the template (instance type, volume, metadata options, ...) becomes its default version
# and reaches instances only with a release, because each release's version starts from the default
# one (release.sh). This starts the delivery pipeline on the commit the fleet runs now: the same
# commit is built, approved where the environment asks for it, and released by the usual instance
# refresh (launch before terminate, alarm, rollback).
#
#   app/deploy/roll.sh PIPELINE_NAME ASG_NAME LAUNCH_TEMPLATE_ID [--even-if-current]
#
# The three are the web stack's outputs pipeline_name, asg_name and launch_template_id. It refuses
# when the default version is not newer than the running one (nothing to roll) unless
# --even-if-current, and when the running version was not made by a pipeline release (the first
# version, or a release by hand whose version is not a commit): push a commit instead.
set -euo pipefail

fail() { echo "roll.sh: $*" >&2; exit 1; }
usage() { echo "usage: app/deploy/roll.sh PIPELINE_NAME ASG_NAME LAUNCH_TEMPLATE_ID [--even-if-current]" >&2; exit 2; }

case "${1:-}" in -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
[ $# -eq 3 ] || [ $# -eq 4 ] || usage
pipeline=$1 asg=$2 template=$3 force=${4:-}
[ -z "$force" ] || [ "$force" = --even-if-current ] || usage
[[ $template =~ ^lt-[0-9a-f]+$ ]] || fail "LAUNCH_TEMPLATE_ID '$template' is not a launch template id (lt-...); give the web stack's launch_template_id output"
command -v aws >/dev/null || fail "aws is missing"

running=$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg" \
  --query 'AutoScalingGroups[0].LaunchTemplate.Version' --output text)
[[ $running =~ ^[0-9]+$ ]] || fail "Auto Scaling group '$asg' answered version '$running'; give the web stack's asg_name output"
default=$(aws ec2 describe-launch-templates --launch-template-ids "$template" \
  --query 'LaunchTemplates[0].DefaultVersionNumber' --output text)
[[ $default =~ ^[0-9]+$ ]] || fail "launch template $template answered default version '$default'"
if [ "$default" -le "$running" ] && [ -z "$force" ]; then
  echo "roll.sh: the fleet runs version $running and Terraform's default is version $default, made before it: nothing to roll (pass --even-if-current to release the running commit again)"
  exit 0
fi
description=$(aws ec2 describe-launch-template-versions --launch-template-id "$template" --versions "$running" \
  --query 'LaunchTemplateVersions[0].VersionDescription' --output text)
[[ $description =~ ^release\ ([0-9a-f]{7,40})$ ]] ||
  fail "the fleet runs version $running ('$description'), which no pipeline release of a commit made; push a commit to release instead"
commit=${BASH_REMATCH[1]}

execution=$(aws codepipeline start-pipeline-execution --name "$pipeline" \
  --source-revisions "actionName=Source,revisionType=COMMIT_ID,revisionValue=$commit" \
  --query pipelineExecutionId --output text)
echo "roll.sh: started $pipeline on $commit (execution $execution): it releases the running commit onto Terraform's default version $default"
echo "roll.sh: follow it with: aws codepipeline get-pipeline-execution --pipeline-name $pipeline --pipeline-execution-id $execution"
