#!/usr/bin/env bash
# deploy/systemd: `systemd-analyze verify` (any message fails) on a copy whose ExecStart
# points at the built binaries (verify requires an executable), and the units' exposure
# score (`systemd-analyze security --offline`) at most 2.0 ("OK").
#   systemd.sh REPO_ROOT BIN_DIR
set -euo pipefail
root=$1
bin=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not available (package systemd): units not verified"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$root"/deploy/systemd/*.service "$root"/deploy/systemd/*.target "$tmp/"
for u in "$tmp"/*.service; do
  exe=$(sed -n 's|^ExecStart=/usr/local/bin/||p' "$u")
  real=$(find "$bin" -type f -name "$exe" -perm -u+x 2>/dev/null | head -n1)
  [ -n "$real" ] || real=/bin/true   # service not built here: check the unit anyway
  sed -i "s|^ExecStart=/usr/local/bin/.*|ExecStart=$real|" "$u"
done
cd "$tmp"
units=(./*.target ./*.service)
echo "systemd-analyze verify ${units[*]#./}"
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "${units[@]}" 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; echo "systemd-analyze verify printed messages"; exit 1; fi
for u in ./*.service; do
  score=$(systemd-analyze security --offline=yes "$u" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  echo "  ${u#./}: exposure $score"
  [ -n "$score" ] || { echo "no exposure score for $u"; exit 1; }
  awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { echo "${u#./}: exposure $score > 2.0"; exit 1; }
done
echo "systemd units: ok"
