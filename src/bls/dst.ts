// The domain separation tags octez signs tz4 requests and proofs of possession with (min-pk, POP scheme):
// octez src/lib_crypto/bls.ml through Bls12_381_signature.MinPk.Pop.

export const SIGN_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
export const POP_DST = 'BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
