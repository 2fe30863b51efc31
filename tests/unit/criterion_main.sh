#!/usr/bin/env bash
# tests/criterion_main.c: a --filter without glob characters runs exactly the test it names,
# a name no test has is refused (exit 2, named), and a glob still selects as Criterion does.
#   criterion_main.sh TEST_EXECUTABLE   (one with a suite "error" of 4 tests: test_error)
set -uo pipefail
bin=$1
fail=0
check() {  # check WHAT WANT_RC WANT_REGEX ARGS...
  local what=$1 want_rc=$2 want=$3 out rc
  shift 3
  out=$("$bin" "$@" 2>&1); rc=$?
  if [ "$rc" != "$want_rc" ] || ! grep -qE "$want" <<<"$out"; then
    echo "FAIL: $what: exit $rc (want $want_rc), output lacks /$want/:"; echo "$out"; fail=1
  else
    echo "ok: $what"
  fi
}
check "exact name runs that one test" 0 'Tested: 1 \| Passing: 1' \
  --filter=error/names_and_texts -j1
check "exact name as a separate word" 0 'Tested: 1 \| Passing: 1' \
  --filter error/names_and_texts -j1
check "an unknown name is refused by name" 2 'no test is named error/names_and_text\b' \
  --filter=error/names_and_text -j1
check "a suite without a test name is refused" 2 'no test is named error ' --filter=error -j1
check "a glob selects as Criterion does" 0 'Tested: 4 \| Passing: 4' --filter='error/*' -j1
check "a glob that matches a part" 0 'Tested: 2 \| Passing: 2' --filter='error/*lmdb*' -j1
check "no filter runs every test" 0 'Tested: 4 \| Passing: 4' -j1
exit $fail
