#!/bin/sh
# prebuildify 6 only knows node-gyp: it runs "$PREBUILD_NODE_GYP rebuild --target=… --arch=… --release"
# in its working directory and takes the addon from build/Release there. A Node-API addon does not
# depend on the target version, so build the sources of $PREBUILD_SOURCE (the package root) with cmake-js
# (offline headers from node-api-headers), incrementally: x64 in the development build directory (same
# flags), arm64 in build/arm64 with Debian's aarch64 cross compiler; then hand the addon over.
set -eu
src=${PREBUILD_SOURCE:?set by native/prebuild.sh}
arch=$(uname -m)
for a in "$@"; do
  case $a in --arch=*) arch=${a#--arch=} ;; esac
done
case $arch in
  x64 | x86_64) out=$src/build && set -- ;;
  arm64 | aarch64) out=$src/build/arm64 && set -- --CDCMAKE_TOOLCHAIN_FILE="$src/native/aarch64-linux-gnu.cmake" ;;
  *) echo "cmake-js-as-node-gyp: no cross toolchain for $arch" >&2; exit 1 ;;
esac
cmake-js compile --directory "$src" --out "$out" "$@"
mkdir -p build/Release
cp "$out/Release/tezos_hsm_signer.node" build/Release/
