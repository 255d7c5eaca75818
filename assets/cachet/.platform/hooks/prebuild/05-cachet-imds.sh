#!/bin/bash
# Elastic Beanstalk prebuild hook (root, before the container starts): lowers this instance's
# instance metadata hop limit to 1, so the Cachet container (Docker's bridge network, one hop further)
# cannot get an IMDSv2 token and with it the instance role's credentials; the host keeps IMDS.
# Beanstalk has no option for the hop limit, and AL2023 images launch with 2. The instance role may
# change the metadata options of this environment's instances only (by Beanstalk's tag).
set -euo pipefail
imds=${CACHET_IMDS_ENDPOINT:-http://169.254.169.254}
token=$(curl -fsS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/latest/api/token")
metadata() { curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/$1"; }
instance=$(metadata instance-id)
region=$(metadata placement/region)
aws ec2 modify-instance-metadata-options --region "$region" --instance-id "$instance" \
  --http-tokens required --http-endpoint enabled --http-put-response-hop-limit 1 >/dev/null
echo "cachet-imds: $instance answers instance metadata to this host only (IMDSv2, hop limit 1)"
