// Structural check of a binary Micheline expression (0x05 PACK data, and script/parameter payloads when
// asked). Node tags from octez src/lib_micheline/micheline_encoding.ml: 0 int(z), 1 string, 2 sequence,
// 3..8 prim with 0/1/2 args without/with annots, 9 generic prim (args list + annots), 10 bytes.
// Primitive numbers are not checked against a table: new protocols add primitives.
import type { Reader } from './reader.js';

/** Deeper nesting than this is refused rather than risk exhausting the stack. */
const MAX_DEPTH = 1000;

function expr(r: Reader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) r.fail(`Micheline nesting <= ${MAX_DEPTH}`);
  const at = r.offset;
  const tag = r.u8('Micheline node tag');
  if (r.offset > end) r.fail('Micheline node inside its enclosing length', at);
  switch (tag) {
    case 0:
      r.z('Micheline int');
      break;
    case 1:
    case 10:
      r.take(
        r.length(tag === 1 ? 'Micheline string' : 'Micheline bytes', end - r.offset),
        'Micheline payload',
      );
      break;
    case 2: {
      const len = r.length('Micheline sequence', end - r.offset);
      const stop = r.offset + len;
      while (r.offset < stop) expr(r, stop, depth + 1);
      break;
    }
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8: {
      r.u8('Micheline primitive');
      const args = (tag - 3) >> 1;
      for (let i = 0; i < args; i++) expr(r, end, depth + 1);
      if ((tag & 1) === 0) r.take(r.length('Micheline annotations', end - r.offset), 'annotations');
      break;
    }
    case 9: {
      r.u8('Micheline primitive');
      const len = r.length('Micheline arguments', end - r.offset);
      const stop = r.offset + len;
      while (r.offset < stop) expr(r, stop, depth + 1);
      r.take(r.length('Micheline annotations', end - r.offset), 'annotations');
      break;
    }
    default:
      r.fail(`Micheline node tag 0..10, got ${tag}`, at);
  }
  if (r.offset > end) r.fail('Micheline node inside its enclosing length', at);
}

/** Read exactly one expression ending at `end` (default: end of input). */
export function readMicheline(r: Reader, end = r.bytes.length): void {
  expr(r, end, 0);
  if (r.offset !== end) r.fail('end of Micheline expression');
}
