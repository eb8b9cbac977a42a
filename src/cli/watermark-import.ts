// `watermark import --from octez|signatory PATH --config FILE --yes`: carries the high watermarks of a
// previous signer over. Only ever raises a mark (see src/migrate/imported-mark.ts).

import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { applyImports, type ImportedMark } from '../migrate/imported-mark.js';
import { readOctezWatermarks } from '../migrate/octez-watermarks.js';
import { readSignatoryWatermarks } from '../migrate/signatory-watermarks.js';
import { openStore } from '../watermark/open-store.js';
import { requireConfig, UsageError } from './args.js';

// The path is positional (`--from octez PATH`), which the shared strict parser does not allow.
const parse = (args: string[]) =>
  parseArgs({
    args,
    options: { config: { type: 'string' }, from: { type: 'string' }, yes: { type: 'boolean' } },
    strict: true,
    allowPositionals: true,
  });

const READERS: Record<string, (path: string) => Promise<ImportedMark[]>> = {
  octez: readOctezWatermarks,
  signatory: readSignatoryWatermarks,
};

export async function watermarkImport(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one path expected, got ${positionals.join(' ')}`);
  const path = positionals[0];
  const file = requireConfig(values);
  const from = values.from;
  const read = from === undefined ? undefined : READERS[from];
  if (read === undefined) throw new UsageError('--from octez|signatory is required');
  if (path === undefined)
    throw new UsageError('the path of the other signer’s watermark directory is required');
  const marks = await read(path);
  if (!values.yes) {
    for (const m of marks) {
      process.stdout.write(
        `would import ${m.slot.chainId} ${m.slot.pkh} ${m.slot.kind} level=${m.level} round=${m.round}\n`,
      );
    }
    process.stderr.write(`${marks.length} watermark(s) read; run again with --yes to import them\n`);
    return 2;
  }
  const config = await loadConfig(file);
  const store = await openStore(config.watermark);
  try {
    for (const r of await applyImports(store, marks)) {
      const what = `${r.slot.chainId} ${r.slot.pkh} ${r.slot.kind} level=${r.mark.level} round=${r.mark.round}`;
      const why = r.existing ? ` (store has level=${r.existing.level} round=${r.existing.round})` : '';
      process.stdout.write(
        `${r.action === 'set' ? 'imported' : 'kept    '} ${what}${r.action === 'kept' ? why : ''}\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}
