#!/usr/bin/env bash
# A root filesystem laid out like the official node:<version>-<suite>-slim image, for a machine
# that cannot pull it (stand-in-base.ts imports it under the official name). Needs root.
#
#   node-slim-rootfs.sh SUITE MIRROR NODE_VERSION YARN_VERSION OUT_TAR
#
# Debian: `debootstrap --variant=minbase SUITE` from MIRROR, trimmed as Debian's slim images are
# (debuerreotype-slimify). Node.js, npm, corepack and yarn: from the npm registry (the one
# registry these machines reach), at the versions the official image holds: NODE_VERSION's
# binary (npm's node-linux-<arch>), the npm and corepack its release bundles (read from its
# CHANGELOG), and YARN_VERSION's yarn, placed where the official image puts them.
set -euo pipefail

suite=$1 mirror=$2 node_version=$3 yarn_version=$4 out_tar=$5

case "$(dpkg --print-architecture)" in
  amd64) arch=amd64 node_arch=x64 openssl_arch=linux-x86_64 ;;
  arm64) arch=arm64 node_arch=arm64 openssl_arch=linux-aarch64 ;;
  *) echo "node-slim-rootfs: unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/guitars-node-rootfs-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
say() { printf '[node-slim-rootfs] %s\n' "$*" >&2; }

say "debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase --arch="$arch" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# The sources an official Debian image carries (debootstrap wrote the mirror it used).
keyring=/usr/share/keyrings/debian-archive-keyring.pgp
[ -e "$root$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: $keyring

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: $keyring
EOF

# nodejs/docker-node's first step.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

# npm pack runs in $work so that no project's .npmrc or workspace applies; it uses this
# machine's registry and CA settings.
pack() { (cd "$work" && npm pack --silent "$1" >/dev/null) && echo "$work/$2"; }
unpack() { mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1 --no-same-owner; }

say "node-linux-$node_arch@$node_version from the npm registry"
unpack "$(pack "node-linux-$node_arch@$node_version" "node-linux-$node_arch-$node_version.tgz")" "$work/node"
# The official tarball's layout under /usr/local: bin/node, include/, share/ and its three texts.
mkdir -p "$root/usr/local/bin"
cp -a "$work/node/bin/node" "$root/usr/local/bin/node"
cp -a "$work/node/include" "$work/node/share" "$work/node/CHANGELOG.md" "$work/node/LICENSE" \
  "$work/node/README.md" "$root/usr/local/"
# As the official image: OpenSSL headers of other architectures removed (~34 MB).
find "$root/usr/local/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name "$openssl_arch" \
  -exec rm -rf {} +
ln -s /usr/local/bin/node "$root/usr/local/bin/nodejs"

# The release's CHANGELOG lists its dependency updates newest first: the first of each is what
# this release bundles.
bundled() {
  sed -nE "s/.*(upgrade|update) $1 to v?([0-9]+\.[0-9]+\.[0-9]+).*/\2/p" "$work/node/CHANGELOG.md" | head -n 1
}
npm_version=$(bundled npm) corepack_version=$(bundled corepack)
[ -n "$npm_version" ] && [ -n "$corepack_version" ] \
  || { echo "node-slim-rootfs: no npm or corepack version in Node.js $node_version's CHANGELOG" >&2; exit 1; }

say "npm@$npm_version, corepack@$corepack_version (bundled with Node.js $node_version), yarn@$yarn_version"
unpack "$(pack "npm@$npm_version" "npm-$npm_version.tgz")" "$root/usr/local/lib/node_modules/npm"
unpack "$(pack "corepack@$corepack_version" "corepack-$corepack_version.tgz")" \
  "$root/usr/local/lib/node_modules/corepack"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
unpack "$(pack "yarn@$yarn_version" "yarn-$yarn_version.tgz")" "$root/opt/yarn-v$yarn_version"
ln -s "/opt/yarn-v$yarn_version/bin/yarn" "$root/usr/local/bin/yarn"
ln -s "/opt/yarn-v$yarn_version/bin/yarnpkg" "$root/usr/local/bin/yarnpkg"

# nodejs/docker-node's docker-entrypoint.sh.
cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"

# The official image's smoke tests.
for tool in node npm yarn; do
  say "$tool $(chroot "$root" env PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp "$tool" --version)"
done

# Slim, as debuerreotype-slimify makes Debian's *-slim images: documentation, manuals and
# translations removed, and dpkg told to leave them out of later installs.
excludes=(/usr/share/doc /usr/share/groff /usr/share/info /usr/share/linda /usr/share/lintian/overrides
  /usr/share/locale /usr/share/man)
# Patterns for find -path and dpkg, not for the shell.
includes=('/usr/share/doc/*/copyright' /usr/share/locale/locale.alias /usr/share/locale/languages
  /usr/share/locale/all_languages '/usr/share/locale/currency/*' '/usr/share/locale/l10n/*')
{
  echo '# This is the "slim" variant of the Debian base image.'
  for dir in "${excludes[@]}"; do echo "path-exclude $dir/*"; done
  for path in "${includes[@]}"; do echo "path-include $path"; done
} >"$root/etc/dpkg/dpkg.cfg.d/docker"
keep=()
for path in "${includes[@]}"; do keep+=(-o -path "$root$path"); done
for dir in "${excludes[@]}"; do
  [ -d "$root$dir" ] || continue
  find "$root$dir" -mindepth 1 -depth ! \( -type d "${keep[@]}" \) -delete
  find "$root$dir" -mindepth 1 -depth -type d -empty -delete
done

# As debuerreotype's minimizing config and fixup: no apt caches or lists, no logs of this build,
# no host details (debootstrap copied the host's resolv.conf and hostname), no device nodes (the
# runtime mounts /dev and /proc).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
printf 'force-unsafe-io\n' >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
printf 'Acquire::GzipIndexes "true";\n' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
find "$root/var/cache/apt" "$root/var/lib/apt/lists" -mindepth 1 ! -type d -delete
rm -f "$root/var/log/dpkg.log" "$root/var/log/bootstrap.log" "$root/var/log/alternatives.log" \
  "$root/var/log/apt/"*.log "$root/var/cache/ldconfig/aux-cache" "$root/etc/resolv.conf"
: >"$root/etc/hostname"
rm -f "$root/run/mount/utab"
find "$root/dev" "$root/proc" "$root/sys" "$root/tmp" -mindepth 1 -delete

tar --numeric-owner --xattrs -C "$root" -cf "$out_tar" .
say "$(du -sh "$root" | cut -f1) root filesystem written to $out_tar"
