// The part of signOnce shared by the stores that keep their marks in this process (memory, file):
// validate, serialise per slot, ask the rule, sign, persist, answer. Only the persistence differs.

import { decide, type Height } from './rule.js';
import { SlotLock } from './slot-lock.js';
import type { Decision, Mark, SlotKey, WatermarkStore } from './store.js';
import { checkHeight, checkMark, checkSlot, normaliseMark, slotId } from './validate.js';

export abstract class SerialisedStore implements WatermarkStore {
  private readonly lock = new SlotLock();

  /** The durable mark of a slot (what was persisted last), or null. */
  protected abstract read(id: string): Mark | null;
  /** Persist a mark; resolves only once it is durable. Must leave the old mark in place on failure. */
  protected abstract write(slot: SlotKey, id: string, mark: Mark): Promise<void>;
  /** Throws when the store can no longer take requests (closed, or a failed write). */
  protected abstract ensureOpen(): void;
  /** Work due before a request is checked (e.g. probing a disabled log), or null: nothing to wait for. */
  protected beforeRequest(): Promise<unknown> | null {
    return null;
  }
  abstract list(): Promise<Array<{ slot: SlotKey; mark: Mark }>>;
  abstract check(): Promise<void>;
  abstract close(): Promise<void>;

  async signOnce(slot: SlotKey, req: Height, sign: () => Promise<string>): Promise<Decision> {
    checkSlot(slot);
    checkHeight(req);
    const pending = this.beforeRequest();
    if (pending !== null) await pending;
    this.ensureOpen();
    const id = slotId(slot);
    return this.lock.run(id, async () => {
      this.ensureOpen();
      const stored = this.read(id);
      const verdict = decide(stored, req);
      if (verdict === 'repeat') return { outcome: 'repeat', signature: stored!.signature };
      if (verdict === 'refuse') return { outcome: 'refused', stored: { ...stored! } };
      // Order (DESIGN.md §5): check → sign → durable write → answer. A throw in sign() or write()
      // rejects with the old mark untouched, and nothing was released to the caller.
      const signature = await sign();
      if (typeof signature !== 'string' || signature.length === 0)
        throw new TypeError('watermark: sign() must resolve to a non-empty signature string');
      const mark = normaliseMark({ level: req.level, round: req.round, hash: req.hash, signature });
      await this.write(slot, id, mark);
      return { outcome: 'signed', signature };
    });
  }

  async get(slot: SlotKey): Promise<Mark | null> {
    checkSlot(slot);
    const mark = this.read(slotId(slot));
    return mark ? { ...mark } : null;
  }

  async set(slot: SlotKey, mark: Mark): Promise<void> {
    checkSlot(slot);
    checkMark(mark);
    const pending = this.beforeRequest();
    if (pending !== null) await pending;
    this.ensureOpen();
    const id = slotId(slot);
    await this.lock.run(id, async () => {
      this.ensureOpen();
      await this.write(slot, id, normaliseMark(mark));
    });
  }
}
