#!/usr/bin/env bash
# Posts the pull request report (buildspecs/pull-request-report.yml) as a comment on the pull
# request, or, when the build failed, a comment saying so and where its log is.
#   post-pull-request-report.sh --check    only checks the pull request's variables (pre_build)
#   post-pull-request-report.sh REPORT     posts REPORT (post_build)
# CodeCommit (the default): `aws codecommit post-comment-for-pull-request` with the project's role;
# a comment holds at most 10,240 characters (CommentContentSizeLimitExceededException).
# GitHub (GITHUB_TOKEN_SECRET set): post-github-comment.sh, with the token in that secret; a
# comment holds at most 65,536 characters.
# A longer report is cut at the limit, with a note that the whole of it is in the build's log.
set -euo pipefail
export LC_ALL=C.UTF-8 # ${#content} counts characters

if [ -n "${GITHUB_TOKEN_SECRET:-}" ]; then
  provider=GitHub LIMIT=65536 pull_request_id='^[1-9][0-9]*$' repository='^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$'
else
  provider=CodeCommit LIMIT=10240 pull_request_id='^[0-9]+$' repository='^[A-Za-z0-9._-]+$'
fi
commit_id='^[0-9a-f]{40}$'
for name in PULL_REQUEST_ID REPOSITORY_NAME SOURCE_COMMIT DESTINATION_COMMIT; do
  if [ -z "${!name:-}" ]; then
    echo "$name is not set: this build is started by the pull request rule or webhook, with the pull request's variables" >&2
    exit 1
  fi
done
[[ $PULL_REQUEST_ID =~ $pull_request_id ]] || { echo "PULL_REQUEST_ID is \"$PULL_REQUEST_ID\", not a $provider pull request id" >&2; exit 1; }
[[ $REPOSITORY_NAME =~ $repository ]] || { echo "REPOSITORY_NAME is \"$REPOSITORY_NAME\", not a $provider repository name" >&2; exit 1; }
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
    note=$'\n\n'"(Cut at $provider's comment limit: the whole report is in $log.)"
    content="${content:0:$((LIMIT - ${#note}))}$note"
  fi
fi

if [ "$provider" = GitHub ]; then
  printf '%s' "$content" | bash "$(dirname "$0")/post-github-comment.sh"
  exit 0
fi
aws codecommit post-comment-for-pull-request \
  --pull-request-id "$PULL_REQUEST_ID" \
  --repository-name "$REPOSITORY_NAME" \
  --before-commit-id "$DESTINATION_COMMIT" \
  --after-commit-id "$SOURCE_COMMIT" \
  --content "$content" \
  --query 'comment.commentId' --output text
