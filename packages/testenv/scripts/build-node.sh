#!/usr/bin/env bash
# Builds a node's binaries from the Go module proxy into a cache folder: the kubelet,
# kube-controller-manager, kube-scheduler and kube-proxy of k8s.io/kubernetes (a scratch module
# replacing each staging module with its published v0.Y.Z, as build-assets.sh does for
# kube-apiserver), and containerd with ctr and containerd-shim-runc-v2 (Kubernetes 1.36 needs
# containerd 2.x; Debian 12 has 1.6).
#
# Usage: build-node.sh KUBE_VERSION CONTAINERD_VERSION OUT_DIR
# As build-assets.sh: built beside OUT_DIR, renamed into it when all are built, so an interrupted
# build leaves nothing in OUT_DIR and the next one resumes from Go's build cache.
set -euo pipefail

kube_version=${1:?kubernetes version, e.g. v1.36.3}
containerd_version=${2:?containerd version, e.g. v2.4.2}
out_dir=${3:?output folder}
binaries=(kubelet kube-controller-manager kube-scheduler kube-proxy containerd ctr containerd-shim-runc-v2)

command -v go >/dev/null || { echo "build-node: Go is needed to build the node (https://go.dev/doc/install)" >&2; exit 1; }

minor=${kube_version#v1.}; minor=${minor%%.*}
staging_version="v0.${kube_version#v1.}"
mkdir -p "$(dirname "$out_dir")"
for old in "$out_dir".partial-*; do
  pid=${old##*.partial-}; pid=${pid%%.*}
  if [ -d "$old" ] && ! kill -0 "$pid" 2>/dev/null; then rm -rf "$old"; fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/guitars-testenv-node-build.XXXXXX")
staged=$(mktemp -d "$out_dir.partial-$$.XXXXXX")
trap 'rm -rf "$work" "$staged"' EXIT
step() { printf '[testenv] %s\n' "$*" >&2; }
compile() {
  local name=$1 output=$2 pkg=$3
  shift 3
  local todo started=$SECONDS
  todo=$(go list -deps -trimpath "$@" -f '{{if .Stale}}{{.ImportPath}}{{end}}' "$pkg" | grep -c . || true)
  step "compiling $name ($todo packages)"
  go build -v -trimpath "$@" -o "$output" "$pkg"
  step "built $name in $((SECONDS - started)) s"
}

export CGO_ENABLED=0 GOFLAGS=-mod=mod

# --- the kubelet and the control plane's other components -----------------------------------
step "resolving k8s.io/kubernetes $kube_version and its staging modules"
mkdir -p "$work/kube"
cd "$work/kube"
go mod init guitars-testenv/node >/dev/null 2>&1
go mod download -json "k8s.io/kubernetes@$kube_version" > kk.json
kk_mod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' kk.json)
staging=$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$kk_mod" | sort -u)
[ -n "$staging" ] || { echo "build-node: no staging modules found in $kk_mod" >&2; exit 1; }
for m in $staging; do
  go mod edit -replace "$m=$m@$staging_version"
done
go mod edit -require "k8s.io/kubernetes@$kube_version"
step "downloading modules for the kubelet, kube-controller-manager, kube-scheduler and kube-proxy"
go get "k8s.io/kubernetes/cmd/kubelet@$kube_version" "k8s.io/kubernetes/cmd/kube-controller-manager@$kube_version" \
  "k8s.io/kubernetes/cmd/kube-scheduler@$kube_version" "k8s.io/kubernetes/cmd/kube-proxy@$kube_version"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
for cmd in kubelet kube-controller-manager kube-scheduler kube-proxy; do
  compile "$cmd $kube_version" "$staged/$cmd" "k8s.io/kubernetes/cmd/$cmd" -tags=selinux,notest -ldflags "$ldflags"
done

# --- containerd --------------------------------------------------------------------------------
step "resolving containerd $containerd_version"
mkdir -p "$work/containerd"
cd "$work/containerd"
go mod init guitars-testenv/containerd >/dev/null 2>&1
go get "github.com/containerd/containerd/v2@$containerd_version"
# No btrfs, devmapper or zfs snapshotters: overlayfs is the one used, and they need cgo headers.
tags=no_btrfs,no_devmapper,no_zfs
cldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$containerd_version"
for cmd in containerd ctr containerd-shim-runc-v2; do
  compile "$cmd $containerd_version" "$staged/$cmd" "github.com/containerd/containerd/v2/cmd/$cmd" \
    -tags=$tags -ldflags "$cldflags"
done

if ! mv -T "$staged" "$out_dir" 2>/dev/null; then
  for b in "${binaries[@]}"; do mv -f "$staged/$b" "$out_dir/$b"; done
fi
step "node binaries ready in $out_dir (built in $((SECONDS / 60)) min $((SECONDS % 60)) s)"
