// Pre-Tenderbake (Emmy) requests, still recognised so a watermark can refuse them consistently:
// 0x01 block = magic ‖ chain_id ‖ block header (level at offset 5, then the rest of the shell header:
// src/lib_base/block_header.ml), protocol data opaque; 0x02 endorsement = magic ‖ chain_id ‖ branch ‖
// tag 00 ‖ level int32 (proto 0xx_Ps* operation_repr.ml, endorsement_encoding): level is the last 4 bytes.
import type { Reader } from './reader.js';
import type { LegacyRequest } from './sign-request.js';

export function decodeLegacyBlock(r: Reader): LegacyRequest {
  const chainId = r.hash('Net', 4, 'chain id');
  const level = r.nat32('level');
  // Check the rest of the shell header is there; the Emmy protocol data that follows stays opaque.
  r.take(1 + 32 + 8 + 1 + 32, 'legacy block shell header');
  const total = r.length('fitness');
  r.take(total, 'fitness');
  r.take(32, 'context hash');
  return { magic: 0x01, kind: 'legacy_block', chainId, level };
}

export function decodeLegacyEndorsement(r: Reader): LegacyRequest {
  const chainId = r.hash('Net', 4, 'chain id');
  r.take(32, 'branch');
  const tagAt = r.offset;
  if (r.u8('endorsement tag') !== 0) r.fail('legacy endorsement tag 00', tagAt);
  const level = r.nat32('level');
  r.end();
  return { magic: 0x02, kind: 'legacy_endorsement', chainId, level };
}
