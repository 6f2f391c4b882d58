#!/usr/bin/env bash
# The browser test as on a machine where nothing was installed by hand: the system's Chromium
# hidden (`no-chromium`), or it and the NSS/NSPR libraries hidden (`no-nss`, as on a host without
# libnss3). The Chromium npm installed must be the one that runs: REQUIRE_CHROMIUM=npm fails the
# test otherwise. Everything is hidden in a private mount namespace, never on the machine itself.
# Usage: bash .ci/browser-bare-host.sh no-chromium|no-nss   (as root)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?no-chromium or no-nss}
[ "$mode" = no-chromium ] || [ "$mode" = no-nss ] || { echo "unknown mode $mode" >&2; exit 2; }

if [ -z "${BARE_HOST_SCRATCH:-}" ]; then
  # The mounts end with the namespace; the empty folder they were made on is removed here.
  scratch=$(mktemp -d)
  trap 'rmdir "$scratch"' EXIT
  BARE_HOST_SCRATCH=$scratch unshare --mount --propagation private bash "$0" "$mode"
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

if [ "$mode" = no-nss ]; then
  # Each library of the libnss3 and libnspr4 packages the dynamic linker knows, made empty.
  libs=$(ldconfig -p | awk '$1 ~ /^lib(nss3|nssutil3|smime3|ssl3|softokn3|freebl3|freeblpriv3|nspr4|plc4|plds4)\.so/ { print $NF }')
  for lib in $libs; do mount --bind /dev/null "$(readlink -f "$lib")"; done
  for lib in $libs; do
    [ ! -s "$lib" ] || { echo "bare host: $lib is still there" >&2; exit 1; }
  done
  echo "bare host: no NSS or NSPR libraries ($(echo "$libs" | wc -w) hidden)"
fi

cd packages/ui
env -u CHROMIUM_PATH REQUIRE_CHROMIUM=npm npx vitest run src/browser.cluster.test.ts
