#!/usr/bin/env bash
# Posts standard input as a comment on GitHub pull request PULL_REQUEST_ID of REPOSITORY_NAME
# (owner/repository): POST /repos/{owner}/{repo}/issues/{number}/comments at GITHUB_API_URL (default
# https://api.github.com), with the token in the Secrets Manager secret GITHUB_TOKEN_SECRET. Called by
# post-pull-request-report.sh, which has checked the variables. While the secret holds no token (the
# stack makes it empty) nothing is posted and this succeeds: the report stays in the build's log,
# which the pull request's status (CodeBuild's) links to.
set -euo pipefail

log="the log of CodeBuild build ${CODEBUILD_BUILD_ID:-?}"
errors=$(mktemp)
if ! token=$(aws secretsmanager get-secret-value --secret-id "$GITHUB_TOKEN_SECRET" --query SecretString --output text 2>"$errors"); then
  if grep -q 'ResourceNotFoundException' "$errors"; then
    echo "No comment: $GITHUB_TOKEN_SECRET holds no token yet. The report is in $log, which the pull request's status links to;" \
      "put a token that may write this repository's pull requests in the secret to have it posted (docs/web.md)."
    exit 0
  fi
  cat "$errors" >&2
  exit 1
fi
# The token goes to curl in a header file, not on its command line.
if ! response=$(
  jq --raw-input --slurp '{body: .}' |
    curl --silent --show-error --fail-with-body --request POST \
      --header @<(printf 'Authorization: Bearer %s\n' "$token") \
      --header 'Accept: application/vnd.github+json' \
      --header 'X-GitHub-Api-Version: 2022-11-28' \
      --header 'Content-Type: application/json' \
      --data-binary @- \
      "${GITHUB_API_URL:-https://api.github.com}/repos/$REPOSITORY_NAME/issues/$PULL_REQUEST_ID/comments"
); then
  echo "GitHub refused the comment on pull request $PULL_REQUEST_ID of $REPOSITORY_NAME: $response" >&2
  exit 1
fi
jq -r '.html_url' <<<"$response"
