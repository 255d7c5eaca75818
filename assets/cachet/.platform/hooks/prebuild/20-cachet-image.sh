#!/bin/bash
# Elastic Beanstalk prebuild hook (root, before the image is pulled): waits until the image the
# environment runs is in ECR. On a fresh apply the stack's CodeBuild project is still building it
# when the first instances boot; after that the tag exists and this returns at once.
set -euo pipefail
image=${CACHET_IMAGE:-$(/opt/elasticbeanstalk/bin/get-config environment -k CACHET_IMAGE)}
wait_seconds=${CACHET_IMAGE_WAIT_SECONDS:-1500}
[[ $image =~ ^[0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/([a-z0-9._/-]+):([A-Za-z0-9._-]+)$ ]] \
  || { echo "cachet-image: CACHET_IMAGE \"$image\" is not an ECR image URI with a tag" >&2; exit 64; }
region=${BASH_REMATCH[1]} repository=${BASH_REMATCH[3]} tag=${BASH_REMATCH[4]}
deadline=$((SECONDS + wait_seconds))
until aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids imageTag="$tag" >/dev/null; do
  if ((SECONDS >= deadline)); then
    echo "cachet-image: $image is not in ECR after ${wait_seconds} s; see the ${repository}-image CodeBuild project's builds" >&2
    exit 1
  fi
  echo "cachet-image: waiting for $image (the image build runs after each new bundle upload)"
  sleep 15
done
echo "cachet-image: $image is in ECR"
