// Native BLS for tz4 signing: @chainsafe/blst, supranational's blst through napi-rs, far faster than
// @noble/curves (docs/performance.md, bench/tz4.ts). Its prebuilt binary is an npm optional dependency per
// platform (@chainsafe/blst-linux-x64-gnu, …); where none fits or it fails to load, tz4 keys sign with
// @noble/curves and nativeBls() says why.
// blst-ts hard-codes min-pk with the IETF POP-scheme signing DST BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_
// (as Ethereum), the one octez signs with; it takes no other DST, so proofs of possession
// (BLS_POP_… DST) stay on @noble/curves (bls-key.ts).
import { createRequire } from 'node:module';
import { SIGN_DST } from './dst.js';

export type NativeBls = typeof import('@chainsafe/blst');
export type NativeSecretKey = InstanceType<NativeBls['SecretKey']>;

export type NativeLoad = { lib: NativeBls; error: null } | { lib: null; error: string };

// Known answer computed with @noble/curves (test/12-tz4-bls.test.ts recomputes it): big-endian scalar
// 01 02 … 20, message SELF_TEST_MSG, DST SIGN_DST. A binary that signs anything else is not used.
export const SELF_TEST_SECRET_BE = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
export const SELF_TEST_MSG = new TextEncoder().encode('tezos-hsm-signer blst self-test');
export const SELF_TEST_SIG =
  '8df8e7f0b9222d9c9a58ca81d807f81750705103403910c4ca607dfb71983a9181775f5756ac3dc41152c350a4fa6378' +
  '0e3bd1bd3463af263dc0b73025b0ab54df0b614e4a2250aefa2ed81d51a32a925a1d28f74f8c50d43dac9f0c704b7d04';

const requireBlst = () => createRequire(import.meta.url)('@chainsafe/blst') as NativeBls;

/** Loads and self-tests @chainsafe/blst (`requireIt` is replaceable for tests); never throws. */
export function loadNativeBls(requireIt: () => NativeBls = requireBlst): NativeLoad {
  let lib: NativeBls;
  try {
    lib = requireIt();
    const sk = lib.SecretKey.fromBytes(SELF_TEST_SECRET_BE);
    if (Buffer.from(sk.sign(SELF_TEST_MSG).toBytes(true)).toString('hex') !== SELF_TEST_SIG) {
      return { lib: null, error: `@chainsafe/blst failed its self-test (${SIGN_DST} signature)` };
    }
  } catch (err) {
    return { lib: null, error: `@chainsafe/blst did not load: ${err instanceof Error ? err.message : err}` };
  }
  return { lib, error: null };
}

let loaded: NativeLoad | undefined;

/** @chainsafe/blst, loaded and self-tested once per thread, or why not. */
export function nativeBls(): NativeLoad {
  loaded ??= loadNativeBls();
  return loaded;
}
