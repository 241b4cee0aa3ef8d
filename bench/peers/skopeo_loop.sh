#!/usr/bin/env bash
# skopeo's way, as its maintainers suggest for this job: list the tags, then
# `skopeo inspect --format '{{.Digest}}'` per tag, comparing with the target's digest.
#
# Usage: skopeo_loop.sh HOST:PORT REPOSITORY TAG [LIMIT]
# Adapted only with --tls-verify=false (plain-HTTP local registry) and an optional LIMIT.
set -euo pipefail
IMAGE="docker://$1/$2"
TAG="$3"
LIMIT="${4:-0}"
TARGET=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "$IMAGE:$TAG")
echo "digest: $TARGET"
count=0
for tag in $(skopeo list-tags --tls-verify=false "$IMAGE" | jq -r '.Tags[]'); do
  if [ "$LIMIT" -gt 0 ] && [ "$count" -ge "$LIMIT" ]; then break; fi
  count=$((count + 1))
  if [ "$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "$IMAGE:$tag")" = "$TARGET" ]; then
    echo "$tag"
  fi
done
