#!/usr/bin/env bash
# What the whole suite (`npm test`) needs on this machine. Checks everything at once and, when
# something is missing, prints one message listing each missing tool with the Debian package that
# installs it, then exits 1, before any test starts (`npm test` runs this first).
#   --missing-packages   print only the Debian packages to install, one line, and exit 0
#                        (.ci/run installs them)
set -uo pipefail
cd "$(dirname "$0")/.."

missing=()   # "tool|package|why"
need() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || missing+=("$1|$2|$3"); }

need go golang-go "builds and tests app/ (synth builds the web app's first release)"
need terraform "" "validates and plans every stack; install Terraform >= 1.11 from HashiCorp"
need python3 python3-venv "runs checkov, moto and the AWS CLI from .venv"
# Debian's python3 comes without venv and ensurepip (they are python3-venv): .venv cannot be made without them.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3 venv|python3-venv|tools/setup-python.sh makes .venv with it")
fi
need haproxy haproxy "the release drill's local load balancer"
need wrk wrk "the release drill's load (and npm run bench:webapp's)"
need php php-cli "runs the Cachet image's PHP"
need nginx nginx "serves the Cachet image's site config in the web-server tests"
command -v php-fpm >/dev/null 2>&1 || compgen -G '/usr/sbin/php-fpm*' >/dev/null ||
  missing+=("php-fpm|php-fpm|runs the Cachet image's PHP behind nginx in the web-server tests")
need mariadbd mariadb-server "the Cachet database tests (TLS, rotation, passwords)"
need jq jq "the Deploy action's script"
need openssl openssl "certificates for the verify tests and the emulator"
need dot graphviz "renders the diagrams"
need unshare util-linux "the boot test's private mount namespace"
need setpriv util-linux "the boot test runs services as their user"
need useradd passwd "the boot test creates the service user"
# php -m is read whole before grep looks: `php -m | grep -q` under pipefail fails when grep finds its
# line and closes the pipe while php still writes (SIGPIPE), so a busy machine would look short of it.
# Without php at all, php-mysql is listed too, so that one round of installs is enough.
if ! command -v php >/dev/null 2>&1 || ! grep -qx pdo_mysql <<<"$(php -m 2>/dev/null)"; then
  missing+=("php pdo_mysql|php-mysql|the Cachet database tests connect through PDO")
fi

# The hashicorp/aws provider from a local filesystem mirror (no package installs it; no registry is
# reachable): $TF_PROVIDER_MIRROR when set, else the places harness/terraform-mirror.ts searches
# (MIRROR_CANDIDATES; a test holds the two lists equal). The exact version is checked when .ci/run
# writes the CLI configuration.
mirror_ok=
if [ -n "${TF_PROVIDER_MIRROR:-}" ]; then
  [ -d "$TF_PROVIDER_MIRROR/registry.terraform.io/hashicorp/aws" ] && mirror_ok=1
  mirror_where="TF_PROVIDER_MIRROR=$TF_PROVIDER_MIRROR"
else
  for dir in /opt/tf-plugins "${HOME:-/root}/.terraform.d/plugins" /usr/local/share/terraform/plugins /usr/share/terraform/plugins; do
    [ -d "$dir/registry.terraform.io/hashicorp/aws" ] && mirror_ok=1
  done
  mirror_where="/opt/tf-plugins, ~/.terraform.d/plugins, /usr/local/share/terraform/plugins, /usr/share/terraform/plugins"
fi
[ -n "$mirror_ok" ] || missing+=("hashicorp/aws provider mirror||the offline plans install the provider from it; none in $mirror_where: set TF_PROVIDER_MIRROR to a filesystem mirror (terraform providers mirror <dir>)")

if [ "${1:-}" = "--missing-packages" ]; then
  printf '%s\n' "${missing[@]}" | cut -d'|' -f2 | grep -v '^$' | sort -u | tr '\n' ' '
  echo
  exit 0
fi

problems=()
for entry in "${missing[@]}"; do
  IFS='|' read -r tool package why <<<"$entry"
  problems+=("  - $tool ($why)${package:+: apt-get install -y $package}")
done
[ "$(id -u)" = 0 ] || problems+=("  - root (the boot test mounts overlays in a private namespace): run the suite as root, as CI does")
if ((${#problems[@]})); then
  {
    echo "npm test cannot run on this machine yet; missing:"
    printf '%s\n' "${problems[@]}"
    packages=$(printf '%s\n' "${missing[@]}" | cut -d'|' -f2 | grep -v '^$' | sort -u | tr '\n' ' ')
    [ -n "$packages" ] && echo "Install them all: apt-get update && apt-get install -y $packages"
    echo "Or run .ci/run, which installs them and runs the suite. For a quick loop without them: npm run test:unit"
  } >&2
  exit 1
fi
