// The signing flow for one POST /keys/<pkh> (docs/architecture.md, "One signing request"):
// key lookup → refuse magic 0x04 → decode → policy → watermark signOnce (consensus kinds) → HSM sign
// over BLAKE2b-256(msg) → verify (here, or in the addon when the device says so) → encode. Nothing here
// allocates key material per request.

import type { BlsSigning } from '../bls/sign-thread.js';
import { blake2b256 } from '../crypto/blake2b256.js';
import { SIGN_MECHANISMS } from '../hsm/mechanisms.js';
import type { ChainCap } from '../policy/chain-cap.js';
import type { Policy } from '../policy/policy.js';
import type { Curve } from '../tezos/curve.js';
import { decodeRequest, watermarkSlotOf } from '../tezos/decode.js';
import type { SignRequest } from '../tezos/request.js';
import type { WatermarkStore } from '../watermark/store.js';
import type { SigningDevice } from './device.js';
import { MechanismMissingError, UnknownKeyError, WatermarkRefusedError } from './errors.js';
import { addBlsKeys, buildKeyring, type HsmSignerKey, type SignerKey } from './keyring.js';

export type { SigningDevice } from './device.js';

/** A key on the token that the token cannot sign with: not offered, refused by name. */
export interface UnsignableKey {
  pkh: string;
  label: string;
  curve: Curve;
  /** The missing mechanism, e.g. 'CKM_EDDSA'. */
  mechanism: string;
}

/** Filled by sign() for the caller's audit line and metrics. */
export interface SignNote {
  req?: SignRequest;
  /** 'signed': a new signature; 'repeat': the stored one for identical bytes (docs/watermark.md). */
  outcome?: 'signed' | 'repeat';
  /** Hex BLAKE2b-256 of the request: the watermark's hash and the audit line's requestHash. */
  requestHash?: string;
}

export interface SignerOptions {
  /** Extra check on the decoded request before the watermark (e.g. the chain-head threshold); throws to refuse. */
  check?: (req: SignRequest) => void;
  /** Unsealed tz4 keys (src/bls/), served beside the token's keys. */
  blsKeys?: readonly BlsSigning[];
  /** Bounds the chain ids a key without a `chains` list signs on (watermark.max_chains). */
  chainCap?: ChainCap;
}

export class Signer {
  private constructor(
    private readonly device: SigningDevice,
    private readonly store: WatermarkStore,
    private readonly policy: Policy,
    readonly keys: ReadonlyMap<string, SignerKey>,
    private readonly opts: SignerOptions = {},
    /** Keys on the token whose signing mechanism it does not offer, by pkh. */
    readonly unsignable: ReadonlyMap<string, UnsignableKey> = new Map(),
  ) {}

  /** Lists the token's keys once and derives pkhs, public keys and verifiers. */
  static async create(
    device: SigningDevice,
    store: WatermarkStore,
    policy: Policy,
    opts: SignerOptions = {},
  ): Promise<Signer> {
    const hsmKeys = buildKeyring(await device.keys(), device);
    const unsignable = await withoutUnsignable(hsmKeys, device);
    const keyring = new Map<string, SignerKey>(hsmKeys);
    addBlsKeys(keyring, opts.blsKeys ?? []);
    return new Signer(device, store, policy, keyring, opts, unsignable);
  }

  key(pkh: string): SignerKey {
    const k = this.keys.get(pkh);
    if (k !== undefined) return k;
    const missing = this.unsignable.get(pkh);
    if (missing) throw new MechanismMissingError(pkh, missing.curve, missing.mechanism);
    throw new UnknownKeyError(pkh);
  }

  /** Keys that policy lets sign something (for GET /known_keys). */
  knownKeys(): string[] {
    return [...this.keys.keys()].filter((pkh) => this.policy.of(pkh) !== null);
  }

  /** Signs `msg` (magic byte included) with `pkh`, or throws; never returns a signature on refusal. */
  async sign(pkh: string, msg: Uint8Array, note?: SignNote): Promise<string> {
    // The device's deadline runs from here: time spent behind other requests on the same watermark slot
    // counts, so a stuck token answers every waiting request in time instead of one timeout after another.
    const timeoutMs = this.device.timeoutMs;
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    const key = this.key(pkh);
    // Hashed once, first: refusals below are audited with this hash too.
    const digest = blake2b256(msg);
    const hash = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
    if (note) note.requestHash = hash;
    this.policy.checkBytes(msg);
    const req = decodeRequest(msg);
    if (note) note.req = req;
    this.policy.check(pkh, req);
    this.opts.check?.(req);
    const at = watermarkSlotOf(req);
    if (at === null) {
      const sig = await key.sign(msg, digest, deadline);
      if (note) note.outcome = 'signed';
      return sig;
    }
    const { level, round } = at;
    const slot = { chainId: at.chainId, pkh, kind: at.kind };
    const capped = this.policy.of(pkh)?.chains === null ? this.opts.chainCap : undefined;
    capped?.check(pkh, slot.chainId);
    // A signature is recorded as the mark only after the device resolved it. A request answered at its
    // deadline never gets one: its job's late result is dropped in the pool and never resolves here.
    const decision = await this.store.signOnce(slot, { level, round, hash }, () =>
      key.sign(msg, digest, deadline),
    );
    if (decision.outcome === 'refused') throw new WatermarkRefusedError(slot, level, round, decision.stored);
    capped?.note(pkh, slot.chainId);
    if (note) note.outcome = decision.outcome;
    return decision.signature;
  }

  /** tz4 signs the whole request with no pre-hash (src/bls/bls-key.ts); HSM keys sign its BLAKE2b-256. */
}

/** Moves the token's keys whose signing mechanism the token does not offer out of `keyring`. */
async function withoutUnsignable(
  keyring: Map<string, HsmSignerKey>,
  device: SigningDevice,
): Promise<Map<string, UnsignableKey>> {
  const out = new Map<string, UnsignableKey>();
  if (!device.signableCurves) return out;
  const signable = await device.signableCurves();
  for (const [pkh, k] of keyring) {
    if (signable.has(k.curve)) continue;
    out.set(pkh, { pkh, label: k.label, curve: k.curve, mechanism: SIGN_MECHANISMS[k.curve].name });
    keyring.delete(pkh);
  }
  return out;
}
