// Builds the watermark store named by the config's `watermark` section (CONTRACT.md).

import { FileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import type { WatermarkStore } from './store.js';

export interface StoreConfig {
  backend: 'file' | 'memory' | 'postgres';
  dir?: string;
  url?: string;
}

export interface OpenStoreOptions {
  /** hsm.sessions: sizes the PostgreSQL pool (a signature holds a connection while the HSM signs). */
  hsmSessions?: number;
  /** Where the store's warnings go: a torn final batch dropped on open, writes stopping and resuming,
   * a weakened database, a stale primary. Default process.emitWarning. */
  onWarning?: (message: string) => void;
}

export async function openStore(cfg: StoreConfig, opts: OpenStoreOptions = {}): Promise<WatermarkStore> {
  switch (cfg.backend) {
    case 'memory':
      return new MemoryStore();
    case 'file':
      if (!cfg.dir) throw new Error('watermark.backend file needs watermark.dir');
      return FileStore.open(cfg.dir, opts.onWarning ? { onRecovery: opts.onWarning } : {});
    case 'postgres': {
      // Loaded only when configured (issue #6), so that `pg` is not loaded otherwise.
      if (!cfg.url) throw new Error('watermark.backend postgres needs watermark.url');
      let mod: typeof import('./postgres-store.js');
      try {
        mod = await import('./postgres-store.js');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
        throw new Error(
          `watermark.backend postgres is not available in this build: ${(err as Error).message}`,
        );
      }
      return mod.openPostgresStore(cfg.url, {
        ...(opts.hsmSessions ? { hsmSessions: opts.hsmSessions } : {}),
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      });
    }
    default:
      throw new Error(`unknown watermark.backend ${JSON.stringify((cfg as { backend: unknown }).backend)}`);
  }
}
