#!/usr/bin/env bash
# scripts/run as a newcomer uses it (issue 9): start it, build step included, with a fresh
# data directory, wait for the dashboard, check that it answers and that the demo totals are
# not zero, stop it with SIGINT and check the clean exit; start it again (--no-build) and
# check that the data is kept and the demo is not loaded twice.
#   run_newcomer.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
# Job control: a background job of a script without it starts with SIGINT ignored, and
# an ignored signal cannot be trapped, so scripts/run would never see our Ctrl-C. With it,
# the job also gets its own process group, which cleanup kills as a whole.
set -m
src=$1
build=$2
for b in calendar/mvoi-calendar impact-calculator/mvoi-impact-calculator \
         kpi-aggregator/mvoi-kpi-aggregator gateway/mvoi-gateway mvoictl/mvoictl; do
  [ -x "$build/services/$b" ] || { echo "skip: $b not built"; exit 77; }
done
command -v curl >/dev/null || { echo "skip: curl missing"; exit 77; }

dir=$(mktemp -d /tmp/mvoirunXXXXXX)
runpid=
cleanup() {
  local st=$?
  if [ -n "$runpid" ]; then kill -9 -- "-$runpid" 2>/dev/null || true; fi
  # The services' logs go with the temp dir: copy them into the test's output first when
  # the test failed or a log holds a sanitizer report.
  if [ "$st" != 0 ] || grep -qsE 'Sanitizer|runtime error:' "$data"/logs/*.log; then
    for f in "$data"/logs/*.log; do
      [ -f "$f" ] || continue
      echo "===== kept log $f (last 200 lines) ====="
      tail -n 200 "$f"
    done
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
# A base whose ports (scripts/run: base+101..502, HTTP base+99) are free now, below the
# ephemeral range (32768+) so that no outgoing connection holds them; not derived from $$,
# which collided with other tests' ranges.
base=$(python3 "$src/tests/integration/free_port.py" --base 99 101 102 201 202 301 302 401 402 501 502) ||
  { echo "FAIL: no free port base"; exit 1; }
http=$((base + 99))
data=$dir/data

start_run() {  # start_run LOGFILE [--no-build]
  "$src/scripts/run" --data-dir "$data" --port-base "$base" --http-port "$http" \
      --build-dir "$build" "${@:2}" >"$1" 2>&1 &
  runpid=$!
  local i
  for ((i = 0; i < 3000; i++)); do
    grep -q "Press Ctrl-C to stop" "$1" && return 0
    kill -0 "$runpid" 2>/dev/null || { echo "FAIL: scripts/run exited early:"; cat "$1"; exit 1; }
    sleep 0.1
  done
  echo "FAIL: scripts/run not ready within 300 s"; cat "$1"; exit 1
}
stop_run() {  # stop_run LOGFILE
  kill -INT "$runpid"
  local st=0
  wait "$runpid" || st=$?
  runpid=
  [ "$st" = 0 ] || { echo "FAIL: scripts/run exited $st after SIGINT"; cat "$1"; exit 1; }
  grep -q "stopped; data kept" "$1" || { echo "FAIL: no clean stop message"; cat "$1"; exit 1; }
}
kpi_total() {  # the sum of every realisation the dashboard API reports
  curl -sf "http://127.0.0.1:$http/api/kpi" | python3 -c '
import json, sys
doc = json.load(sys.stdin)
items = doc.get("totals", doc) if isinstance(doc, dict) else doc
print(sum(abs(int(t.get("realisation", 0))) for t in items if isinstance(t, dict)))'
}

start_run "$dir/run1.log"
# ctest runs this test beside the others (not RUN_SERIAL), so the build step must not have
# changed the tree they run: on a built tree it is a no-op. A rebuild here means ctest ran on
# a stale tree, or a second configure changed the flags (scripts/test configures twice).
rebuilt='Building C object|Linking C |Generating '
[ -f "$data/logs/build.log" ] || { echo "FAIL: scripts/run wrote no build log"; exit 1; }
if grep -qE "$rebuilt" "$data/logs/build.log"; then
  grep -E "$rebuilt" "$data/logs/build.log" | head -5 || true
  echo "FAIL: scripts/run's build step rebuilt part of $build (above), beside other tests"
  exit 1
fi
grep -q "loading the demo calendar" "$dir/run1.log" || { echo "FAIL: demo not loaded"; exit 1; }
if ! curl -sf "http://127.0.0.1:$http/" -o "$dir/page.html" || ! grep -qi "<html" "$dir/page.html"; then
  echo "FAIL: the dashboard does not answer with a page"; exit 1
fi
total=0
for _ in $(seq 1 60); do
  total=$(kpi_total 2>/dev/null || echo 0)
  [ "${total:-0}" -gt 0 ] && break
  sleep 0.5
done
[ "${total:-0}" -gt 0 ] || { echo "FAIL: demo totals are zero"; curl -s "http://127.0.0.1:$http/api/kpi" | head -c 500; exit 1; }
echo "ok: dashboard answers, demo realisation sum $total"
# what the summary tells a newcomer to load: the key and this run's endpoints (not 7000's)
grep -q "set -a; . $data/mvoictl.env; set +a" "$dir/run1.log" \
  || { echo "FAIL: the summary does not name $data/mvoictl.env"; cat "$dir/run1.log"; exit 1; }
# shellcheck disable=SC2046 # the file holds KEY=VALUE words
env $(cat "$data/mvoictl.env") \
  "$build/services/mvoictl/mvoictl" tender list --all >"$dir/list1.txt" 2>&1 || true
stop_run "$dir/run1.log"
echo "ok: clean exit on SIGINT"

# The second start is about the data, not the build: the first one already ran the build
# step (bootstrap, configure, build) as a newcomer's does; a second no-op build of the same
# tree proves nothing more.
start_run "$dir/run2.log" --no-build
if grep -q "loading the demo" "$dir/run2.log"; then
  echo "FAIL: the second start loaded the demo again"; cat "$dir/run2.log"; exit 1
fi
# shellcheck disable=SC2046
env $(cat "$data/mvoictl.env") \
  "$build/services/mvoictl/mvoictl" tender list --all >"$dir/list2.txt" 2>&1 || true
diff -q "$dir/list1.txt" "$dir/list2.txt" >/dev/null \
  || { echo "FAIL: the tenders differ after a restart"; diff "$dir/list1.txt" "$dir/list2.txt"; exit 1; }
grep -q "HRL-" "$dir/list2.txt" || { echo "FAIL: no demo tenders after restart"; cat "$dir/list2.txt"; exit 1; }
total2=0
for _ in $(seq 1 60); do
  total2=$(kpi_total 2>/dev/null || echo 0)
  [ "${total2:-0}" = "$total" ] && break
  sleep 0.5
done
[ "$total2" = "$total" ] || { echo "FAIL: totals $total2 after restart, $total before"; exit 1; }
stop_run "$dir/run2.log"
echo "ok: second start kept the data ($(grep -c "HRL-" "$dir/list2.txt") tenders, totals $total2) and did not load the demo twice"
