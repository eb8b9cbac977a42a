// Wraps the HSM for metrics: sign latency (queue wait included) by curve and PKCS#11 errors by CKR code,
// without touching the signing flow.

import { Pkcs11Error } from '../hsm/errors.js';
import type { HsmKey } from '../hsm/types.js';
import type { SigningDevice } from '../signer/signer.js';
import type { SignerMetrics } from './signer-metrics.js';

export function instrumentDevice(device: SigningDevice, metrics: SignerMetrics): SigningDevice {
  return {
    keys: () => device.keys(),
    verifiesSignatures: device.verifiesSignatures,
    timeoutMs: device.timeoutMs,
    ...(device.signableCurves ? { signableCurves: device.signableCurves.bind(device) } : {}),
    async sign(key: HsmKey, data: Uint8Array, deadline?: number): Promise<Uint8Array> {
      const t0 = performance.now();
      try {
        const sig = await device.sign(key, data, deadline);
        metrics.hsmSign(key.curve, (performance.now() - t0) / 1000);
        return sig;
      } catch (err) {
        metrics.hsmError(err instanceof Pkcs11Error ? err.code : 'other');
        throw err;
      }
    },
  };
}
