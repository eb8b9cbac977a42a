#!/bin/sh
# prebuildify 6 only knows node-gyp: it runs "$PREBUILD_NODE_GYP rebuild --target=… --arch=… --release"
# in its working directory and takes the addon from build/Release there. A Node-API addon does not
# depend on the target version, so build the sources of $PREBUILD_SOURCE (the package root) with cmake-js
# (offline headers from node-api-headers): the C++ runtime linked in statically, and for arm64 with
# Debian's aarch64 cross compiler.
set -eu
src=${PREBUILD_SOURCE:?set by native/prebuild.sh}
arch=$(uname -m)
for a in "$@"; do
  case $a in --arch=*) arch=${a#--arch=} ;; esac
done
case $arch in
  x64 | x86_64) set -- ;;
  arm64 | aarch64) set -- --CDCMAKE_TOOLCHAIN_FILE="$src/native/aarch64-linux-gnu.cmake" ;;
  *) echo "cmake-js-as-node-gyp: no cross toolchain for $arch" >&2; exit 1 ;;
esac
exec cmake-js rebuild --directory "$src" --out "$PWD/build" --CDSTATIC_CXX_RUNTIME=ON "$@"
