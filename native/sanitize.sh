#!/bin/sh
# Runs HSM tests against a sanitizer build of the addon (make test-sanitize, CONTRIBUTING.md).
# Usage: sanitize.sh asan|tsan [vitest file filters…]
#   asan: AddressSanitizer + UndefinedBehaviorSanitizer in one build, build/asan/
#   tsan: ThreadSanitizer (session pool threads, watchdog, completion queue), build/tsan/
# Each build has its own directory, laid out as a package root (build/<kind>/build/Release/) so that
# node-gyp-build's own override, TEZOS_HSM_SIGNER_PREBUILD=<dir>, loads it; build/Release, which the
# normal tests load, is never touched. Node is not instrumented, so the sanitizer runtime is preloaded
# (LD_PRELOAD) into vitest and every process it starts. Each report also goes to a log file under
# build/<kind>/reports/: a report from any process (a signer child, a worker) fails the run even where
# the test itself would have passed.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
kind=${1:?usage: sanitize.sh asan|tsan [test filters…]}
shift
case $kind in
  asan)
    flags=address,undefined
    runtime=libasan.so
    # Leak checking is off: Node is not instrumented and keeps much of its heap until exit by design,
    # and every program a test starts (cc, pkcs11-tool, softhsm2-util) inherits the preload.
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=1:exitcode=86:log_path=$root/build/asan/reports/asan"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$root/build/asan/reports/ubsan"
    [ $# -gt 0 ] || set -- test/01-hsm- test/05-http-hsm-outage test/13-process-restart
    ;;
  tsan)
    flags=thread
    runtime=libtsan.so
    # Node, V8, libuv and the PKCS#11 library are not instrumented: TSan would see their memcpy, malloc
    # and free through its interceptors but not the atomics that order them, and report races in V8's
    # own threads. ignore_noninstrumented_modules keeps reports to the addon's code.
    export TSAN_OPTIONS="ignore_noninstrumented_modules=1:halt_on_error=1:exitcode=86:second_deadlock_stack=1:log_path=$root/build/tsan/reports/tsan"
    # Not 13-process-restart: Debian's dash and bash crash at start with the TSan runtime preloaded, and
    # that test runs the signer under sh. The session pool, watchdog and completion queue are the
    # 01-hsm tests' subject.
    [ $# -gt 0 ] || set -- test/01-hsm- test/05-http-hsm-outage
    ;;
  *) echo "sanitize.sh: unknown kind $kind (asan, tsan)" >&2; exit 2 ;;
esac
out=$root/build/$kind
cd "$root"
cmake-js compile --out "$out/build" --CDSANITIZE=$flags >"$out.build.log" 2>&1 || {
  tail -n 40 "$out.build.log" >&2
  exit 1
}
preload=$(readlink -f "$(gcc -print-file-name=$runtime)")
[ -f "$preload" ] || { echo "sanitize.sh: $runtime not found (gcc's runtime, Debian package libasan8/libtsan2)" >&2; exit 1; }
rm -rf "$out/reports"
mkdir -p "$out/reports"
export TEZOS_HSM_SIGNER_PREBUILD=$out
# The run is void if the normal build loads instead: check which file node-gyp-build picks.
loaded=$(LD_PRELOAD=$preload node -p "require('node-gyp-build').path('$root')")
case $loaded in
  "$out"/build/Release/*) ;;
  *) echo "sanitize.sh: node-gyp-build loads $loaded, not the $kind build" >&2; exit 1 ;;
esac
echo "sanitize.sh: $kind build $loaded, runtime $preload"
rc=0
# vitest's own entry under node, not npx: npm runs its commands through sh (see tsan above).
LD_PRELOAD=$preload node "$root/node_modules/vitest/vitest.mjs" run "$@" || rc=$?
if [ -n "$(ls -A "$out/reports")" ]; then
  echo "sanitize.sh: $kind reports in $out/reports:" >&2
  for f in "$out"/reports/*; do
    echo "== $f" >&2
    cat "$f" >&2
  done
  exit 1
fi
exit $rc
