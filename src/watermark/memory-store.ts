// The memory backend: for tests and benches only (a restart forgets every mark, so `serve` must not
// offer it for real keys). Same rule and per-slot serialisation as the durable stores.

import { StoreUnavailableError } from './errors.js';
import { SerialisedStore } from './serialised-store.js';
import type { Mark, SlotKey } from './store.js';

export class MemoryStore extends SerialisedStore {
  private readonly marks = new Map<string, { slot: SlotKey; mark: Mark }>();
  private closed = false;

  protected read(id: string): Mark | null {
    return this.marks.get(id)?.mark ?? null;
  }

  protected async write(slot: SlotKey, id: string, mark: Mark): Promise<void> {
    this.record(slot, id, mark);
  }

  protected record(slot: SlotKey, id: string, mark: Mark): void {
    this.marks.set(id, { slot: { chainId: slot.chainId, pkh: slot.pkh, kind: slot.kind }, mark });
  }

  protected release(slot: SlotKey, id: string, previous: Mark | null): void {
    if (previous === null) this.marks.delete(id);
    else this.record(slot, id, previous);
  }

  protected ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError('watermark store (memory) is closed');
  }

  async list(): Promise<Array<{ slot: SlotKey; mark: Mark }>> {
    return [...this.marks.values()].map(({ slot, mark }) => ({ slot: { ...slot }, mark: { ...mark } }));
  }

  async check(): Promise<void> {
    this.ensureOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
