#!/bin/sh
# Cachet reads its database password from DB_PASSWORD. RDS keeps the master credentials as JSON
# ({"username": ..., "password": ...}) in Secrets Manager, and Elastic Beanstalk hands that JSON to
# the container as DB_MASTER_SECRET. Take the password out here, inside the container, so it never
# appears in the environment's configuration, the Terraform JSON or the state.
set -eu
if [ -n "${DB_MASTER_SECRET:-}" ]; then
  DB_PASSWORD=$(printf '%s' "$DB_MASTER_SECRET" | php -r '
    $s = json_decode(stream_get_contents(STDIN), true);
    if (!is_array($s) || !isset($s["password"])) {
      fwrite(STDERR, "DB_MASTER_SECRET is not the RDS master secret JSON\n");
      exit(1);
    }
    echo $s["password"];')
  export DB_PASSWORD
  unset DB_MASTER_SECRET
fi
# The image's own entry point (overridable only so that tests can run this script outside the image).
exec "${CACHET_IMAGE_ENTRYPOINT:-/sbin/entrypoint.sh}" "$@"
