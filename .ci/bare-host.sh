#!/usr/bin/env bash
# Runs a command as on a fresh machine where nothing was installed by hand: the system's Chromium
# hidden, and with `--no-nss` the NSS/NSPR libraries too (as on a host without libnss3). Everything
# is hidden in a private mount namespace, never on the machine itself; the command sees
# REQUIRE_CHROMIUM=npm, so a browser test fails unless the Chromium npm installed is what ran.
# Usage (as root): bash .ci/bare-host.sh [--no-nss] COMMAND [ARG...]
set -euo pipefail
cd "$(dirname "$0")/.."
hide_nss=false
if [ "${1:-}" = --no-nss ]; then hide_nss=true; shift; fi
[ $# -gt 0 ] || { echo "usage: bash .ci/bare-host.sh [--no-nss] COMMAND [ARG...]" >&2; exit 2; }

if [ -z "${BARE_HOST_SCRATCH:-}" ]; then
  # The mounts end with the namespace; the empty folder they were made on is removed here.
  scratch=$(mktemp -d)
  trap 'rmdir "$scratch"' EXIT
  flag=()
  if $hide_nss; then flag=(--no-nss); fi
  BARE_HOST_SCRATCH=$scratch unshare --mount --propagation private bash "$0" "${flag[@]}" "$@"
  exit
fi

scratch=$BARE_HOST_SCRATCH
mount -t tmpfs tmpfs "$scratch"

# /usr/bin/chromium is Debian's wrapper script: an overlay on /usr/bin with it deleted hides it
# and nothing else; /usr/lib/chromium holds the browser itself.
if [ -e /usr/bin/chromium ]; then
  mkdir "$scratch/upper" "$scratch/work"
  mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$scratch/upper,workdir=$scratch/work" /usr/bin
  rm /usr/bin/chromium
fi
if [ -d /usr/lib/chromium ]; then mount -t tmpfs tmpfs /usr/lib/chromium; fi
if [ -e /usr/bin/chromium ] || [ -n "$(ls -A /usr/lib/chromium 2>/dev/null)" ]; then
  echo "bare host: the system's Chromium is still visible" >&2
  exit 1
fi
echo "bare host: no system Chromium"

if $hide_nss; then
  # Each library of the libnss3 and libnspr4 packages the dynamic linker knows, made empty.
  libs=$(ldconfig -p | awk '$1 ~ /^lib(nss3|nssutil3|smime3|ssl3|softokn3|freebl3|freeblpriv3|nspr4|plc4|plds4)\.so/ { print $NF }')
  for lib in $libs; do mount --bind /dev/null "$(readlink -f "$lib")"; done
  for lib in $libs; do
    [ ! -s "$lib" ] || { echo "bare host: $lib is still there" >&2; exit 1; }
  done
  echo "bare host: no NSS or NSPR libraries ($(echo "$libs" | wc -w) hidden)"
fi

unset CHROMIUM_PATH
export REQUIRE_CHROMIUM=npm
exec "$@"
