// The part of signOnce shared by the stores that keep their marks in this process (memory, file):
// validate, serialise per slot, ask the rule, reserve the height durably while signing, answer, record
// the signature. Only the persistence differs.

import { decide, type Height, RESERVED } from './rule.js';
import { settleSign } from './settle-sign.js';
import { SlotLock } from './slot-lock.js';
import type { Decision, Mark, SlotKey, WatermarkStore } from './store.js';
import { checkHeight, checkMark, checkSlot, normaliseMark, slotId } from './validate.js';

/** A slot and its mark, as the stores keep them in memory (and the file store logs them). */
export interface SlotMark {
  slot: SlotKey;
  mark: Mark;
}

export abstract class SerialisedStore implements WatermarkStore {
  private readonly lock = new SlotLock();
  /** signOnce calls under way, this one included: tells a store whether a request is alone. */
  protected signing = 0;

  /**
   * Each slot's mark as this process knows it (durable, or recorded after a durable reservation), by
   * slotId. `write` changes it only once durable; `record` and `release` at once.
   */
  constructor(protected readonly marks = new Map<string, SlotMark>()) {}

  /**
   * Persist a mark; resolves only once it is durable, and only then makes it the slot's mark (keep). Must
   * leave the old mark in place on failure.
   */
  protected abstract write(slot: SlotKey, id: string, mark: Mark): Promise<void>;
  /**
   * Makes `mark` (the signature of a height whose reservation is durable) the slot's mark now, and durable
   * later: it rides with the next durable write, or a flush shortly after. Losing it in a crash leaves the
   * reservation, which refuses the same bytes again instead of repeating a signature it lost.
   */
  protected abstract record(slot: SlotKey, id: string, mark: Mark): void;
  /** Throws when the store can no longer take requests (closed, or a failed write). */
  protected abstract ensureOpen(): void;
  /** Work due before a request is checked (e.g. probing a disabled log), or null: nothing to wait for. */
  protected beforeRequest(): Promise<unknown> | null {
    return null;
  }
  abstract check(): Promise<void>;
  abstract close(): Promise<void>;

  private read(id: string): Mark | null {
    return this.marks.get(id)?.mark ?? null;
  }

  /** Makes `mark` the slot's mark in this process; returns the entry kept. */
  protected keep(slot: SlotKey, id: string, mark: Mark): SlotMark {
    const entry = { slot: { chainId: slot.chainId, pkh: slot.pkh, kind: slot.kind }, mark };
    this.marks.set(id, entry);
    return entry;
  }

  /**
   * Gives back a reservation whose signature never left (the sign failed or timed out): the slot's mark
   * in this process is `previous` again. The durable reservation stays until a later write or a
   * compaction replaces it; read back after a crash it only refuses more, never less.
   */
  private release(slot: SlotKey, id: string, previous: Mark | null): void {
    if (previous === null) this.marks.delete(id);
    else this.keep(slot, id, previous);
  }

  async list(): Promise<SlotMark[]> {
    return [...this.marks.values()].map(({ slot, mark }) => ({ slot: { ...slot }, mark: { ...mark } }));
  }

  async signOnce(slot: SlotKey, req: Height, sign: () => Promise<string>): Promise<Decision> {
    checkSlot(slot);
    checkHeight(req);
    this.signing++;
    try {
      return await this.signOnceCounted(slot, req, sign);
    } finally {
      this.signing--;
    }
  }

  private async signOnceCounted(slot: SlotKey, req: Height, sign: () => Promise<string>): Promise<Decision> {
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
      // The height is written ahead (a reservation) while the device signs, so a request costs the
      // longer of the two rather than their sum (docs/watermark.md, "Writing the height ahead"). The
      // signature is released only once both are done: its height is durable before it leaves.
      const reserved = this.write(slot, id, normaliseMark({ ...req, signature: RESERVED }));
      const [wrote, signed] = await Promise.all([
        reserved.then(
          () => null,
          (error: unknown) => ({ error }),
        ),
        settleSign(sign),
      ]);
      if (wrote !== null) throw wrote.error; // the old mark is untouched (write())
      if (!signed.ok) {
        this.release(slot, id, stored);
        throw signed.error;
      }
      const { signature } = signed;
      this.record(slot, id, normaliseMark({ ...req, signature }));
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
