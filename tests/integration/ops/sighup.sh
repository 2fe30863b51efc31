#!/usr/bin/env bash
# Every service reads its key registry again on SIGHUP (and the gateway its tokens file):
# all six run with CURVE and throwaway keys (scripts/keys), each gets SIGHUP twice, once
# with a good registry (keys_reloaded with the new count) and once with a broken one
# (keys_reload_failed, still running and still answering --healthcheck=live). SIGHUP's
# default action would kill a process that does not handle it.
#   sighup.sh REPO_ROOT BUILD_DIR
set -euo pipefail
root=$1
build=$2
s=$build/services
declare -A bin=(
  [calendar]=$s/calendar/mvoi-calendar [impact-calculator]=$s/impact-calculator/mvoi-impact-calculator
  [kpi-aggregator]=$s/kpi-aggregator/mvoi-kpi-aggregator [notifier]=$s/notifier/mvoi-notifier
  [report]=$s/report/mvoi-report [gateway]=$s/gateway/mvoi-gateway
)
for b in "${bin[@]}" "$s/mvoictl/mvoictl"; do
  [ -x "$b" ] || { echo "skip: $b not built"; exit 77; }
done

dir=$(mktemp -d /tmp/mvoihupXXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

MVOI_BUILD_DIR=$build "$root/scripts/keys" "$dir/keys" >/dev/null 2>&1
reg=$dir/keys/keys.ini
export MVOI_DATA_DIR=$dir MVOI_INIT=true MVOI_CURVE=on MVOI_KEYS_FILE=$reg
export MVOI_CURVE_SERVER_KEY_FILE=$dir/keys/bus.key
export MVOI_CURVE_SERVER_PUBLIC_FILE=$dir/keys/bus.pub
for pfx in CALENDAR IMPACT_CALCULATOR KPI_AGGREGATOR NOTIFIER REPORT; do
  lc=$(echo "$pfx" | tr 'A-Z_' 'a-z-')
  export "MVOI_${pfx}_API=ipc://$dir/$lc.api" "MVOI_${pfx}_PUB=ipc://$dir/$lc.pub"
done
export MVOI_IMPACT_CALCULATOR_CALENDAR_API=$MVOI_CALENDAR_API MVOI_IMPACT_CALCULATOR_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_KPI_AGGREGATOR_CALENDAR_API=$MVOI_CALENDAR_API MVOI_KPI_AGGREGATOR_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_KPI_AGGREGATOR_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API MVOI_KPI_AGGREGATOR_IMPACT_PUB=$MVOI_IMPACT_CALCULATOR_PUB
export MVOI_NOTIFIER_CALENDAR_API=$MVOI_CALENDAR_API MVOI_NOTIFIER_CALENDAR_PUB=$MVOI_CALENDAR_PUB
export MVOI_REPORT_CALENDAR_API=$MVOI_CALENDAR_API MVOI_REPORT_KPI_API=$MVOI_KPI_AGGREGATOR_API
export MVOI_REPORT_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API
export MVOI_GATEWAY_LISTEN=127.0.0.1:0 MVOI_GATEWAY_TOKENS_FILE=$dir/tokens
export MVOI_GATEWAY_CALENDAR_API=$MVOI_CALENDAR_API MVOI_GATEWAY_IMPACT_API=$MVOI_IMPACT_CALCULATOR_API
export MVOI_GATEWAY_KPI_API=$MVOI_KPI_AGGREGATOR_API MVOI_GATEWAY_KPI_PUB=$MVOI_KPI_AGGREGATOR_PUB
export MVOI_GATEWAY_NOTIFIER_API=$MVOI_NOTIFIER_API MVOI_GATEWAY_REPORT_API=$MVOI_REPORT_API
echo "admin $(printf %s t1 | sha256sum | cut -d' ' -f1) adviser buyers=*" >"$dir/tokens"

declare -A pid
for svc in "${!bin[@]}"; do
  if [ "$svc" = gateway ]; then   # a client: its own key and the server's public half
    env -u MVOI_CURVE_SERVER_KEY_FILE -u MVOI_KEYS_FILE MVOI_CURVE_KEY_FILE="$dir/keys/gateway.key" \
      "${bin[$svc]}" >"$dir/$svc.log" 2>&1 &
  else
    "${bin[$svc]}" >"$dir/$svc.log" 2>&1 &
  fi
  pids+=($!)
  pid[$svc]=$!
done

# wait_log SVC EVENT N: the Nth EVENT line within 10 s
wait_log() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(grep -c "\"$2\"" "$dir/$1.log" || true)" -ge "$3" ] && return 0
    sleep 0.1
  done
  echo "FAIL: $1: no $2 (#$3)" >&2
  tail -5 "$dir/$1.log" >&2
  exit 1
}
for svc in "${!bin[@]}"; do
  [ "$svc" = gateway ] && wait_log "$svc" gateway_listening 1 || wait_log "$svc" curve_on 1
done

# A good registry with one more key: every binding service reloads it, the gateway its tokens.
"$s/mvoictl/mvoictl" keys generate extra --dir "$dir/keys" --role reader --buyers heerlen \
  >>"$reg" 2>/dev/null
for svc in "${!bin[@]}"; do kill -HUP "${pid[$svc]}"; done
for svc in "${!bin[@]}"; do
  if [ "$svc" = gateway ]; then wait_log "$svc" tokens_reloaded 1; continue; fi
  wait_log "$svc" keys_reloaded 1
  grep -q '"keys_reloaded".*"keys":"4"' "$dir/$svc.log" || { echo "FAIL: $svc: not 4 keys" >&2; exit 1; }
done

# A broken registry and tokens file: logged, the lists in force stay, the processes live.
printf '[broken\n' >"$reg"
printf 'admin nothex\n' >"$dir/tokens"
for svc in "${!bin[@]}"; do kill -HUP "${pid[$svc]}"; done
for svc in "${!bin[@]}"; do
  if [ "$svc" = gateway ]; then wait_log "$svc" tokens_reload_failed 1; else wait_log "$svc" keys_reload_failed 1; fi
  kill -0 "${pid[$svc]}" 2>/dev/null || { echo "FAIL: $svc died on SIGHUP" >&2; exit 1; }
done
echo "ok: all six services reloaded on SIGHUP, kept their lists on a broken file and live"
