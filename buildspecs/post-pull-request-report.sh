#!/usr/bin/env bash
# Posts the pull request report (buildspecs/pull-request-report.yml) as a comment on the CodeCommit
# pull request, or, when the build failed, a comment saying so and where its log is.
#   post-pull-request-report.sh --check    only checks the variables the rule sets (pre_build)
#   post-pull-request-report.sh REPORT     posts REPORT (post_build)
# CodeCommit takes at most 10,240 characters in a comment (CommentContentSizeLimitExceededException):
# a longer report is cut there, with a note that the whole of it is in the build's log.
set -euo pipefail
export LC_ALL=C.UTF-8 # ${#content} counts characters

LIMIT=10240
commit_id='^[0-9a-f]{40}$'
for name in PULL_REQUEST_ID REPOSITORY_NAME SOURCE_COMMIT DESTINATION_COMMIT; do
  if [ -z "${!name:-}" ]; then
    echo "$name is not set: this build is started by the pull request rule, with the pull request's variables" >&2
    exit 1
  fi
done
for name in SOURCE_COMMIT DESTINATION_COMMIT; do
  [[ ${!name} =~ $commit_id ]] || { echo "$name is \"${!name}\", not a full commit id" >&2; exit 1; }
done
if [ "$(git -C "${CODEBUILD_SRC_DIR:-.}" rev-parse HEAD)" != "$SOURCE_COMMIT" ]; then
  echo "the source is not checked out at SOURCE_COMMIT $SOURCE_COMMIT: start the build with sourceVersion set to it" >&2
  exit 1
fi
[ "${1:-}" = --check ] && exit 0

report=${1:?usage: post-pull-request-report.sh REPORT}
log="the log of CodeBuild build ${CODEBUILD_BUILD_ID:-?}"
if [ "${CODEBUILD_BUILD_SUCCEEDING:-1}" != 1 ] || [ ! -s "$report" ]; then
  content="The infrastructure report for ${SOURCE_COMMIT:0:12} could not be made: see $log."
else
  content=$(cat "$report")
  if [ "${#content}" -gt "$LIMIT" ]; then
    note=$'\n\n'"(Cut at CodeCommit's comment limit: the whole report is in $log.)"
    content="${content:0:$((LIMIT - ${#note}))}$note"
  fi
fi
aws codecommit post-comment-for-pull-request \
  --pull-request-id "$PULL_REQUEST_ID" \
  --repository-name "$REPOSITORY_NAME" \
  --before-commit-id "$DESTINATION_COMMIT" \
  --after-commit-id "$SOURCE_COMMIT" \
  --content "$content" \
  --query 'comment.commentId' --output text
