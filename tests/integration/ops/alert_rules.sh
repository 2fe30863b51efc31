#!/usr/bin/env bash
# deploy/prometheus: the alert rules parse (promtool check rules) and fire on the series
# the gateway exposes (promtool test rules with the file next to them).
#   alert_rules.sh SOURCE_DIR
set -euo pipefail
dir=$1/deploy/prometheus
command -v promtool >/dev/null || { echo "FAIL: promtool missing (Debian package prometheus)"; exit 1; }
promtool check rules "$dir/mvoi-alerts.yml"
cd "$dir" && promtool test rules mvoi-alerts.test.yml
