#!/bin/sh
# prebuildify 6 only knows node-gyp: it runs "$PREBUILD_NODE_GYP rebuild --target=… --arch=… --release".
# A Node-API addon does not depend on the target version, so build it with cmake-js (offline headers
# from node-api-headers) into build/Release, where prebuildify picks it up.
set -eu
exec cmake-js rebuild --out build
