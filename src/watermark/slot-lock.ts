// Per-slot serialiser: requests on one watermark slot run one at a time, in arrival order; different
// slots run in parallel. This is what makes two concurrent identical requests share one signature (the
// second sees the first's mark and gets 'repeat') and two different ones at one height sign only once.

export class SlotLock {
  // Tail of the queue per slot; removed when the queue drains so the map only holds busy slots.
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.tails.set(key, mine);
    try {
      if (prev) await prev;
      return await fn();
    } finally {
      if (this.tails.get(key) === mine) this.tails.delete(key);
      release();
    }
  }

  /** Slots with a request running or queued (for tests and metrics). */
  get busy(): number {
    return this.tails.size;
  }
}
