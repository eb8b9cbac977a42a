/* Raw PKCS#11 signing throughput, the ceiling the addon is measured against (bench/hsm.ts).
 * Usage: raw-sign LIBRARY TOKEN_LABEL PIN KEY_LABEL MECHANISM_HEX THREADS SECONDS
 * Each thread owns one session and loops C_SignInit + C_Sign over a 32-byte digest.
 * Prints {"threads":N,"signs":S,"seconds":T,"signsPerSec":R}. Function table entries are addressed by
 * their index in the PKCS#11 v2.40 CK_FUNCTION_LIST (C_Initialize 0 … C_Sign 43). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static ul slot, mechanism;
static const char *key_label;
static double seconds;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, ul rv) {
  fprintf(stderr, "%s failed: 0x%lx\n", what, rv);
  exit(1);
}

static void *worker(void *out) {
  ul s, rv, key, found = 0, cls = 3; /* CKO_PRIVATE_KEY */
  if ((rv = ((ul(*)(ul, ul, void *, void *, ul *))p11->f[12])(slot, 6, NULL, NULL, &s))) die("C_OpenSession", rv);
  struct attr tmpl[2] = {{0, &cls, sizeof cls}, {3, (void *)key_label, strlen(key_label)}};
  ((ul(*)(ul, struct attr *, ul))p11->f[26])(s, tmpl, 2);
  ((ul(*)(ul, ul *, ul, ul *))p11->f[27])(s, &key, 1, &found);
  ((ul(*)(ul))p11->f[28])(s);
  if (found != 1) die("find key", found);
  unsigned char digest[32], sig[64];
  memset(digest, 0x5a, sizeof digest);
  struct mech m = {mechanism, NULL, 0};
  long count = 0;
  double end = now() + seconds;
  while (now() < end) {
    for (int i = 0; i < 16; i++) {
      ul len = sizeof sig;
      digest[0] = (unsigned char)count;
      if ((rv = ((ul(*)(ul, struct mech *, ul))p11->f[42])(s, &m, key))) die("C_SignInit", rv);
      if ((rv = ((ul(*)(ul, unsigned char *, ul, unsigned char *, ul *))p11->f[43])(s, digest, 32, sig, &len)))
        die("C_Sign", rv);
      count++;
    }
  }
  *(long *)out = count;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s LIBRARY TOKEN_LABEL PIN KEY_LABEL MECHANISM_HEX THREADS SECONDS\n", argv[0]);
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

  pthread_t tid[64];
  long counts[64] = {0};
  double start = now();
  for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, worker, &counts[i]);
  long total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tid[i], NULL);
    total += counts[i];
  }
  double elapsed = now() - start;
  printf("{\"threads\":%d,\"signs\":%ld,\"seconds\":%.3f,\"signsPerSec\":%.1f}\n", threads, total, elapsed,
         total / elapsed);
  ((ul(*)(void *))p11->f[1])(NULL);
  return 0;
}
