#!/usr/bin/env bash
# Runs shellcheck on every shell script of the repository: scripts/*, .ci/run, tests/**/*.sh,
# deploy/**/*.sh. Errors and warnings fail the test; info and style notes are printed.
#   lint_shell.sh REPO_ROOT
set -euo pipefail
root=$1
if ! command -v shellcheck >/dev/null 2>&1; then
  echo "SKIP: shellcheck not installed (Debian package shellcheck; scripts/bootstrap installs it)"
  exit 77
fi
cd "$root"
files=()
is_shell() { head -n1 "$1" | grep -Eq '^#!.*[/ ](ba|da|k)?sh([[:space:]]|$)'; }
for f in scripts/* .ci/run; do
  [ -f "$f" ] && is_shell "$f" && files+=("$f")
done
while IFS= read -r -d '' f; do files+=("$f"); done \
  < <(find tests deploy -name node_modules -prune -o -type f -name '*.sh' -print0 | sort -z)
[ ${#files[@]} -gt 0 ] || { echo "no scripts found"; exit 1; }
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p') on ${#files[@]} files: ${files[*]}"
notes=$(shellcheck --external-sources --severity=style --format=gcc "${files[@]}" 2>&1 || true)
if [ -n "$notes" ]; then
  echo "notes (info/style, not failing):"
  echo "$notes"
fi
echo "errors and warnings:"
shellcheck --external-sources --severity=warning --format=gcc "${files[@]}"
echo "shellcheck: ok (no errors or warnings)"
