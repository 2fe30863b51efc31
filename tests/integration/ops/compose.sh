#!/usr/bin/env bash
# deploy/compose.yaml, offline (no Docker engine): `docker-compose config -q` (Debian's
# docker-compose 1.29) with the defaults and with SMTP settings from the environment; a
# broken copy must be rejected (the check is not vacuous); then mvoi's conventions on the
# resolved file (check_compose.py).
#   compose.sh REPO_ROOT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$1
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "SKIP: docker-compose not installed (Debian package docker-compose; add it to scripts/bootstrap)"
  exit 77
fi
f="$root/deploy/compose.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A clean environment: only what the test sets reaches the file's ${...} defaults.
run() { local file=$1; shift; env -i PATH="$PATH" HOME="$tmp" "$@" docker-compose -f "$file" config; }

echo "== $(docker-compose version --short 2>/dev/null || docker-compose --version) config -q"
env -i PATH="$PATH" HOME="$tmp" docker-compose -f "$f" config -q
run "$f" >"$tmp/default.yaml"
echo "defaults: valid"

printf 's3cret\n' >"$tmp/smtp-password"
run "$f" MVOI_SMTP_URL=smtp://mail.example.org:587 MVOI_SMTP_USER=mvoi MVOI_SMTP_STARTTLS=true \
  MVOI_SMTP_PASSWORD_FILE="$tmp/smtp-password" MVOI_HTTP_PORT=9090 >"$tmp/smtp.yaml"
grep -q 'MVOI_NOTIFIER_SMTP_URL: smtp://mail.example.org:587' "$tmp/smtp.yaml" || { echo "MVOI_SMTP_URL does not reach the notifier"; exit 1; }
grep -q "file: $tmp/smtp-password" "$tmp/smtp.yaml" || { echo "MVOI_SMTP_PASSWORD_FILE does not become the secret"; exit 1; }
grep -q 'published: 9090' "$tmp/smtp.yaml" || grep -q '9090:8080' "$tmp/smtp.yaml" || { echo "MVOI_HTTP_PORT is not published"; exit 1; }
echo "SMTP settings from the environment: resolved"

# Not vacuous: an unknown key and a wrong type must both be rejected.
sed 's/^    read_only: true$/    read_only: true\n    readonly_typo: true/; s/^  read_only: true$/  read_only: true\n  readonly_typo: true/' "$f" >"$tmp/bad1.yaml"
sed 's/^      retries: 3$/      retries: three/' "$f" >"$tmp/bad2.yaml"
for b in bad1 bad2; do
  cmp -s "$f" "$tmp/$b.yaml" && { echo "self-test $b: mutation did not apply"; exit 1; }
  if env -i PATH="$PATH" HOME="$tmp" docker-compose -f "$tmp/$b.yaml" config -q 2>"$tmp/$b.err"; then
    echo "self-test $b: docker-compose accepted a broken file"; exit 1
  fi
  echo "self-test $b: rejected ($(head -c 120 "$tmp/$b.err" | tr '\n' ' '))"
done

echo "== conventions"
python3 "$here/check_compose.py" "$tmp/default.yaml"
