#!/usr/bin/env bash
# The well-known shell recipe for "which tags share this tag's digest": list the tags, then
# one curl GET per tag, one after another, comparing Docker-Content-Digest.
#
# Usage: shell_recipe.sh HOST:PORT REPOSITORY TAG [LIMIT]
#
# Adapted to run here, and only this far (the original's lines are kept in comments):
#  - plain HTTP to a local registry, so no token request and no Authorization header;
#  - the OCI manifest type added to Accept so that OCI images answer at all
#    (the original asks only for application/vnd.docker.distribution.manifest.v2+json);
#  - an optional LIMIT: ask only the first LIMIT tags (the benchmark extrapolates from it).
set -u   # the recipe has no error handling: a tag whose GET fails just does not match
REGISTRY="http://$1"
REPO="$2"
TAG="$3"
LIMIT="${4:-0}"

# TOKEN=$(curl -s "https://auth.docker.io/token?service=registry.docker.io&scope=repository:$REPO:pull" | jq -r .token)
ACCEPT="application/vnd.docker.distribution.manifest.v2+json"
ACCEPT="$ACCEPT, application/vnd.oci.image.manifest.v1+json"   # adaptation: OCI images

digest_of() {
  # curl -s -D - -H "Authorization: Bearer $TOKEN" -H "Accept: $ACCEPT" "$REGISTRY/v2/$REPO/manifests/$1" -o /dev/null
  curl -s -D - -H "Accept: $ACCEPT" "$REGISTRY/v2/$REPO/manifests/$1" -o /dev/null \
    | grep -i '^docker-content-digest:' | awk '{print $2}' | tr -d '\r'
}

TARGET=$(digest_of "$TAG")
echo "digest: $TARGET"
TAGS=$(curl -s "$REGISTRY/v2/$REPO/tags/list" | jq -r '.tags[]')
count=0
for tag in $TAGS; do
  if [ "$LIMIT" -gt 0 ] && [ "$count" -ge "$LIMIT" ]; then break; fi
  count=$((count + 1))
  if [ "$(digest_of "$tag")" = "$TARGET" ]; then
    echo "$tag"
  fi
done
