// Splits a streamed RPC body into JSON values. octez's chunked streaming RPCs (e.g. /monitor/heads/main)
// write one JSON value after another with no framing guarantee: a value may span chunks and one chunk may
// hold several values (octez lib_rpc_http/RPC_server streams each value as it is produced), so we track
// object depth and strings instead of trusting newlines.

export class JsonStreamSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  /** Bound on one value so a misbehaving node cannot grow our memory without limit. */
  constructor(private readonly maxValueChars = 1 << 20) {}

  /** Feeds text, returns every complete top-level object or array it closed. */
  push(text: string): unknown[] {
    const out: unknown[] = [];
    const base = this.buf.length;
    this.buf += text;
    for (let i = base; i < this.buf.length; i++) {
      const ch = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === '"') this.inString = false;
        continue;
      }
      if (ch === '"') {
        if (this.depth === 0) throw new Error('stream: bare string outside an object');
        this.inString = true;
      } else if (ch === '{' || ch === '[') {
        if (this.depth === 0) this.start = i;
        this.depth++;
      } else if (ch === '}' || ch === ']') {
        if (this.depth === 0) throw new Error(`stream: unexpected '${ch}'`);
        this.depth--;
        if (this.depth === 0) out.push(JSON.parse(this.buf.slice(this.start, i + 1)));
      } else if (this.depth === 0 && ch !== undefined && !/\s/.test(ch)) {
        throw new Error(`stream: unexpected '${ch}' between values`);
      }
    }
    if (this.depth === 0) {
      this.buf = '';
      this.start = -1;
    } else {
      // Keep only the open value; rebase its start.
      this.buf = this.buf.slice(this.start);
      this.start = 0;
      if (this.buf.length > this.maxValueChars) throw new Error('stream: value too large');
    }
    return out;
  }
}
