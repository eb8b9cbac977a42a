// Builds the watermark store named by the config's `watermark` section (CONTRACT.md).

import { FileStore } from './file-store.js';
import { MemoryStore } from './memory-store.js';
import type { WatermarkStore } from './store.js';

export interface StoreConfig {
  backend: 'file' | 'memory' | 'postgres';
  dir?: string;
  url?: string;
}

// The postgres backend lives in ./postgres-store.js (issue #6), loaded only when configured so that
// `pg` is not loaded otherwise. The specifier is a variable so this file compiles before it exists.
const POSTGRES_MODULE = './postgres-store.js';

interface PostgresModule {
  openPostgresStore(url: string): Promise<WatermarkStore>;
}

export async function openStore(cfg: StoreConfig): Promise<WatermarkStore> {
  switch (cfg.backend) {
    case 'memory':
      return new MemoryStore();
    case 'file':
      if (!cfg.dir) throw new Error('watermark.backend file needs watermark.dir');
      return FileStore.open(cfg.dir);
    case 'postgres': {
      if (!cfg.url) throw new Error('watermark.backend postgres needs watermark.url');
      let mod: PostgresModule;
      try {
        mod = (await import(POSTGRES_MODULE)) as PostgresModule;
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
          String(err).includes('postgres-store')
        )
          throw new Error('watermark.backend postgres is not available in this build');
        throw err;
      }
      return mod.openPostgresStore(cfg.url);
    }
    default:
      throw new Error(`unknown watermark.backend ${JSON.stringify((cfg as { backend: unknown }).backend)}`);
  }
}
