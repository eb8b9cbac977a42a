// The memory backend: for tests and benches only (a restart forgets every mark, so `serve` must not
// offer it for real keys). Same rule and per-slot serialisation as the durable stores.

import { StoreUnavailableError } from './errors.js';
import { SerialisedStore } from './serialised-store.js';
import type { Mark, SlotKey } from './store.js';

export class MemoryStore extends SerialisedStore {
  private closed = false;

  protected async write(slot: SlotKey, id: string, mark: Mark): Promise<void> {
    this.keep(slot, id, mark);
  }

  protected record(slot: SlotKey, id: string, mark: Mark): void {
    this.keep(slot, id, mark);
  }

  protected ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError('watermark store (memory) is closed');
  }

  async check(): Promise<void> {
    this.ensureOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
