// What a command has opened, closed in reverse order however it ends: a start-up step that fails (a busy
// port, a locked store) must not leave a half-alive process with its signing port open, its store
// closed and its log stream gone. A closer that throws is reported and the others still run.

export class Closers {
  private readonly stack: Array<{ what: string; close: () => unknown }> = [];

  add(what: string, close: () => unknown): void {
    this.stack.push({ what, close });
  }

  async closeAll(): Promise<void> {
    for (let c = this.stack.pop(); c !== undefined; c = this.stack.pop()) {
      try {
        await c.close();
      } catch (err) {
        process.stderr.write(
          `error closing the ${c.what}: ${err instanceof Error ? err.message : String(err)}\n`,
        );
      }
    }
  }
}
