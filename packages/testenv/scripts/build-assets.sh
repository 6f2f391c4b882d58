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
# The binaries appear in OUT_DIR only when all three are built (a half-built cache is never used).
set -euo pipefail

kube_version=${1:?kubernetes version, e.g. v1.36.3}
etcd_version=${2:?etcd version, e.g. v3.6.8}
out_dir=${3:?output folder}

command -v go >/dev/null || { echo "build-assets: Go is needed to build the control plane (https://go.dev/doc/install)" >&2; exit 1; }

minor=${kube_version#v1.}; minor=${minor%%.*}
staging_version="v0.${kube_version#v1.}"
work=$(mktemp -d "${TMPDIR:-/tmp}/guitars-testenv-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
step() { printf '[testenv] %s\n' "$*" >&2; }

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
mkdir -p "$work/bin"
step "compiling kube-apiserver $kube_version (first time: 5-15 minutes on 2 cores)"
go build -trimpath -tags=selinux,notest -ldflags "$ldflags" -o "$work/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
step "compiling kubectl $kube_version"
go build -trimpath -tags=selinux,notest -ldflags "$ldflags" -o "$work/bin/kubectl" k8s.io/kubernetes/cmd/kubectl

# --- etcd -----------------------------------------------------------------------------------
step "resolving etcd $etcd_version"
mkdir -p "$work/etcd"
cd "$work/etcd"
go mod init guitars-testenv/etcd >/dev/null 2>&1
go get "go.etcd.io/etcd/server/v3@$etcd_version"
step "compiling etcd $etcd_version"
go build -trimpath -ldflags "-s -w" -o "$work/bin/etcd" go.etcd.io/etcd/server/v3

mkdir -p "$out_dir"
for b in etcd kube-apiserver kubectl; do
  mv -f "$work/bin/$b" "$out_dir/$b.tmp"
  mv -f "$out_dir/$b.tmp" "$out_dir/$b"
done
step "control plane binaries ready in $out_dir"
