#!/usr/bin/env bash
# Backup and restore against a real, running mvoi-calendar (ipc endpoints, temp data dir).
#
#   backup_restore.sh MVOI_CALENDAR MVOICTL REPO_ROOT
#
# 1. Hot backup under load: while a writer registers tenders TST-0001, TST-0002, ... one by
#    one, scripts/backup copies the live environment. The restored copy must open, and hold
#    a consistent state: head = 32 demo tenders + k, and exactly TST-0001..TST-k (a prefix
#    of what the writer did, nothing torn).
# 2. Exact round trip: with the writer done, back up again, restore into a new data
#    directory, start a second calendar on it: same outbox head and epoch (HealthReply) and
#    the same tenders (`tender list --all`), and it accepts a new command. The --exec form
#    (docker compose exec / kubectl exec) gives the same bytes.
# 3. scripts/restore refuses a non-empty target without --force, replaces with --force,
#    and refuses a backup whose checksum does not match; scripts/backup refuses a
#    non-empty OUT_DIR.
set -euo pipefail

cal=$1
ctl=$2
root=$3
WRITES=${MVOI_OPS_WRITES:-150}

tmp=$(mktemp -d /tmp/mvoi-ops-br.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -z "${MVOI_OPS_KEEP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done; exit 1; }
t0=${EPOCHREALTIME/./}
step() { local us=$((${EPOCHREALTIME/./} - t0)); printf '[%3d.%01ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*"; }

export MVOI_LOG_FORMAT=json MVOI_CTL_TIMEOUT_MS=5000
export MVOI_CALENDAR_DATA_FILES="$root/services/calendar/data"

# start NAME DATA_DIR: a calendar on its own ipc endpoints; waits until it is ready.
start() {
  local name=$1 data=$2
  MVOI_DATA_DIR="$data" MVOI_CALENDAR_API="ipc://$tmp/$name.api" MVOI_CALENDAR_PUB="ipc://$tmp/$name.pub" \
    "$cal" >>"$tmp/$name.log" 2>&1 &
  pids+=($!)
  local i
  for ((i = 0; i < 100; i++)); do
    if MVOI_DATA_DIR="$data" MVOI_CALENDAR_API="ipc://$tmp/$name.api" "$cal" --healthcheck=ready >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || fail "$name exited at start"
    sleep 0.1
  done
  fail "$name not ready within 10 s"
}
stop_last() {
  local p=${pids[-1]}
  kill -TERM "$p"
  local rc=0
  wait "$p" || rc=$?
  unset 'pids[-1]'
  [ "$rc" -eq 0 ] || fail "calendar exited with $rc on SIGTERM"
}
# ctl NAME ARGS...: mvoictl against calendar NAME
ctl() { local name=$1; shift; MVOI_CALENDAR_API="ipc://$tmp/$name.api" "$ctl" "$@"; }
health() { ctl "$1" --json health calendar | python3 -c '
import json, sys
h = json.load(sys.stdin)
assert h["live"] and h["ready"], h
print(h["head_seq"], h["epoch"])'; }
tenders() { ctl "$1" --json tender list --all; }

step "start calendar on $tmp/data"
start live "$tmp/data"
ctl live tender import "$root/deploy/demo/calendar.csv" >"$tmp/import.log" 2>&1 || fail "demo import"
read -r head epoch < <(health live)
[ "$head" -eq 32 ] || fail "demo import: head $head, expected 32"
step "demo calendar imported: head $head, epoch $epoch"

# --- 1. hot backup while a writer registers tenders one by one
(
  for ((i = 1; i <= WRITES; i++)); do
    id=$(printf 'TST-%04d' "$i")
    ctl live tender add --id "$id" --title "Backup test $i" --kind leveringen --value 1.000,00 \
      --publication 2026-03-01 >/dev/null 2>>"$tmp/writer.log" || { echo "add $id failed" >>"$tmp/writer.log"; exit 1; }
  done
) &
writer=$!
for ((i = 0; i < 200; i++)); do
  read -r h _ < <(health live)
  [ "$h" -ge 52 ] && break
  sleep 0.05
done
step "writer running (head $h); backup while it writes"
"$root/scripts/backup" "$tmp/data" "$tmp/bk-hot" >"$tmp/backup-hot.log" 2>&1 || fail "scripts/backup under load: $(cat "$tmp/backup-hot.log")"
read -r h_after _ < <(health live)
wait "$writer" || fail "writer failed: $(tail -3 "$tmp/writer.log")"
step "hot backup done (head was $h..$h_after during it); writer finished"
grep -q '"path": "calendar"' "$tmp/bk-hot/manifest.json" || fail "manifest lists no calendar environment"

"$root/scripts/restore" "$tmp/bk-hot" "$tmp/restored-hot" >/dev/null || fail "restore of the hot backup"
start hot "$tmp/restored-hot"
read -r hh he < <(health hot)
[ "$he" = "$epoch" ] || fail "hot copy: epoch $he, expected $epoch"
k=$((hh - 32))
if [ "$k" -lt 20 ] || [ "$k" -gt "$WRITES" ]; then fail "hot copy: head $hh outside [52, $((32 + WRITES))]"; fi
tenders hot | python3 -c '
import json, sys
k = int(sys.argv[1])
ids = sorted(t["id"] for t in json.load(sys.stdin)["tenders"])
tst = [i for i in ids if i.startswith("TST-")]
want = ["TST-%04d" % i for i in range(1, k + 1)]
assert tst == want, "hot copy holds %d TST tenders, not exactly TST-0001..TST-%04d" % (len(tst), k)
assert len(ids) - len(tst) == 32, "hot copy: %d demo tenders" % (len(ids) - len(tst))
' "$k" || fail "hot copy is not a consistent prefix"
stop_last
step "hot copy consistent: head $hh = 32 + $k, exactly TST-0001..TST-$(printf %04d "$k")"

# --- 2. exact round trip
read -r head epoch < <(health live)
[ "$head" -eq $((32 + WRITES)) ] || fail "live head $head, expected $((32 + WRITES))"
tenders live >"$tmp/tenders-live.json"
"$root/scripts/backup" --quiet "$tmp/data" "$tmp/bk" || fail "scripts/backup"
# The --exec form (as for docker compose exec / kubectl exec), here with a no-op wrapper:
# the same compacted copy, byte for byte, while nothing is written.
"$root/scripts/backup" --quiet --exec 'env MVOI_OPS_TEST={service}' --services calendar \
  --data-dir "$tmp/data" "$tmp/bk-exec" || fail "scripts/backup --exec"
cmp -s "$tmp/bk/calendar/data.mdb" "$tmp/bk-exec/calendar/data.mdb" || fail "backup --exec differs from the local backup"
"$root/scripts/restore" --quiet "$tmp/bk" "$tmp/restored" || fail "scripts/restore"
[ ! -e "$tmp/restored/calendar/lock.mdb" ] || fail "restore copied a lock file"
start copy "$tmp/restored"
read -r ch ce < <(health copy)
if [ "$ch" != "$head" ] || [ "$ce" != "$epoch" ]; then fail "restored head/epoch $ch/$ce, live $head/$epoch"; fi
tenders copy >"$tmp/tenders-copy.json"
cmp -s "$tmp/tenders-live.json" "$tmp/tenders-copy.json" || fail "restored tenders differ from the live ones"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tenders"]))' "$tmp/tenders-copy.json")
ctl copy tender add --id TST-AFTER --title "after restore" --kind diensten >/dev/null 2>&1 || fail "restored calendar refuses a command"
read -r ch2 _ < <(health copy)
[ "$ch2" -eq $((head + 1)) ] || fail "restored calendar: head $ch2 after one command, expected $((head + 1))"
stop_last
step "round trip: head $ch, epoch $ce, $n tenders identical; the restored calendar takes new commands"

# --- 3. refusals
if "$root/scripts/restore" --quiet "$tmp/bk" "$tmp/restored" 2>/dev/null; then fail "restore overwrote a non-empty directory without --force"; fi
"$root/scripts/restore" --quiet --force "$tmp/bk" "$tmp/restored" || fail "restore --force"
start forced "$tmp/restored"
read -r fh _ < <(health forced)
[ "$fh" = "$head" ] || fail "after restore --force: head $fh, expected $head"
stop_last
cp -r "$tmp/bk" "$tmp/bk-bad"
printf 'X' | dd of="$tmp/bk-bad/calendar/data.mdb" bs=1 seek=5000 conv=notrunc status=none
if "$root/scripts/restore" --quiet "$tmp/bk-bad" "$tmp/restored-bad" 2>/dev/null; then fail "restore accepted a corrupted backup"; fi
[ ! -e "$tmp/restored-bad/calendar/data.mdb" ] || fail "a corrupted backup left a data.mdb behind"
if "$root/scripts/backup" --quiet "$tmp/data" "$tmp/bk" 2>/dev/null; then fail "backup wrote into a non-empty OUT_DIR"; fi
# one producer alone under a consumer that keeps newer state: refused, nothing changed
mkdir -p "$tmp/bk-one" "$tmp/mixed/kpi-aggregator"
cp -r "$tmp/bk/calendar" "$tmp/bk-one/" && cp "$tmp/bk/manifest.json" "$tmp/bk-one/"
(cd "$tmp/bk-one" && sha256sum calendar/data.mdb > SHA256SUMS)
printf 'newer' > "$tmp/mixed/kpi-aggregator/data.mdb"
if "$root/scripts/restore" --quiet --force "$tmp/bk-one" "$tmp/mixed" 2>"$tmp/one.err"; then
  fail "restore put the calendar back under a newer kpi-aggregator"
fi
grep -q "refusing to restore calendar alone" "$tmp/one.err" || fail "unclear refusal: $(cat "$tmp/one.err")"
[ ! -e "$tmp/mixed/calendar/data.mdb" ] || fail "a refused restore left a calendar behind"
step "refusals: non-empty target, corrupted backup, non-empty OUT_DIR, one producer alone"

stop_last
step "ok"
