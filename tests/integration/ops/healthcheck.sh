#!/usr/bin/env bash
# Each service's --healthcheck turns from 1 to 0 as it becomes ready, and back to 1 when an
# upstream has been gone longer than the configured grace (issue 9).
#   healthcheck.sh BUILD_DIR
set -euo pipefail
build=$1
cal=$build/services/calendar/mvoi-calendar
imp=$build/services/impact-calculator/mvoi-impact-calculator
kpi=$build/services/kpi-aggregator/mvoi-kpi-aggregator
ntf=$build/services/notifier/mvoi-notifier
gw=$build/services/gateway/mvoi-gateway
for b in "$cal" "$imp" "$kpi" "$ntf" "$gw"; do
  [ -x "$b" ] || { echo "skip: $b not built"; exit 77; }
done

dir=$(mktemp -d /tmp/mvoihcXXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

export MVOI_DATA_DIR=$dir MVOI_LOG_LEVEL=warn
export MVOI_CALENDAR_API=ipc://$dir/cal.api MVOI_CALENDAR_PUB=ipc://$dir/cal.pub
export MVOI_IMPACT_CALCULATOR_API=ipc://$dir/imp.api MVOI_IMPACT_CALCULATOR_PUB=ipc://$dir/imp.pub
export MVOI_IMPACT_CALCULATOR_CALENDAR_API=$MVOI_CALENDAR_API MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_IMPACT_CALCULATOR_CALENDAR_STALE_MS=1500
export MVOI_KPI_AGGREGATOR_API=ipc://$dir/kpi.api MVOI_KPI_AGGREGATOR_PUB=ipc://$dir/kpi.pub
export MVOI_KPI_AGGREGATOR_CALENDAR_API=$MVOI_CALENDAR_API MVOI_KPI_AGGREGATOR_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_KPI_AGGREGATOR_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API MVOI_KPI_AGGREGATOR_IMPACT_PUB=$MVOI_IMPACT_CALCULATOR_PUB
export MVOI_KPI_AGGREGATOR_UPSTREAM_GRACE_MS=1500
export MVOI_NOTIFIER_API=ipc://$dir/ntf.api MVOI_NOTIFIER_PUB=ipc://$dir/ntf.pub
export MVOI_NOTIFIER_CALENDAR_API=$MVOI_CALENDAR_API MVOI_NOTIFIER_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_NOTIFIER_UPSTREAM_GRACE_MS=1500
port=$(python3 "$(dirname "$0")/../free_port.py")   # kernel-chosen, not from $$
export MVOI_GATEWAY_LISTEN=127.0.0.1:$port MVOI_GATEWAY_KPI_API=$MVOI_KPI_AGGREGATOR_API
export MVOI_GATEWAY_KPI_PUB=$MVOI_KPI_AGGREGATOR_PUB MVOI_GATEWAY_STALE_MS=1500

hc() {  # hc BIN MODE -> prints 0 or 1
  if "$1" --healthcheck="$2" >/dev/null 2>&1; then echo 0; else echo 1; fi
}
expect() {  # expect WHAT BIN MODE WANT [SECONDS]
  local what=$1 bin=$2 mode=$3 want=$4 secs=${5:-0} got i
  for ((i = 0; i <= secs * 5; i++)); do
    got=$(hc "$bin" "$mode")
    [ "$got" = "$want" ] && { echo "ok: $what --healthcheck=$mode is $want"; return 0; }
    sleep 0.2
  done
  echo "FAIL: $what --healthcheck=$mode is $got, expected $want" >&2
  for f in "$dir"/*.log; do echo "--- $f"; tail -5 "$f"; done >&2
  exit 1
}
fail_hc() { echo "FAIL: $*" >&2; exit 1; }
declare -A pid
start() {  # start NAME BIN
  "$2" >>"$dir/$1.log" 2>&1 &
  pids+=($!)
  pid[$1]=$!
}

# Nothing runs: every check fails. Each bus check waits out its own 2 s timeout, so the five
# run at once (one after another they took 8 s).
hcpids=()
for b in "$cal" "$imp" "$kpi" "$ntf" "$gw"; do
  expect "$(basename "$b")" "$b" live 1 &
  hcpids+=($!)
done
for p in "${hcpids[@]}"; do wait "$p"; done

# The gateway alone: alive, not ready without the aggregator's stream.
start gw "$gw"
expect gateway "$gw" live 0 10
expect gateway "$gw" ready 1

# Consumers next: alive, but not ready while their upstreams are missing.
start imp "$imp"; start kpi "$kpi"; start ntf "$ntf"
consumers_up=$SECONDS
expect impact "$imp" live 0 10
expect kpi "$kpi" live 0 10
expect notifier "$ntf" live 0 10
# The gateway's upstream is the aggregator's stream, which now flows; but the aggregator
# says it has never heard from the calendar since its store began (its totals may lack
# every tender), so the gateway holds its figures back (services/gateway/gw_pubready.h).
# Its /readyz naming the calendar is the sign that the stream reached it (polled; it was a
# fixed 5 s).
readyz() {
  python3 -c 'import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
except OSError as e:
    print("down", e)' "http://127.0.0.1:$port/readyz"
}
for ((i = 0; i < 75; i++)); do
  rz=$(readyz)
  echo "$rz" | grep -q "^503 .*heeft nog niets geteld uit calendar" && break
  sleep 0.2
done
# The consumers, too, stay not ready for a while (at least 2 s) without their upstreams.
while ((SECONDS - consumers_up < 3)); do sleep 0.2; done
expect impact "$imp" ready 1
expect kpi "$kpi" ready 1
expect notifier "$ntf" ready 1
expect gateway "$gw" ready 1
rz=$(readyz)
echo "$rz" | grep -q "^503 .*heeft nog niets geteld uit calendar" \
  || fail_hc "gateway /readyz does not name the calendar: $rz"
echo "ok: gateway /readyz names the producer the aggregator never heard from"

# The calendar comes up: everything becomes ready.
start cal "$cal"
expect calendar "$cal" ready 0 10
expect impact "$imp" ready 0 15
expect notifier "$ntf" ready 0 15
expect kpi "$kpi" ready 0 15
expect gateway "$gw" ready 0 15

# The calendar goes away: past the grace, its consumers are not ready (still alive).
kill -9 "${pid[cal]}"
expect impact "$imp" ready 1 10
expect notifier "$ntf" ready 1 10
expect kpi "$kpi" ready 1 10
expect impact "$imp" live 0
expect kpi "$kpi" live 0

# And back.
start cal "$cal"
expect impact "$imp" ready 0 15
expect kpi "$kpi" ready 0 15

# The aggregator goes away: the gateway never serves a silently lagging view.
kill -9 "${pid[kpi]}"
expect gateway "$gw" ready 1 10
expect gateway "$gw" live 0
echo "healthcheck transitions: all as expected"
