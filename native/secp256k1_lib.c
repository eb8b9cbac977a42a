/* libsecp256k1's C sources, compiled into the addon from the secp256k1 npm package pinned in package.json
 * (its src/secp256k1: the library itself; the package's own bindings are not used). Static, symbols hidden
 * (CMakeLists.txt): nothing is loaded at run time and the prebuilds need no extra shared library.
 * The settings are those the library's configure picks by default on the machine it builds for
 * (configure.ac, "auto"), set here from the compiler's own macros so the cross build gets the arm64 ones,
 * except where later upstream releases changed the default (assembly, endomorphism: below). */

/* No bignum library: the built-in field and scalar inversions (configure's --with-bignum=no). */
#define USE_NUM_NONE 1
#define USE_FIELD_INV_BUILTIN 1
#define USE_SCALAR_INV_BUILTIN 1

/* 64-bit field (5×52) and scalar (4×64) limbs wherever the compiler has a 128-bit integer, else 32-bit
 * ones (configure: --with-field=auto, --with-scalar=auto). No x86_64 assembly: upstream removed its field
 * assembly in 0.4.1, the C compiled by current compilers being faster; x64 and arm64 run the same code. */
#if defined(__SIZEOF_INT128__)
#define HAVE___INT128 1
#define USE_FIELD_5X52 1
#define USE_SCALAR_4X64 1
#else
#define USE_FIELD_10X26 1
#define USE_SCALAR_8X32 1
#endif

/* Verification's table of multiples of G: configure's default window (2^13 entries of 64 bytes, built once
 * when the verification context is made); the signing table's default precision, unused here. */
#define ECMULT_WINDOW_SIZE 15
#define ECMULT_GEN_PREC_BITS 4

/* The GLV endomorphism splits the key's scalar into two half-length ones. Optional in this release (then
 * patent-encumbered); upstream made it unconditional once the patent expired (2020). */
#define USE_ENDOMORPHISM 1

#include "src/secp256k1.c"
