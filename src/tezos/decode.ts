// Bytes → typed request, or a DecodeError naming the offset and what was expected (layouts:
// docs/protocol.md).
// One decoder per format; this file only dispatches on the magic byte and maps requests to watermark
// slots. Any non-DecodeError escaping a decoder is a bug: it is converted so callers see one error type.
import { decodeBlock } from './decode-block.js';
import { decodeConsensus } from './decode-consensus.js';
import { DecodeError } from './decode-error.js';
import { decodeLegacyBlock, decodeLegacyEndorsement } from './decode-legacy.js';
import { readMicheline } from './decode-micheline.js';
import { decodeGeneric } from './decode-operations.js';
import { Reader } from './reader.js';
import type { ConsensusKind, SignRequest } from './sign-request.js';

function dispatch(r: Reader): SignRequest {
  const magic = r.u8('magic byte');
  switch (magic) {
    case 0x01:
      return decodeLegacyBlock(r);
    case 0x02:
      return decodeLegacyEndorsement(r);
    case 0x03:
      return decodeGeneric(r);
    case 0x05: {
      readMicheline(r);
      return { magic: 0x05, kind: 'michelson', data: Uint8Array.from(r.bytes.subarray(1)) };
    }
    case 0x11:
      return decodeBlock(r);
    case 0x12:
    case 0x13:
      return decodeConsensus(r, magic);
    case 0x04:
      return r.fail('a signing request; 0x04 is an authentication message, never signed', 0);
    default:
      return r.fail(
        `magic byte 0x01, 0x02, 0x03, 0x05, 0x11, 0x12 or 0x13, got 0x${magic.toString(16).padStart(2, '0')}`,
        0,
      );
  }
}

export function decodeRequest(bytes: Uint8Array): SignRequest {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(0, 'request bytes');
  const r = new Reader(bytes);
  try {
    return dispatch(r);
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    // e.g. a RangeError from the stack: never let another exception type escape.
    throw new DecodeError(
      r.offset,
      `well-formed request (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/** Where a request's watermark lives and at what height. */
export interface WatermarkSlot {
  chainId: string;
  /** Tags 21/23/41 all map to 'attestation' (docs/watermark.md says why). */
  kind: ConsensusKind;
  level: number;
  round: number;
}

/**
 * Watermark slot of a request: 0x11 block, 0x12 preattestation, 0x13 attestation (tags 21/23/41 share
 * it, docs/watermark.md); legacy 0x01 shares 'block' and 0x02 'attestation', at round 0 (Emmy has no
 * rounds). null: not watermarked.
 */
export function watermarkSlotOf(req: SignRequest): WatermarkSlot | null {
  switch (req.kind) {
    case 'block':
    case 'preattestation':
    case 'attestation':
      return { chainId: req.chainId, kind: req.kind, level: req.level, round: req.round };
    case 'legacy_block':
      return { chainId: req.chainId, kind: 'block', level: req.level, round: 0 };
    case 'legacy_endorsement':
      return { chainId: req.chainId, kind: 'attestation', level: req.level, round: 0 };
    default:
      return null;
  }
}
