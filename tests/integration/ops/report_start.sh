#!/usr/bin/env bash
# The report service starting before its upstreams (as under scripts/run): its automatic
# reports fail to gather and are named in the log; the process lives on, stops cleanly,
# and (in the sanitizer build) reports nothing. Run START times (issue 19: a heap-use-
# after-free of the gather's error message aborted it at start under ASan).
#   report_start.sh REPORT_BIN [STARTS]
set -euo pipefail
rep=$1 starts=${2:-5}
dir=$(mktemp -d /tmp/mvoirsXXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
export MVOI_LOG_LEVEL=info MVOI_REPORT_TIMEOUT_MS=100 MVOI_REPORT_CHROMIUM=
# Upstreams nobody serves: every gather times out.
export MVOI_REPORT_KPI_API=ipc://$dir/none-kpi MVOI_REPORT_CALENDAR_API=ipc://$dir/none-cal
export MVOI_REPORT_IMPACT_API=ipc://$dir/none-imp
for i in $(seq "$starts"); do
  MVOI_DATA_DIR=$dir/d$i MVOI_REPORT_API=ipc://$dir/r$i.api MVOI_REPORT_PUB=ipc://$dir/r$i.pub \
    "$rep" >"$dir/r$i.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    grep -qs '"event":"report_failed"' "$dir/r$i.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill "$pid" 2>/dev/null || true
  st=0
  wait "$pid" || st=$?
  pid=
  if [ "$st" != 0 ] || grep -qE 'Sanitizer|runtime error:' "$dir/r$i.log"; then
    echo "FAIL: start $i: exit $st"; cat "$dir/r$i.log"; exit 1
  fi
  grep -q '"event":"report_failed".*failed: .*' "$dir/r$i.log" \
    || { echo "FAIL: start $i: no report_failed line"; cat "$dir/r$i.log"; exit 1; }
done
echo "ok: $starts starts without upstreams: each report failure named, clean stop"
