#!/usr/bin/env bash
# Builds a release of the web app: vet + test (unless --skip-tests), a static linux binary with
# the version and commit stamped in, and the systemd unit beside it.
#   app/build.sh VERSION COMMIT OUTDIR [--skip-tests]
# OUTDIR then holds bin/webapp and webapp.service (the artifact CodeBuild packages).
set -euo pipefail
cd "$(dirname "$0")"

if [ $# -lt 3 ]; then
  echo "usage: app/build.sh VERSION COMMIT OUTDIR [--skip-tests]" >&2
  exit 2
fi
version=$1 commit=$2 out=$3 skip_tests=${4:-}
for v in "$version" "$commit"; do
  [[ $v =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || { echo "build.sh: '$v' is not a valid version or commit (letters, digits, . _ + -)" >&2; exit 2; }
done
command -v go >/dev/null || { echo "build.sh: go is missing (apt-get install -y golang-go)" >&2; exit 1; }

if [ "$skip_tests" != "--skip-tests" ]; then
  go vet ./...
  go test -count=1 ./...
fi
mkdir -p "$out/bin"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$out/bin/webapp" .
cp deploy/webapp.service "$out/webapp.service"
