/* Raw PKCS#11 signing throughput, the ceiling the addon is measured against (bench/hsm.ts).
 * Usage: raw-sign LIBRARY TOKEN_LABEL PIN KEY_LABEL MECHANISM_HEX THREADS SECONDS [verify]
 * Each thread owns one session and loops C_SignInit + C_Sign over a 32-byte digest. With "verify" each
 * signature is then checked as the addon does (native/verify.cpp: EVP_PKEY_verify over DER r,s for P-256,
 * one-shot EVP_DigestVerify for Ed25519, on a context kept per thread) with the system's libcrypto.so.3, loaded at run time;
 * secp256k1 with libsecp256k1 (native/verify_secp256k1.cpp; built with native/secp256k1_lib.c, bench/hsm.ts). The
 * public key comes from the public object with the same label.
 * Prints {"threads":N,"signs":S,"seconds":T,"signsPerSec":R,"cpuMicrosPerSign":C}, C being the process's
 * user+system CPU time over the signing window per signature (less sensitive to a busy host than R). Function table entries are addressed by
 * their index in the PKCS#11 v2.40 CK_FUNCTION_LIST (C_Initialize 0 … C_Sign 43). */
#include <dlfcn.h>
#include <secp256k1.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef unsigned long ul;
typedef ul (*fn_t)();
struct table {
  unsigned char version[2];
  fn_t f[68];
};
struct attr {
  ul type;
  void *value;
  ul len;
};
struct mech {
  ul type;
  void *param;
  ul len;
};
struct init_args {
  void *create, *destroy, *lock, *unlock;
  ul flags;
  void *reserved;
};

static struct table *p11;
static int verify;
static void *pkey; /* EVP_PKEY * */
static const secp256k1_context *k1; /* set for a secp256k1 key, checked with libsecp256k1 */
static secp256k1_pubkey k1_key;
static struct {
  void *(*d2i_PUBKEY)(void **, const unsigned char **, long);
  void *(*pkey_ctx_new)(void *, void *);
  void (*pkey_ctx_free)(void *);
  int (*verify_init)(void *);
  int (*verify)(void *, const unsigned char *, size_t, const unsigned char *, size_t);
  void *(*md_ctx_new)(void);
  void (*md_ctx_free)(void *);
  int (*digest_verify_init)(void *, void **, const void *, void *, void *);
  int (*digest_verify)(void *, const unsigned char *, size_t, const unsigned char *, size_t);
} ssl;
static ul slot, mechanism;
static const char *key_label;
static double seconds;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, ul rv) {
  fprintf(stderr, "%s failed: 0x%lx\n", what, rv);
  exit(1);
}

static void load_crypto(void) {
  void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!h) die(dlerror(), 0);
#define SYM(field, name) \
  if (!(*(void **)&ssl.field = dlsym(h, name))) die(name, 0);
  SYM(d2i_PUBKEY, "d2i_PUBKEY")
  SYM(pkey_ctx_new, "EVP_PKEY_CTX_new")
  SYM(pkey_ctx_free, "EVP_PKEY_CTX_free")
  SYM(verify_init, "EVP_PKEY_verify_init")
  SYM(verify, "EVP_PKEY_verify")
  SYM(md_ctx_new, "EVP_MD_CTX_new")
  SYM(md_ctx_free, "EVP_MD_CTX_free")
  SYM(digest_verify_init, "EVP_DigestVerifyInit")
  SYM(digest_verify, "EVP_DigestVerify")
#undef SYM
}

/* The one object of class `cls` labelled KEY_LABEL. */
static ul find_key(ul s, ul cls) {
  ul h = 0, found = 0;
  struct attr tmpl[2] = {{0, &cls, sizeof cls}, {3, (void *)key_label, strlen(key_label)}};
  ((ul(*)(ul, struct attr *, ul))p11->f[26])(s, tmpl, 2);
  ((ul(*)(ul, ul *, ul, ul *))p11->f[27])(s, &h, 1, &found);
  ((ul(*)(ul))p11->f[28])(s);
  if (found != 1) die("find key", cls);
  return h;
}

/* SubjectPublicKeyInfo from the public object's CKA_EC_PARAMS and CKA_EC_POINT (DER OCTET STRING), all
 * lengths below 128. Ed25519 (RFC 8410): fixed AlgorithmIdentifier; ECDSA (RFC 5480): id-ecPublicKey + params. */
static void load_public_key(ul s) {
  ul h = find_key(s, 2); /* CKO_PUBLIC_KEY */
  unsigned char params[64], point[80];
  struct attr a[2] = {{0x180, params, sizeof params}, {0x181, point, sizeof point}}; /* EC_PARAMS, EC_POINT */
  ul rv = ((ul(*)(ul, ul, struct attr *, ul))p11->f[24])(s, h, a, 2);
  if (rv || point[0] != 0x04 || point[1] != a[1].len - 2) die("C_GetAttributeValue", rv);
  unsigned char der[160], *p = der;
  ul n = a[1].len - 2;
  static const unsigned char secp256k1_oid[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a};
  if (a[0].len == sizeof secp256k1_oid && memcmp(params, secp256k1_oid, sizeof secp256k1_oid) == 0) {
    k1 = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
    if (!secp256k1_ec_pubkey_parse(k1, &k1_key, point + 2, n)) die("secp256k1_ec_pubkey_parse", 0);
    return;
  }
  if (mechanism == 0x1057) { /* CKM_EDDSA */
    static const unsigned char ed[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    memcpy(p, ed, sizeof ed);
    p += sizeof ed;
  } else {
    static const unsigned char ec[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
    *p++ = 0x30;
    *p++ = (unsigned char)(2 + sizeof ec + a[0].len + 3 + n);
    *p++ = 0x30;
    *p++ = (unsigned char)(sizeof ec + a[0].len);
    memcpy(p, ec, sizeof ec);
    p += sizeof ec;
    memcpy(p, params, a[0].len);
    p += a[0].len;
    *p++ = 0x03;
    *p++ = (unsigned char)(n + 1);
    *p++ = 0x00;
  }
  memcpy(p, point + 2, n);
  p += n;
  const unsigned char *q = der;
  if (!(pkey = ssl.d2i_PUBKEY(NULL, &q, (long)(p - der)))) die("d2i_PUBKEY", 0);
}

/* X.690 minimal INTEGER of a big-endian unsigned half of r||s. */
static unsigned char *der_int(unsigned char *p, const unsigned char *v, int n) {
  while (n > 1 && v[0] == 0) v++, n--;
  int pad = v[0] >> 7;
  *p++ = 0x02;
  *p++ = (unsigned char)(n + pad);
  if (pad) *p++ = 0;
  memcpy(p, v, n);
  return p + n;
}

/* `ctx`: this thread's context, made on first use and kept initialised, as native/verify.cpp keeps one per
 * concurrent verify (EVP_PKEY_CTX for ECDSA; EVP_MD_CTX for Ed25519, re-initialised with pkey NULL after
 * each one-shot EVP_DigestVerify, which finalises it). */
static int check(void **ctx, const unsigned char *digest, const unsigned char *sig, ul len) {
  int ok = 0;
  if (k1 != NULL) {
    secp256k1_ecdsa_signature parsed;
    if (len != 64 || !secp256k1_ecdsa_signature_parse_compact(k1, &parsed, sig)) return 0;
    secp256k1_ecdsa_signature_normalize(k1, &parsed, &parsed);
    return secp256k1_ecdsa_verify(k1, &parsed, digest, &k1_key);
  }
  if (mechanism == 0x1057) {
    if (*ctx == NULL) {
      *ctx = ssl.md_ctx_new();
      if (ssl.digest_verify_init(*ctx, NULL, NULL, NULL, pkey) != 1) die("EVP_DigestVerifyInit", 0);
    }
    ok = ssl.digest_verify(*ctx, sig, len, digest, 32);
    if (ssl.digest_verify_init(*ctx, NULL, NULL, NULL, NULL) != 1) die("EVP_DigestVerifyInit (again)", 0);
    return ok == 1;
  }
  unsigned char der[80], *p = der + 2;
  p = der_int(der_int(p, sig, (int)len / 2), sig + len / 2, (int)len / 2);
  der[0] = 0x30;
  der[1] = (unsigned char)(p - der - 2);
  if (*ctx == NULL) {
    *ctx = ssl.pkey_ctx_new(pkey, NULL);
    if (ssl.verify_init(*ctx) != 1) die("EVP_PKEY_verify_init", 0);
  }
  ok = ssl.verify(*ctx, der, p - der, digest, 32);
  return ok == 1;
}

static void *worker(void *out) {
  ul s, rv;
  if ((rv = ((ul(*)(ul, ul, void *, void *, ul *))p11->f[12])(slot, 6, NULL, NULL, &s))) die("C_OpenSession", rv);
  ul key = find_key(s, 3); /* CKO_PRIVATE_KEY */
  unsigned char digest[32], sig[64];
  memset(digest, 0x5a, sizeof digest);
  struct mech m = {mechanism, NULL, 0};
  long count = 0;
  void *ctx = NULL; /* this thread's verify context (check()) */
  double end = now() + seconds;
  while (now() < end) {
    for (int i = 0; i < 16; i++) {
      ul len = sizeof sig;
      digest[0] = (unsigned char)count;
      if ((rv = ((ul(*)(ul, struct mech *, ul))p11->f[42])(s, &m, key))) die("C_SignInit", rv);
      if ((rv = ((ul(*)(ul, unsigned char *, ul, unsigned char *, ul *))p11->f[43])(s, digest, 32, sig, &len)))
        die("C_Sign", rv);
      if (verify && !check(&ctx, digest, sig, len)) die("signature does not verify", 0);
      count++;
    }
  }
  if (ctx != NULL) (mechanism == 0x1057 ? ssl.md_ctx_free : ssl.pkey_ctx_free)(ctx);
  *(long *)out = count;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 8 && !(argc == 9 && strcmp(argv[8], "verify") == 0)) {
    fprintf(stderr, "usage: %s LIBRARY TOKEN_LABEL PIN KEY_LABEL MECHANISM_HEX THREADS SECONDS [verify]\n", argv[0]);
    return 2;
  }
  key_label = argv[4];
  mechanism = strtoul(argv[5], NULL, 16);
  int threads = atoi(argv[6]);
  seconds = atof(argv[7]);
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) die(dlerror(), 0);
  ul (*get)(struct table **) = (ul(*)(struct table **))dlsym(lib, "C_GetFunctionList");
  ul rv;
  if (!get || (rv = get(&p11))) die("C_GetFunctionList", 0);
  struct init_args ia = {0};
  ia.flags = 2; /* CKF_OS_LOCKING_OK */
  if ((rv = ((ul(*)(void *))p11->f[0])(&ia))) die("C_Initialize", rv);
  ul slots[64], n = 64;
  if ((rv = ((ul(*)(unsigned char, ul *, ul *))p11->f[4])(1, slots, &n))) die("C_GetSlotList", rv);
  int found = 0;
  for (ul i = 0; i < n && !found; i++) {
    unsigned char info[512]; /* CK_TOKEN_INFO starts with the 32-byte blank-padded label */
    if (((ul(*)(ul, void *))p11->f[6])(slots[i], info)) continue;
    size_t len = strlen(argv[2]);
    if (len <= 32 && memcmp(info, argv[2], len) == 0 && (len == 32 || info[len] == ' ')) {
      slot = slots[i];
      found = 1;
    }
  }
  if (!found) die("token not found", 0);
  ul anchor;
  if ((rv = ((ul(*)(ul, ul, void *, void *, ul *))p11->f[12])(slot, 6, NULL, NULL, &anchor))) die("C_OpenSession", rv);
  rv = ((ul(*)(ul, ul, unsigned char *, ul))p11->f[18])(anchor, 1, (unsigned char *)argv[3], strlen(argv[3]));
  if (rv && rv != 0x100) die("C_Login", rv);
  verify = argc == 9;
  if (verify) {
    load_crypto();
    load_public_key(anchor);
  }

  pthread_t tid[64];
  long counts[64] = {0};
  double start = now(), cpu_start = cpu_seconds();
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, worker, &counts[i]);
  long total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tid[i], NULL);
    total += counts[i];
  }
  double elapsed = now() - start, cpu = cpu_seconds() - cpu_start;
  printf("{\"threads\":%d,\"signs\":%ld,\"seconds\":%.3f,\"signsPerSec\":%.1f,\"cpuMicrosPerSign\":%.2f}\n", threads,
         total, elapsed, total / elapsed, cpu * 1e6 / total);
  ((ul(*)(void *))p11->f[1])(NULL);
  return 0;
}
