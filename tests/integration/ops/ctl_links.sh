#!/usr/bin/env bash
# mvoictl is a client of the wire contract only (issue 13): it links common's contract and
# client modules, the generated protobuf code, libcsv, ZeroMQ and jansson, and no service
# library, no store and no event loop; and a tree configured without the calendar (or any
# other service) still builds it.
#
#   ctl_links.sh SOURCE_DIR LINKS_FILE MVOICTL [standalone-build|no-standalone-build]
#
# LINKS_FILE is what CMake computed mvoictl links, transitively (services/mvoictl).
set -euo pipefail
src=$1 links=$2 bin=$3 standalone=${4:-standalone-build}
# mvoi_curve (+ mvoi_auth, config, inih): every client of the bus speaks CURVE with its key
# read through the *_FILE rule (docs/design.md#access). bm (mvoictl benchmark) is pure
# computation over the buyer registry (buyers, read with config's INI parser). datewords is
# the one date formatter (and calendar arithmetic) over the message catalogue; textfmt the
# refusals of the tender readers in the run's language (pure text over the catalogue), and
# mvoi_id_text an id's refusal in it.
allowed='^(mvoi_(contract|tender|tender_client|codec|pbjson|text|textfmt|numfmt|datewords|proto|mvoi_id|mvoi_id_text|arena|mvoi_curve|mvoi_auth|config|bm|buyers)|PkgConfig::(JANSSON|PROTOBUFC|ZMQ|INIH)|m|/.*/lib(csv|jansson|protobuf-c|zmq|inih)\.so)$'
bad=0

# 1. The link closure holds nothing but the allowed libraries.
while read -r lib; do
  [ -n "$lib" ] || continue
  if ! [[ $lib =~ $allowed ]]; then
    echo "FAIL: mvoictl links $lib (only the contract, client modules, proto, libcsv)"
    bad=1
  fi
done <"$links"
grep -qx mvoi_contract "$links" || { echo "FAIL: mvoictl does not link mvoi_contract"; bad=1; }

# 2. The binary carries no storage, loop, server or service code.
syms=$(nm "$bin" | awk '{print $NF}' |
       grep -E '^(mdb_|uv_|server_|store_|feed_|outbox_|calendar_svc_|kpi_|rp_|impact_svc_|nt_|gw_)' || true)
if [ -n "$syms" ]; then
  echo "FAIL: mvoictl contains symbols of storage, loop or a service:"
  echo "$syms" | head -20
  bad=1
fi

# 3. Configured with mvoictl alone (no calendar, no other service), it builds and runs: a
# plain build whichever tree runs this, so the sanitizer tree's pass leaves it out.
if [ "$standalone" = no-standalone-build ]; then
  [ "$bad" = 0 ] && echo "OK: mvoictl links $(grep -c . "$links") libraries, all of the contract (standalone build: the plain tree's run)"
  exit "$bad"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! cmake -S "$src" -B "$tmp" -DMVOI_SERVICES=mvoictl -DCMAKE_BUILD_TYPE=Debug \
       -DMVOI_WERROR=ON >"$tmp/configure.log" 2>&1; then
  cat "$tmp/configure.log"
  echo "FAIL: a tree without the calendar does not configure"
  exit 1
fi
if ! cmp -s "$links" "$tmp/services/mvoictl/mvoictl.links"; then
  diff "$links" "$tmp/services/mvoictl/mvoictl.links" || true
  echo "FAIL: mvoictl links differently without the services"
  bad=1
fi
if ! cmake --build "$tmp" --target mvoictl -j2 >"$tmp/build.log" 2>&1; then
  tail -40 "$tmp/build.log"
  echo "FAIL: a tree without the calendar does not build mvoictl"
  exit 1
fi
"$tmp/services/mvoictl/mvoictl" --version >/dev/null || { echo "FAIL: that mvoictl does not run"; bad=1; }
[ "$bad" = 0 ] && echo "OK: mvoictl links $(grep -c . "$links") libraries, all of the contract; builds without the calendar"
exit "$bad"
