#!/usr/bin/env bash
# docs/configuration.md must list exactly what the binaries' --help says (regenerate it with
# scripts/config-doc BUILD_DIR after adding or changing a key).
#   config_doc.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$src/scripts/config-doc" "$build" --stdout >"$tmp"
if ! diff -u "$src/docs/configuration.md" "$tmp"; then
  echo "FAIL: docs/configuration.md is out of date: run scripts/config-doc $build" >&2
  exit 1
fi
echo "ok: docs/configuration.md matches every service's --help"
