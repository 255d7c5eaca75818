#!/bin/bash
# Elastic Beanstalk prebuild hook (runs as root from the extracted bundle, before the container is
# pulled and started): installs the database secret refresher and its every-minute timer, then runs
# it once so the containers start with the current credentials (the application user's, the master's) and APP_KEY.
set -euo pipefail
here=$(cd "$(dirname "$0")/../../cachet" && pwd)
arn=${DB_SECRET_ARN:-$(/opt/elasticbeanstalk/bin/get-config environment -k DB_SECRET_ARN)}
master=${DB_MASTER_SECRET_ARN:-$(/opt/elasticbeanstalk/bin/get-config environment -k DB_MASTER_SECRET_ARN)}
app_key=${APP_KEY_SECRET_ARN:-$(/opt/elasticbeanstalk/bin/get-config environment -k APP_KEY_SECRET_ARN)}
printf 'DB_SECRET_ARN=%s\nDB_MASTER_SECRET_ARN=%s\nAPP_KEY_SECRET_ARN=%s\n' "$arn" "$master" "$app_key" >/etc/cachet-db-secret.env
install -m 0755 "$here/cachet-db-secret" /usr/local/sbin/cachet-db-secret
install -m 0644 "$here/cachet-db-secret.service" "$here/cachet-db-secret.timer" /etc/systemd/system/
DB_SECRET_ARN=$arn DB_MASTER_SECRET_ARN=$master APP_KEY_SECRET_ARN=$app_key /usr/local/sbin/cachet-db-secret
systemctl daemon-reload
systemctl enable --now cachet-db-secret.timer
