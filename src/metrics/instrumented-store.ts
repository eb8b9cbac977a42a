// Wraps a watermark store for metrics: the time signOnce spends outside the sign() callback is the
// store's own work (slot lock, read, durable write), reported as the watermark sync latency.

import type { WatermarkStore } from '../watermark/store.js';
import type { SignerMetrics } from './signer-metrics.js';

export function instrumentStore(
  store: WatermarkStore,
  metrics: SignerMetrics,
  backend: string,
): WatermarkStore {
  return {
    async signOnce(slot, req, sign) {
      const t0 = performance.now();
      let inSign = 0;
      const decision = await store.signOnce(slot, req, async () => {
        const s0 = performance.now();
        try {
          return await sign();
        } finally {
          inSign += performance.now() - s0;
        }
      });
      // Only a signed decision persisted a new mark.
      if (decision.outcome === 'signed')
        metrics.storeSyncLatency(backend, (performance.now() - t0 - inSign) / 1000);
      return decision;
    },
    get: (slot) => store.get(slot),
    list: () => store.list(),
    set: (slot, mark) => store.set(slot, mark),
    check: () => store.check(),
    ...(store.durabilityWarning ? { durabilityWarning: () => store.durabilityWarning!() } : {}),
    close: () => store.close(),
  };
}
