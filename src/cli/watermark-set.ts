// `watermark set --config FILE --pkh … --chain … --kind … --level … --round … --yes`: forces one high
// watermark, e.g. to carry over the height a previous signer reached. It may lower a mark too, which
// can allow a double signature: hence the explicit --yes.

import { loadConfig } from '../config/load.js';
import { NO_REQUEST_HASH, NO_SIGNATURE } from '../migrate/imported-mark.js';
import type { ConsensusKind } from '../tezos/request.js';
import { openStore } from '../watermark/open-store.js';
import type { Mark, SlotKey } from '../watermark/store.js';
import { checkMark, checkSlot, KINDS } from '../watermark/validate.js';
import { parseVerbArgs, requireConfig, UsageError } from './args.js';

function intArg(name: string, v: string | undefined): number {
  if (v === undefined) throw new UsageError(`--${name} is required`);
  if (!/^\d{1,10}$/.test(v) || Number(v) > 0x7fffffff)
    throw new UsageError(`--${name}: expected 0..2147483647, got '${v}'`);
  return Number(v);
}

function strArg(name: string, v: string | undefined): string {
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export async function watermarkSet(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, {
    config: { type: 'string' },
    pkh: { type: 'string' },
    chain: { type: 'string' },
    kind: { type: 'string' },
    level: { type: 'string' },
    round: { type: 'string' },
    yes: { type: 'boolean' },
  });
  const file = requireConfig(values);
  const kind = strArg('kind', values.kind);
  if (!(KINDS as readonly string[]).includes(kind))
    throw new UsageError(`--kind: expected one of ${KINDS.join(', ')}`);
  const slot: SlotKey = {
    pkh: strArg('pkh', values.pkh),
    chainId: strArg('chain', values.chain),
    kind: kind as ConsensusKind,
  };
  // No request hash or signature is known for a forced mark: requests at exactly this height are refused.
  const mark: Mark = {
    level: intArg('level', values.level),
    round: intArg('round', values.round),
    hash: NO_REQUEST_HASH,
    signature: NO_SIGNATURE,
  };
  checkSlot(slot);
  checkMark(mark);
  if (!values.yes) {
    process.stderr.write(
      `refusing to set the ${kind} watermark of ${slot.pkh} on ${slot.chainId} to level ${mark.level} round ${mark.round} ` +
        'without --yes: a watermark set too low allows signing twice at one height\n',
    );
    return 2;
  }
  const config = await loadConfig(file);
  const store = await openStore(config.watermark);
  try {
    const previous = await store.get(slot);
    await store.set(slot, mark);
    const was = previous ? `level=${previous.level} round=${previous.round}` : 'none';
    process.stdout.write(
      `${slot.chainId} ${slot.pkh} ${kind}: level=${mark.level} round=${mark.round} (was ${was})\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
