#!/bin/sh
# Prints the Debian packages that provide the shared libraries the given binaries load, one
# per line, sorted. Used by the image build so that the runtime stage installs exactly what
# the binaries link (a new library in a service needs no Dockerfile change).
#   runtime-deps.sh BINARY...
set -eu
for exe in "$@"; do
  ldd "$exe" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'
done | sort -u | while read -r lib; do
  # usrmerge: dpkg may know the library under /lib or /usr/lib, or only its real name.
  alt=$(echo "$lib" | sed -e 's|^/usr/lib/|/lib/|;t' -e 's|^/lib/|/usr/lib/|')
  real=$(readlink -f "$lib")
  for p in "$lib" "$alt" "$real"; do
    if pkg=$(dpkg-query -S "$p" 2>/dev/null); then
      echo "${pkg%%:*}"
      break
    fi
  done
done | sed 's/,.*//' | sort -u
