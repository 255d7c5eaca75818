#!/usr/bin/env bash
# Installs the Terraform the infrastructure buildspecs run (CodeBuild's standard images carry none):
# 1.11.4 for linux_amd64 from releases.hashicorp.com, checked against its published SHA-256 before
# anything is unpacked. Does nothing when that version is already on PATH.
set -euo pipefail
version=1.11.4
sha256=1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc
dest=${TERRAFORM_INSTALL_DIR:-/usr/local/bin}

# Read whole, not piped into head: under pipefail, terraform killed by SIGPIPE when head stops
# reading would fail the check on a busy machine and start a download.
current=$(CHECKPOINT_DISABLE=1 terraform version 2>/dev/null || true)
if [ "${current%%$'\n'*}" = "Terraform v${version}" ]; then
  echo "install-terraform: Terraform ${version} is already on PATH"
  exit 0
fi
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { echo "install-terraform: this pins linux_amd64 only; this machine is $(uname -s)-$(uname -m)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/terraform.zip" "https://releases.hashicorp.com/terraform/${version}/terraform_${version}_linux_amd64.zip"
echo "${sha256}  $work/terraform.zip" | sha256sum -c --quiet - || { echo "install-terraform: the download's SHA-256 is not ${sha256}; refusing it" >&2; exit 1; }
unzip -q -o "$work/terraform.zip" terraform -d "$work"
install -m 0755 "$work/terraform" "$dest/terraform"
"$dest/terraform" version | head -1
