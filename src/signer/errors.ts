// Errors of the signing flow. The HTTP layer maps each class to one status (src/server/errors.ts).

import { RESERVED } from '../watermark/rule.js';
import type { Mark, SlotKey } from '../watermark/store.js';

/** No key with this pkh on the token (404). */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
  constructor(readonly pkh: string) {
    super(`unknown key ${pkh}: not on the token`);
  }
}

/** The high watermark forbids this request (409). Says what was refused and the stored mark. */
export class WatermarkRefusedError extends Error {
  override readonly name = 'WatermarkRefusedError';
  constructor(
    readonly slot: SlotKey,
    readonly level: number,
    readonly round: number,
    readonly stored: Mark,
  ) {
    const same = level === stored.level && round === stored.round;
    super(
      `refused: ${slot.kind} at level ${level} round ${round} for ${slot.pkh} on ${slot.chainId}: ` +
        (!same
          ? `below the high watermark (level ${stored.level} round ${stored.round})`
          : stored.signature === RESERVED
            ? `level ${stored.level} round ${stored.round} is reserved by a signature that was never ` +
              'recorded (a signer stopped or lost its database in between); not signed again'
            : `different bytes were already signed at level ${stored.level} round ${stored.round}`),
    );
  }
}

/** The HSM returned a signature that does not verify under the key: never sent (503). */
export class HsmFaultError extends Error {
  override readonly name = 'HsmFaultError';
}

/**
 * The key is on the token but the token does not offer its signing mechanism (a transport that does not
 * carry CKM_EDDSA, a token without CKM_ECDSA): 503 without Retry-After, since retrying cannot help until
 * the HSM setup changes (docs/outages.md).
 */
export class MechanismMissingError extends Error {
  override readonly name = 'MechanismMissingError';
  constructor(
    readonly pkh: string,
    readonly curve: string,
    readonly mechanism: string,
  ) {
    super(`key ${pkh} (${curve}) cannot sign here: the token does not offer ${mechanism}`);
  }
}
