#!/bin/bash
# Configuration deployments (a change of environment properties alone) run .platform/confighooks,
# not .platform/hooks: the same step runs on both paths.
exec "$(dirname "$0")/../../hooks/prebuild/05-cachet-imds.sh" "$@"
