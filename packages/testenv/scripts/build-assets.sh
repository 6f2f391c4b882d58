#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kubectl from the Go module proxy into a cache folder.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` is refused because k8s.io/kubernetes
# replaces its staging modules (k8s.io/api, k8s.io/client-go, ...) with local paths. A scratch
# module that requires k8s.io/kubernetes and replaces each staging module with its published
# v0.Y.Z release builds the same binaries. etcd's server module has local replaces too, so it
# gets a scratch module of its own.
#
# Usage: build-assets.sh KUBE_VERSION ETCD_VERSION OUT_DIR
# The binaries are built into a folder beside OUT_DIR and renamed into it only when all three are
# built: an interrupted build (Ctrl-C) leaves nothing in OUT_DIR, and the next one resumes from
# Go's build cache. Each compile step first says how many packages it has to compile, then
# `go build -v` names each one as it is done (src/build-progress.ts counts them).
set -euo pipefail

kube_version=${1:?kubernetes version, e.g. v1.36.3}
etcd_version=${2:?etcd version, e.g. v3.6.8}
out_dir=${3:?output folder}

command -v go >/dev/null || { echo "build-assets: Go is needed to build the control plane (https://go.dev/doc/install)" >&2; exit 1; }

minor=${kube_version#v1.}; minor=${minor%%.*}
staging_version="v0.${kube_version#v1.}"
mkdir -p "$(dirname "$out_dir")"
# Left by a build that was killed outright (SIGKILL, power loss): its process is gone.
for old in "$out_dir".partial-*; do
  pid=${old##*.partial-}; pid=${pid%%.*}
  if [ -d "$old" ] && ! kill -0 "$pid" 2>/dev/null; then rm -rf "$old"; fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/guitars-testenv-build.XXXXXX")
staged=$(mktemp -d "$out_dir.partial-$$.XXXXXX")
trap 'rm -rf "$work" "$staged"' EXIT
step() { printf '[testenv] %s\n' "$*" >&2; }
# compile NAME OUTPUT PACKAGE [go build flags...]: counts what Go's build cache lacks, then builds.
compile() {
  local name=$1 output=$2 pkg=$3
  shift 3
  local todo
  todo=$(go list -deps -trimpath "$@" -f '{{if .Stale}}{{.ImportPath}}{{end}}' "$pkg" | grep -c . || true)
  step "compiling $name ($todo packages)"
  go build -v -trimpath "$@" -o "$output" "$pkg"
}

export CGO_ENABLED=0 GOFLAGS=-mod=mod

# --- kube-apiserver and kubectl -------------------------------------------------------------
step "resolving k8s.io/kubernetes $kube_version and its staging modules"
mkdir -p "$work/kube"
cd "$work/kube"
go mod init guitars-testenv/kube >/dev/null 2>&1
go mod download -json "k8s.io/kubernetes@$kube_version" > kk.json
kk_mod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' kk.json)
# Every `k8s.io/<name> v0.0.0` requirement of k/k is a staging module.
staging=$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$kk_mod" | sort -u)
[ -n "$staging" ] || { echo "build-assets: no staging modules found in $kk_mod" >&2; exit 1; }
for m in $staging; do
  go mod edit -replace "$m=$m@$staging_version"
done
go mod edit -require "k8s.io/kubernetes@$kube_version"
step "downloading modules for kube-apiserver and kubectl (first time: a few minutes)"
go get "k8s.io/kubernetes/cmd/kube-apiserver@$kube_version" "k8s.io/kubernetes/cmd/kubectl@$kube_version"

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
compile "kube-apiserver $kube_version" "$staged/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
  -tags=selinux,notest -ldflags "$ldflags"
compile "kubectl $kube_version" "$staged/kubectl" k8s.io/kubernetes/cmd/kubectl \
  -tags=selinux,notest -ldflags "$ldflags"

# --- etcd -----------------------------------------------------------------------------------
step "resolving etcd $etcd_version"
mkdir -p "$work/etcd"
cd "$work/etcd"
go mod init guitars-testenv/etcd >/dev/null 2>&1
go get "go.etcd.io/etcd/server/v3@$etcd_version"
compile "etcd $etcd_version" "$staged/etcd" go.etcd.io/etcd/server/v3 -ldflags "-s -w"

# Renames on one filesystem: each binary appears whole or not at all.
if ! mv -T "$staged" "$out_dir" 2>/dev/null; then
  for b in etcd kube-apiserver kubectl; do mv -f "$staged/$b" "$out_dir/$b"; done
fi
step "control plane binaries ready in $out_dir (built in $((SECONDS / 60)) min $((SECONDS % 60)) s)"
