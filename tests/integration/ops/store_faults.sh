#!/usr/bin/env bash
# An operator's bad day on the calendar's store (issue 19): a second instance on the same
# data directory, a truncated, empty, missing, meta-damaged or page-damaged data.mdb. Each
# start is refused with a named error in one JSON log line and a non-zero exit (never a
# signal), and the file is byte for byte what it was (sha256 before and after).
#   store_faults.sh CALENDAR_BIN MVOICTL_BIN SOURCE_DIR
set -euo pipefail
cal=$1 ctl=$2 src=$3
dir=$(mktemp -d /tmp/mvoisfXXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
export MVOI_DATA_DIR=$dir/data MVOI_LOG_LEVEL=info
export MVOI_CALENDAR_API=ipc://$dir/cal.api MVOI_CALENDAR_PUB=ipc://$dir/cal.pub
store=$dir/data/calendar
fail() { echo "FAIL: $*" >&2; for f in "$dir"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

# A store with the demo calendar in it.
"$cal" >"$dir/first.log" 2>&1 & pids+=($!); first=$!
for _ in $(seq 50); do [ -S "$dir/cal.api" ] && break; sleep 0.1; done
"$ctl" tender import "$src/deploy/demo/calendar.csv" >/dev/null || fail "import"

# 1. A second instance on the same directory (other endpoints): refused, names the pid.
set +e
MVOI_CALENDAR_API=ipc://$dir/cal2.api MVOI_CALENDAR_PUB=ipc://$dir/cal2.pub \
  timeout 10 "$cal" >"$dir/second.log" 2>&1
rc=$?
set -e
if [ "$rc" -eq 0 ] || [ "$rc" -ge 124 ]; then fail "second instance exit $rc"; fi
grep -q "\"event\":\"store_refused\".*data directory $store is in use by pid $first\".*\"error\":\"EBUSY\"" \
  "$dir/second.log" || fail "second instance: no store_refused naming pid $first"
echo "ok: a second instance is refused: in use by pid $first (exit $rc)"
kill "$first"; wait "$first" || fail "first instance did not stop cleanly"
pids=()
cp "$store/data.mdb" "$dir/good.mdb"
size=$(stat -c %s "$dir/good.mdb")

# start_refused NAME ERRNO PATTERN: start once, expect exit != 0 (no signal), one
# store_refused line with the errno name and PATTERN, data.mdb unchanged.
start_refused() {
  local name=$1 errno=$2 pattern=$3 before after rc
  before=$(sha256sum "$store/data.mdb" 2>/dev/null | cut -d' ' -f1 || echo missing)
  set +e
  timeout 10 "$cal" >"$dir/$name.log" 2>&1
  rc=$?
  set -e
  after=$(sha256sum "$store/data.mdb" 2>/dev/null | cut -d' ' -f1 || echo missing)
  if [ "$rc" -eq 0 ] || [ "$rc" -ge 124 ]; then
    fail "$name: exit $rc (124 = still running, >128 = a signal)"
  fi
  grep -q "\"event\":\"store_refused\".*$pattern.*\"error\":\"$errno\"" "$dir/$name.log" \
    || fail "$name: no store_refused line with $errno and '$pattern'"
  grep -v '^{' "$dir/$name.log" | grep -v "^mvoi-calendar: " && fail "$name: a log line that is not JSON"
  [ "$before" = "$after" ] || fail "$name: data.mdb changed ($before -> $after)"
  echo "ok: $name refused ($errno, exit $rc), data.mdb unchanged"
}

cp "$dir/good.mdb" "$store/data.mdb"; truncate -s $((size / 2)) "$store/data.mdb"
start_refused truncated EUCLEAN "is truncated: $((size / 2)) bytes, its meta page says $size"
: >"$store/data.mdb"
start_refused empty ENODATA "is empty (0 bytes)"
rm "$store/data.mdb"
start_refused missing ENODATA "is missing but $store held a store (mvoi.store is there)"
[ -e "$store/data.mdb" ] && fail "missing: the refused start created data.mdb"
cp "$dir/good.mdb" "$store/data.mdb"
printf 'overwritten meta page' | dd of="$store/data.mdb" bs=1 seek=16 conv=notrunc 2>/dev/null
start_refused meta EUCLEAN "meta page 0 is damaged"
cp "$dir/good.mdb" "$store/data.mdb"
printf 'overwritten meta page' | dd of="$store/data.mdb" bs=1 seek=$((4096 + 16)) conv=notrunc 2>/dev/null
start_refused meta1 EUCLEAN "meta page 1 is damaged"

# Damaged data pages: every third byte of one page flipped. Each page that the walk
# rejects must leave the file unchanged; a page holding only values may pass the walk
# (LMDB keeps no checksums) and the start then runs.
refused=0
for pg in $(seq 2 $((size / 4096 - 1))); do
  cp "$dir/good.mdb" "$store/data.mdb"
  python3 - "$store/data.mdb" "$pg" <<'PY'
import sys
path, pg = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(pg * 4096)
    b = bytearray(f.read(4096))
    for i in range(0, 4096, 3):
        b[i] ^= 0xFF
    f.seek(pg * 4096)
    f.write(b)
PY
  before=$(sha256sum "$store/data.mdb" | cut -d' ' -f1)
  set +e
  timeout 1 "$cal" >"$dir/page$pg.log" 2>&1
  rc=$?
  set -e
  after=$(sha256sum "$store/data.mdb" | cut -d' ' -f1)
  [ "$rc" -gt 128 ] && [ "$rc" -ne 124 ] && fail "page $pg: the start died of signal $((rc - 128))"
  if [ "$rc" -ne 124 ]; then
    grep -q '"event":"store_refused".*is damaged.*"error":"EUCLEAN"' "$dir/page$pg.log" \
      || fail "page $pg: exit $rc without a store_refused line"
    [ "$before" = "$after" ] || fail "page $pg: a refused start changed data.mdb"
    refused=$((refused + 1))
  fi
done
[ "$refused" -ge 3 ] || fail "only $refused damaged pages were refused"
echo "ok: $refused damaged data pages refused by name, each file unchanged, no signal"

# --init and MVOI_INIT=true start a new store where the old one is gone.
rm "$store/data.mdb"
"$cal" --init >"$dir/init.log" 2>&1 & pids+=($!); p=$!
for _ in $(seq 50); do grep -q '"event":"started"' "$dir/init.log" && break; sleep 0.1; done
grep -q '"event":"store_new"' "$dir/init.log" || fail "--init: no store_new line"
kill "$p"; wait "$p" || true; pids=()
: >"$store/data.mdb"
MVOI_INIT=true "$cal" >"$dir/init2.log" 2>&1 & pids+=($!); p=$!
for _ in $(seq 50); do grep -q '"event":"started"' "$dir/init2.log" && break; sleep 0.1; done
grep -q '"event":"started"' "$dir/init2.log" || fail "MVOI_INIT=true: did not start"
kill "$p"; wait "$p" || true; pids=()
echo "ok: --init and MVOI_INIT=true create a new store"
