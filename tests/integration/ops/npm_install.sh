#!/usr/bin/env bash
# Installs the npm packages of the ops checks (package.json + package-lock.json next to this
# script) into DEST/node_modules, once: again only when the lock file changed.
#   npm_install.sh DEST
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=$1
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node/npm not installed (needed for the Kubernetes and Dockerfile checks)"
  exit 77
fi
mkdir -p "$dest"
if [ -d "$dest/node_modules" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
  echo "npm packages present in $dest"
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
rm -rf node_modules
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "npm ci failed (no network and no npm cache?): the Kubernetes and Dockerfile checks cannot run" >&2
  exit 1
fi
echo "installed: $(node -e 'const p=require("./package.json");console.log(Object.entries(p.dependencies).map(([k,v])=>k+"@"+v).join(" "))') (node $(node --version))"
