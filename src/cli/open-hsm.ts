// Opens the token a config names: applies hsm.env first (the vendor library reads it when loaded, e.g.
// SOFTHSM2_CONF), then the PIN from hsm.pin_file or the variable named by hsm.pin_env. A failure gets
// the vendor's hint when one applies (vendor-hints.ts).

import { pinSource, readPin } from '../config/pin.js';
import type { Config } from '../config/types.js';
import { withVendorHint } from '../config/vendor-hints.js';
import { Pkcs11Error } from '../hsm/errors.js';
import { Hsm } from '../hsm/hsm.js';
import type { HsmOptions } from '../hsm/types.js';

export async function openHsm(config: Config): Promise<Hsm> {
  const { hsm } = config;
  for (const [name, value] of Object.entries(hsm.env)) process.env[name] = value;
  const opts: HsmOptions = {
    library: hsm.library,
    pin: readPin(config),
    sessions: hsm.sessions,
    signAhead: hsm.signAhead,
    timeoutMs: hsm.timeoutMs,
    maxQueue: hsm.maxQueue,
  };
  if (hsm.tokenLabel !== undefined) opts.tokenLabel = hsm.tokenLabel;
  if (hsm.tokenSerial !== undefined) opts.tokenSerial = hsm.tokenSerial;
  if (hsm.slot !== undefined) opts.slot = hsm.slot;
  try {
    return await Hsm.open(opts);
  } catch (err) {
    if (err instanceof Pkcs11Error && err.code === 'CKR_PIN_INCORRECT')
      throw new Pkcs11Error(`${err.message}; ${pinSource(config)}`, err);
    throw withVendorHint(hsm.vendor, hsm.library, err);
  }
}
