#!/usr/bin/env bash
# Kubernetes manifests (deploy/k8s) against their schemas and mvoi's conventions; the
# checker proves it catches a set of broken copies (--self-test).
#   k8s.sh REPO_ROOT NODE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null 2>&1 || { echo "SKIP: node not installed"; exit 77; }
NODE_PATH="$2/node_modules" exec node "$here/check-k8s.js" --self-test "$1/deploy/k8s"
