#!/usr/bin/env bash
# deploy/docker/Dockerfile, offline: the dockerfile-utils CLI (errors fail), the stricter
# library check with mvoi's conventions (check-dockerfile.js --self-test), and the Debian
# package names of the runtime stage (apt-cache, when package lists are present).
#   dockerfile.sh REPO_ROOT NODE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$1
node_dir=$2
command -v node >/dev/null 2>&1 || { echo "SKIP: node not installed"; exit 77; }
df="$root/deploy/docker/Dockerfile"

echo "== dockerfile-utils lint"
out=$("$node_dir/node_modules/.bin/dockerfile-utils" lint "$df" 2>&1) || { echo "$out"; exit 1; }
[ -z "$out" ] || echo "$out"

echo "== conventions"
NODE_PATH="$node_dir/node_modules" node "$here/check-dockerfile.js" "$root" --self-test

echo "== runtime package names"
pkgs=$(sed -n 's/^ARG RUNTIME_PKGS="\(.*\)"$/\1/p' "$df")
[ -n "$pkgs" ] || { echo "no ARG RUNTIME_PKGS line in $df"; exit 1; }
if command -v apt-cache >/dev/null 2>&1 && compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  # One apt-cache call for all names: "<name>:" then "  Candidate: <version>|(none)".
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  cands=$(apt-cache policy $pkgs 2>/dev/null | awk '/^[^ ].*:$/ { n = substr($0, 1, length($0) - 1) } /^  Candidate:/ { print n, $2 }')
  bad=0
  for p in $pkgs; do
    cand=$(awk -v p="$p" '$1 == p { print $2 }' <<<"$cands")
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then echo "unknown Debian package: $p"; bad=1; else echo "  $p $cand"; fi
  done
  [ "$bad" = 0 ] || exit 1
else
  echo "  (no apt package lists here: names not checked)"
fi
echo "Dockerfile checks: ok"
