// The curves of Tezos tz1/tz2/tz3 keys, named by their PKCS#11 parameters (the HSM signs with each).

/** ed25519 (tz1), secp256k1 (tz2), P-256 (tz3); tz4 (BLS12-381) keys are signed outside the HSM. */
export type Curve = 'p256' | 'secp256k1' | 'ed25519';
