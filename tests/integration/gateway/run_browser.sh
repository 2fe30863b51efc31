#!/bin/sh
# The dashboard in headless Chromium. Installs playwright-core (npm) into this directory's
# node_modules when missing, starts fakekpi and mvoi-gateway, runs browser.mjs, keeps the
# screenshots in the build directory. Exit 77 (skipped) only when chromium or
# playwright-core cannot be installed.
# Usage: run_browser.sh <mvoi-gateway> <fakekpi> <artifact dir>
set -u
GW=$1 FAKE=$2 OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium"
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y --no-install-recommends chromium >/dev/null 2>&1
  fi
  if [ ! -x "$CHROMIUM" ]; then
    echo "SKIP: $CHROMIUM is not installed and could not be installed (apt-get install chromium)"
    exit 77
  fi
fi
if ! command -v node >/dev/null; then
  echo "SKIP: node is not installed (apt-get install nodejs npm)"; exit 77
fi
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  echo "installing playwright-core into $HERE/node_modules"
  (cd "$HERE" && timeout 300 npm install --no-audit --no-fund) || {
    echo "SKIP: npm could not install playwright-core (no registry access?)"; exit 77; }
fi

DIR=$(mktemp -d /tmp/mvoi-gw-browser.XXXXXX)
# ZeroMQ on ipc:// in the test's own directory; HTTP on a port the kernel hands out (ports
# derived from $$ collided with other tests' ranges).
API=ipc://$DIR/api PUB=ipc://$DIR/pub CAL=ipc://$DIR/cal IMP=ipc://$DIR/imp NTF=ipc://$DIR/ntf
REP=ipc://$DIR/rep HTTP=$(python3 "$HERE/../free_port.py")
TOKEN=browser-submitter-token ADMIN=browser-admin-token
HASH=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
AHASH=$(printf %s "$ADMIN" | sha256sum | cut -d' ' -f1)
printf 'submitter %s browser buyers=*\nadmin %s adviser buyers=*\n' "$HASH" "$AHASH" > "$DIR/tokens"
mkdir -p "$DIR/reports"

"$FAKE" --api "$API" --pub "$PUB" --calendar "$CAL" --impact "$IMP" --notifier "$NTF" \
  --report "$REP" --reports-dir "$DIR/reports" --venlo 1 > "$DIR/fakekpi.log" 2>&1 &
FAKE_PID=$!
MVOI_DATA_DIR=$DIR MVOI_GATEWAY_LISTEN=127.0.0.1:$HTTP MVOI_GATEWAY_KPI_API=$API \
MVOI_GATEWAY_API=$API MVOI_GATEWAY_KPI_PUB=$PUB MVOI_GATEWAY_CALENDAR_API=$CAL \
MVOI_GATEWAY_IMPACT_API=$IMP MVOI_GATEWAY_NOTIFIER_API=$NTF MVOI_GATEWAY_TOKENS_FILE=$DIR/tokens \
MVOI_GATEWAY_REPORT_API=$REP MVOI_GATEWAY_REPORTS_DIR=$DIR/reports \
  "$GW" > "$DIR/gateway.log" 2>&1 &
GW_PID=$!
cleanup() {
  kill "$GW_PID" "$FAKE_PID" 2>/dev/null
  wait "$GW_PID" "$FAKE_PID" 2>/dev/null
  [ "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

i=0
until curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null 2>&1 ||
      node -e "fetch('http://127.0.0.1:$HTTP/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; do
  i=$((i+1)); [ $i -gt 100 ] && { echo "gateway not ready"; cat "$DIR/gateway.log"; exit 1; }
  sleep 0.1
done
mkdir -p "$OUT"
cd "$HERE" && timeout 180 node browser.mjs "$HTTP" "$OUT" "$TOKEN" "$ADMIN" "$GW_PID"
RC=$?
[ $RC -ne 0 ] && tail -20 "$DIR/gateway.log"
exit $RC
