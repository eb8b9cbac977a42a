#!/bin/sh
# Builds the Node-API prebuilds the package ships (prebuildify): prebuilds/linux-x64 and
# prebuilds/linux-arm64 (glibc) on an x64 build machine, arm64 with the cross compiler.
# Usage: prebuild.sh [ARCH…] (default: x64 arm64). prebuildify runs in a scratch directory: the
# compiler's output stays in build/ (x64: the development build, brought up to date; arm64: build/arm64),
# so a rebuild compiles only what changed, and build/Release never holds an arm64 addon.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- x64 arm64
for arch in "$@"; do
  case $arch in
    x64) strip=x86_64-linux-gnu-strip ;;
    arm64) strip=aarch64-linux-gnu-strip ;;
    *) echo "prebuild.sh: unsupported architecture $arch (x64, arm64)" >&2; exit 1 ;;
  esac
  command -v "$strip" >/dev/null || strip=strip
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # prebuildify names the file after package.json's name and builds in its working directory.
  cp "$root/package.json" "$work/"
  rm -rf "$root/prebuilds/linux-$arch"
  (cd "$work" && PREBUILD_SOURCE=$root PREBUILD_NODE_GYP=$root/native/cmake-js-as-node-gyp.sh \
    prebuildify --napi --tag-libc --strip --strip-bin "$strip" --arch "$arch" --platform linux \
      --out "$root")
  rm -rf "$work"
  trap - EXIT
  ls -l "$root/prebuilds/linux-$arch"
done
