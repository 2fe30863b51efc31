#!/usr/bin/env bash
# A full disk under every service that writes (issue 19). The impact-calculator, the
# kpi-aggregator and the notifier keep their stores on one small tmpfs; the calendar (on
# a tmpfs of its own, filled last) keeps producing meanwhile; the report service (store and
# report files on a third tmpfs, filled at the end) refuses a report by name and writes it
# whole once space returns. When the tmpfs is full each of them names ENOSPC in
# JSON log lines whose rate its backoff bounds, answers not-ready, refuses commands
# without acknowledging them; when space returns each recovers by itself and nothing
# acknowledged is lost (the consumers' cursors reach the calendar's head).
#   storage_full.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
cal=$build/services/calendar/mvoi-calendar
imp=$build/services/impact-calculator/mvoi-impact-calculator
kpi=$build/services/kpi-aggregator/mvoi-kpi-aggregator
ntf=$build/services/notifier/mvoi-notifier
rep=$build/services/report/mvoi-report
ctl=$build/services/mvoictl/mvoictl
dir=$(mktemp -d /tmp/mvoidfXXXXXX)
full=$dir/full
mkdir -p "$full" "$dir/disk" "$dir/rdisk"
pids=()
mounted=0
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "$mounted" -ge 1 ]; then umount "$full" 2>/dev/null || true; fi
  if [ "$mounted" -ge 2 ]; then umount "$dir/disk" 2>/dev/null || true; fi
  if [ "$mounted" -ge 3 ]; then umount "$dir/rdisk" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=48m tmpfs "$full" 2>"$dir/mount.err"; then
  echo "skip: cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): $(cat "$dir/mount.err")"
  exit 77
fi
mounted=1
mount -t tmpfs -o size=16m tmpfs "$dir/disk"   # the calendar's, filled in the last part
mounted=2
mount -t tmpfs -o size=8m tmpfs "$dir/rdisk"   # the report service's, filled at the end
mounted=3

export MVOI_LOG_LEVEL=info
export MVOI_CALENDAR_API=ipc://$dir/cal.api MVOI_CALENDAR_PUB=ipc://$dir/cal.pub
export MVOI_IMPACT_CALCULATOR_API=ipc://$dir/imp.api MVOI_IMPACT_CALCULATOR_PUB=ipc://$dir/imp.pub
export MVOI_IMPACT_CALCULATOR_CALENDAR_API=$MVOI_CALENDAR_API MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_KPI_AGGREGATOR_API=ipc://$dir/kpi.api MVOI_KPI_AGGREGATOR_PUB=ipc://$dir/kpi.pub
export MVOI_KPI_AGGREGATOR_CALENDAR_API=$MVOI_CALENDAR_API MVOI_KPI_AGGREGATOR_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_KPI_AGGREGATOR_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API MVOI_KPI_AGGREGATOR_IMPACT_PUB=$MVOI_IMPACT_CALCULATOR_PUB
export MVOI_NOTIFIER_API=ipc://$dir/ntf.api MVOI_NOTIFIER_PUB=ipc://$dir/ntf.pub
export MVOI_NOTIFIER_CALENDAR_API=$MVOI_CALENDAR_API MVOI_NOTIFIER_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API MVOI_KPI_API=$MVOI_KPI_AGGREGATOR_API
export MVOI_REPORT_API=ipc://$dir/rep.api MVOI_REPORT_PUB=ipc://$dir/rep.pub MVOI_REPORT_AUTO=false
export MVOI_REPORT_KPI_API=$MVOI_KPI_AGGREGATOR_API MVOI_REPORT_CALENDAR_API=$MVOI_CALENDAR_API
export MVOI_REPORT_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API

fail() {
  echo "FAIL: $*" >&2
  for f in "$dir"/*.log; do echo "--- $f (last 15 lines)" >&2; tail -15 "$f" >&2; done
  exit 1
}
start() {  # start NAME DATA_DIR BIN
  MVOI_DATA_DIR=$2 "$3" >>"$dir/$1.log" 2>&1 &
  pids+=($!)
}
ready() { "$1" --healthcheck=ready >/dev/null 2>&1; }
wait_ready() {  # wait_ready NAME BIN WANT(0 ready, 1 not) SECONDS
  local i
  for ((i = 0; i < $4 * 10; i++)); do
    if ready "$2"; then [ "$3" = 0 ] && return 0; else [ "$3" = 1 ] && return 0; fi
    sleep 0.1
  done
  fail "$1: readiness did not become $3 within $4 s"
}
stays_not_ready() {  # stays_not_ready NAME BIN SECONDS: not ready at every look
  local end
  end=$(($(date +%s%N) + $3 * 1000000000))
  while [ "$(date +%s%N)" -lt "$end" ]; do
    ready "$2" && fail "$1: ready again while its disk is still full"
    sleep 0.05
  done
  return 0
}

start cal "$dir/disk" "$cal"
# The write-ahead log is preallocated: a small one on this small disk.
MVOI_IMPACT_CALCULATOR_WAL_SIZE_MB=4 start imp "$full" "$imp"
start kpi "$full" "$kpi"
start ntf "$full" "$ntf"
start rep "$dir/rdisk" "$rep"
for s in imp:$imp kpi:$kpi ntf:$ntf rep:$rep; do wait_ready "${s%%:*}" "${s#*:}" 0 20; done
"$ctl" tender import "$src/deploy/demo/calendar.csv" >/dev/null || fail "import"
sleep 1   # the consumers apply the import before the disk fills
"$ctl" measure add --id m1 --tender HRL-2025-001 --phase realisation \
  --period 2025-01-01..2025-03-31 --kind energy --carrier hvo100 --quantity 10000 >/dev/null \
  || fail "measure m1"
echo "ok: all ready, 32 tenders imported, m1 acknowledged"

# Fill the tmpfs to the last block.
dd if=/dev/zero of="$full/filler" bs=64k 2>/dev/null || true
dd if=/dev/zero of="$full/filler2" bs=1k 2>/dev/null || true
t_full=$(date +%s.%N)

# 320 new tenders on the calendar (the demo rows under new ids): more than the free pages
# inside the consumers' files can hold, so every consumer must grow its file and cannot.
python3 - "$src/deploy/demo/calendar.csv" "$dir/more.csv" <<'PY'
import sys
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write(rows[0] + "\n")
    for k in range(10):
        for r in rows[1:]:
            f = r.split(";")
            f[0] = f"FULL-{k}-{f[0]}"
            out.write(";".join(f) + "\n")
PY
"$ctl" tender import "$dir/more.csv" >/dev/null || fail "calendar import on the normal disk"
# Each consumer finds the disk full when it must grow its file: the impact-calculator,
# whose log is preallocated, at its next checkpoint (at most 1 s later); from then on it
# refuses commands.
for s in imp:$imp kpi:$kpi ntf:$ntf; do wait_ready "${s%%:*}" "${s#*:}" 1 10; done
# And stay so: a small write that fits in LMDB's free pages proves nothing (store.c).
for s in imp:$imp kpi:$kpi ntf:$ntf; do stays_not_ready "${s%%:*}" "${s#*:}" 2; done
echo "ok: impact, kpi and notifier answer not-ready, and stay so"
set +e
out=$("$ctl" measure add --id m2 --tender HRL-2025-002 --phase realisation \
  --period 2025-01-01..2025-03-31 --kind energy --carrier hvo100 --quantity 500 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "m2 was acknowledged on a full disk"
echo "ok: m2 refused on the full disk (exit $rc): $out"

sleep 4
t_check=$(date +%s.%N)
for s in imp kpi ntf; do
  grep -q '"event":"storage_failing".*"error":"ENOSPC","reason":"no_space"' "$dir/$s.log" \
    || fail "$s: no storage_failing line naming ENOSPC"
  n=$(grep -c '"event":"storage_failing"' "$dir/$s.log")
  secs=$(echo "$t_check - $t_full" | bc)
  # 100 ms doubling to 5 s: at most ~7 attempts in the first 6 s, whatever the load.
  [ "$n" -le 12 ] || fail "$s: $n storage_failing lines in $secs s"
  # One backoff for the whole time the disk is full: the probe's small write fits in LMDB's
  # free pages, and the next real write failing must not start it again at 100 ms.
  restarts=$(grep -c '"event":"storage_failing".*"retry_in_ms":"100"' "$dir/$s.log" || true)
  [ "$restarts" -le 1 ] || fail "$s: the backoff began again $restarts times (retry_in_ms 100)"
  grep -v '^{' "$dir/$s.log" | grep -v "^mvoi-" && fail "$s: a log line that is not JSON"
  echo "ok: $s names ENOSPC, $n failure lines in $secs s"
done

# Space returns: each recovers by itself.
rm -f "$full/filler" "$full/filler2"
for s in imp:$imp kpi:$kpi ntf:$ntf; do wait_ready "${s%%:*}" "${s#*:}" 0 20; done
for s in imp kpi ntf; do
  grep -q '"event":"storage_recovered"' "$dir/$s.log" || fail "$s: no storage_recovered line"
done
"$ctl" measure add --id m2 --tender HRL-2025-002 --phase realisation \
  --period 2025-01-01..2025-03-31 --kind energy --carrier hvo100 --quantity 500 >/dev/null \
  || fail "m2 after recovery"
"$ctl" measure show m1 >/dev/null || fail "m1 lost"
echo "ok: recovered; m1 kept, m2 acknowledged now"

# The consumers' cursors reach the calendar's head: 32 + 320 tender events, each applied.
chead=$("$ctl" system health calendar | sed -n 's/.* head=\([0-9]*\) .*/\1/p')
[ "$chead" -ge 352 ] || fail "calendar head $chead, expected at least 352"
for svc in impact kpi notifier; do
  ok=0
  for _ in $(seq 100); do
    line=$("$ctl" system health "$svc" || true)
    if echo "$line" | grep -q " calendar=$chead/$chead"; then ok=1; break; fi
    sleep 0.1
  done
  [ "$ok" = 1 ] || fail "$svc did not apply every calendar event: $line"
  echo "ok: $svc applied calendar events up to $chead"
done

# Last, the calendar's own disk: a command is refused, not acknowledged, and the head does
# not move; space back, the same command goes through.
dd if=/dev/zero of="$dir/disk/filler" bs=64k 2>/dev/null || true
dd if=/dev/zero of="$dir/disk/filler2" bs=1k 2>/dev/null || true
n=0
while [ "$n" -lt 40 ]; do
  n=$((n + 1))
  "$ctl" tender add --id "CAL-$n" --title "Tender $n" --kind leveringen --value 50.000,00 \
    --publication 2026-06-01 >/dev/null 2>&1 || break
done
[ "$n" -lt 40 ] || fail "calendar: 40 tenders acknowledged on a full disk"
# Not ready while its disk is full, at every look: its probe writes nothing until the disk
# has room (a probe fitting in LMDB's free pages made it ready again, twice in CI).
wait_ready cal "$cal" 1 10
stays_not_ready cal "$cal" 3
grep -q '"event":"storage_failing".*"error":"ENOSPC"' "$dir/cal.log" || fail "calendar: no ENOSPC line"
before=$({ "$ctl" system health calendar || true; } | sed -n 's/.* head=\([0-9]*\) .*/\1/p')
"$ctl" tender show "CAL-$n" >/dev/null 2>&1 && fail "calendar: refused CAL-$n exists"
rm -f "$dir/disk/filler" "$dir/disk/filler2"
wait_ready cal "$cal" 0 20
"$ctl" tender add --id "CAL-$n" --title "Tender $n" --kind leveringen --value 50.000,00 \
  --publication 2026-06-01 >/dev/null || fail "calendar: CAL-$n after recovery"
after=$("$ctl" system health calendar | sed -n 's/.* head=\([0-9]*\) .*/\1/p')
[ "$after" -gt "$before" ] || fail "calendar head $before -> $after"
echo "ok: calendar refused CAL-$n on its full disk (head $before), took it after recovery (head $after)"

# The report service's volume: a report is refused by name, nothing half-written appears,
# the service answers not-ready, and once space returns it recovers and writes it whole.

fmts=html,csv,json,xlsx
out=$("$ctl" report generate --year 2025 --quarter 1 --format $fmts) || fail "report nl"
rdir=$(dirname "$(echo "$out" | grep -o "/[^ ]*\.html" | head -1)")
[ -d "$rdir" ] || fail "report nl: no directory in: $out"
sums=$(cd "$rdir" && sha256sum ./*)
dd if=/dev/zero of="$dir/rdisk/filler" bs=64k 2>/dev/null || true
dd if=/dev/zero of="$dir/rdisk/filler2" bs=1k 2>/dev/null || true
set +e
out=$("$ctl" report generate --year 2025 --quarter 1 --format $fmts --lang en 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "report: the English report was acknowledged on a full disk"
echo "$out" | grep -q "ENOSPC" || fail "report: the refusal does not name ENOSPC: $out"
for f in "$rdir"/*.en.*; do
  [ -e "$f" ] && fail "report: a file of the refused report exists: $f"
done
find "$dir/rdisk/report" -name '*.tmp' | grep -q . && fail "report: a temporary file was left"
[ "$(cd "$rdir" && sha256sum ./*)" = "$sums" ] || fail "report: the earlier report changed"
wait_ready rep "$rep" 1 10
grep -q '"event":"storage_failing".*"error":"ENOSPC"' "$dir/rep.log" || fail "report: no ENOSPC line"
grep -v '^{' "$dir/rep.log" | grep -v "^mvoi-" && fail "report: a log line that is not JSON"
echo "ok: report refused on its full disk ($out), no partial file, not ready"
rm -f "$dir/rdisk/filler" "$dir/rdisk/filler2"
wait_ready rep "$rep" 0 20
grep -q '"event":"storage_recovered"' "$dir/rep.log" || fail "report: no storage_recovered line"
"$ctl" report generate --year 2025 --quarter 1 --format $fmts --lang en >/dev/null \
  || fail "report: the English report after recovery"
tail -c 20 "$(ls "$rdir"/mvoi-report-*.en.html)" | grep -q '</html>' || fail "report: html cut"
python3 -m json.tool "$(ls "$rdir"/mvoi-report-*.en.json)" >/dev/null || fail "report: json"
python3 -c 'import sys, zipfile; sys.exit(zipfile.ZipFile(sys.argv[1]).testzip() is not None)' \
  "$(ls "$rdir"/mvoi-report-*.en.xlsx)" || fail "report: xlsx"
n=$(grep -c '"event":"storage_failing"' "$dir/rep.log")
echo "ok: report recovered by itself ($n storage_failing line), the English report written whole"
