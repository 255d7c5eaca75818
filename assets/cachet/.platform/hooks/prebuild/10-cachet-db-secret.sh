#!/bin/bash
# Elastic Beanstalk prebuild hook (runs as root from the extracted bundle, before the container is
# pulled and started): installs the database secret refresher and its every-minute timer, then runs
# it once so the container starts with the current password.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../cachet" && pwd)
arn=${DB_SECRET_ARN:-$(/opt/elasticbeanstalk/bin/get-config environment -k DB_SECRET_ARN)}
printf 'DB_SECRET_ARN=%s\n' "$arn" >/etc/cachet-db-secret.env
install -m 0755 "$here/cachet-db-secret" /usr/local/sbin/cachet-db-secret
install -m 0644 "$here/cachet-db-secret.service" "$here/cachet-db-secret.timer" /etc/systemd/system/
DB_SECRET_ARN=$arn /usr/local/sbin/cachet-db-secret
systemctl daemon-reload
systemctl enable --now cachet-db-secret.timer
