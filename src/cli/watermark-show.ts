// `watermark show --config FILE [--pkh PKH] [--json]`: every high watermark in the configured store.

import { loadConfig } from '../config/load.js';
import { openStore } from '../watermark/open-store.js';
import { RESERVED } from '../watermark/rule.js';
import { parseVerbArgs, requireConfig } from './args.js';

export async function watermarkShow(argv: string[]): Promise<number> {
  const values = parseVerbArgs(argv, {
    config: { type: 'string' },
    pkh: { type: 'string' },
    json: { type: 'boolean' },
  });
  const config = await loadConfig(requireConfig(values));
  const store = await openStore(config.watermark);
  try {
    const rows = (await store.list())
      .filter(({ slot }) => values.pkh === undefined || slot.pkh === values.pkh)
      .sort((a, b) =>
        `${a.slot.chainId}/${a.slot.pkh}/${a.slot.kind}`.localeCompare(
          `${b.slot.chainId}/${b.slot.pkh}/${b.slot.kind}`,
        ),
      )
      .map(({ slot, mark }) => ({ chain: slot.chainId, pkh: slot.pkh, kind: slot.kind, ...mark }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length === 0) {
      process.stdout.write('no watermark\n');
    } else {
      for (const r of rows) {
        process.stdout.write(
          `${r.chain} ${r.pkh} ${r.kind.padEnd(14)} level=${r.level} round=${r.round} hash=${r.hash} ${r.signature === RESERVED ? 'reserved (signature not recorded)' : `signature=${r.signature}`}\n`,
        );
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}
