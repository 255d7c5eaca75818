#!/usr/bin/env bash
# For a build that CodeBuild's GitHub webhook started on a pull request: prints, as one `export`
# line for the buildspec to eval, the variables the CodeCommit rule passes as its target's input:
#   PULL_REQUEST_ID     the number in CODEBUILD_WEBHOOK_TRIGGER (pr/<number>)
#   SOURCE_COMMIT       the commit checked out (the pull request's head)
#   DESTINATION_COMMIT  the tip of the base branch (CODEBUILD_WEBHOOK_BASE_REF)
# A full clone (git_clone_depth 0) holds the base branch as origin/<branch>; if it does not, the
# branch is fetched from origin.
set -euo pipefail

trigger=${CODEBUILD_WEBHOOK_TRIGGER:-}
if [[ ! $trigger =~ ^pr/([0-9]+)$ ]]; then
  echo "CODEBUILD_WEBHOOK_TRIGGER is \"$trigger\", not pr/<number>: this build is started by the pull request webhook" >&2
  exit 1
fi
number=${BASH_REMATCH[1]}
base_ref=${CODEBUILD_WEBHOOK_BASE_REF:-}
branch=${base_ref#refs/heads/}
if [ -z "$branch" ] || [[ $branch == refs/* ]]; then
  echo "CODEBUILD_WEBHOOK_BASE_REF is \"$base_ref\", not a branch (refs/heads/<branch>)" >&2
  exit 1
fi

cd "${CODEBUILD_SRC_DIR:-.}"
tracking="refs/remotes/origin/$branch"
if ! base=$(git rev-parse --verify --quiet "$tracking^{commit}"); then
  git fetch --quiet --no-tags origin "+refs/heads/$branch:$tracking" >&2
  base=$(git rev-parse --verify "$tracking^{commit}")
fi
printf 'export PULL_REQUEST_ID=%q SOURCE_COMMIT=%q DESTINATION_COMMIT=%q\n' "$number" "$(git rev-parse HEAD)" "$base"
