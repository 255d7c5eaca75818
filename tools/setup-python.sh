#!/usr/bin/env bash
# Installs the pinned Python tools of requirements-dev.txt (checkov, moto, the AWS CLI) into the project-local
# .venv. Runs at the start of `npm test` (tools/task.ts) and of `npm run policy`; does nothing, offline too, when .venv already
# matches the requirements file.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null || { echo "setup-python: python3 is missing; install Python 3.9+ with venv" >&2; exit 1; }
wanted=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
marker=.venv/.requirements-sha256
if [ -x .venv/bin/checkov ] && [ -x .venv/bin/moto_server ] && [ -x .venv/bin/aws ] && [ "$(cat "$marker" 2>/dev/null)" = "$wanted" ]; then
  exit 0
fi
echo "setup-python: installing requirements-dev.txt into .venv (once)" >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$wanted" > "$marker"
