// Per-request cost of the optional operations parts on the JS thread: request authentication (BLAKE2b-256 of the
// authentication message + verify, per client-key curve), the audit line (pino, asynchronous
// destination to /dev/null), the metrics update, and the chain-head check.
// Run: node --import tsx bench/ops-overhead.ts
import { InMemorySigner } from '@taquito/signer';
import { authenticationMessage } from '../src/auth/authenticate.js';
import { RequestAuthenticator } from '../src/auth/request-authenticator.js';
import { checkHead } from '../src/chain/head-check.js';
import { audit } from '../src/log/audit.js';
import { closeLogger, createLogger } from '../src/log/logger.js';
import { SignerMetrics } from '../src/metrics/signer-metrics.js';
import { sampleAuditEntry } from '../test/helpers/audit-entry.js';

const BLOCK = Buffer.from(
  '117a06a7700000000c0272b9c070cec8364f71d3361b0196ff250451241dc70933fefbda3b4c0eff329700000000619d27ce0401589994c43f991baf797f80702ba7f11075ea11eaed813c3b2eaf769b42ca30000000210000000102000000040000000c0000000000000004ffffffff0000000400000000c146ae2d2ada6afc75c4e2d84d994366d0944f1d5448f8ce5c99365ab8f7aa05532d7119ff62aeeea609473addaafc033aa264c5cf6ab8af70e1154ed44cb3d800000000ef9ad9f900000000ff408781a014bbc88d879ae2847cb65e31318c61aab34cd000ae27a9103a718b5b00',
  'hex',
);
const PKH = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

function measure(name: string, n: number, f: () => unknown): void {
  for (let i = 0; i < Math.min(n, 300); i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  const us = Number(process.hrtime.bigint() - t) / n / 1000;
  console.log(`${name.padEnd(28)} ${us.toFixed(2).padStart(8)} µs/request  ${Math.round(1e6 / us)}/s`);
}

for (const curve of ['ed25519', 'secp256k1', 'p256'] as const) {
  const signer = InMemorySigner.fromMnemonic({ mnemonic: MNEMONIC, curve });
  const auth = new RequestAuthenticator([await signer.publicKey()]);
  const sig = (await signer.sign(Buffer.from(authenticationMessage(PKH, BLOCK)).toString('hex'))).prefixSig;
  measure(`authentication (${curve})`, curve === 'ed25519' ? 5000 : 1000, () => {
    if (auth.check(PKH, BLOCK, sig) !== 'ok') throw new Error('auth failed');
  });
}

const logger = createLogger({ dest: '/dev/null' });
const entry = sampleAuditEntry(PKH, BLOCK);
measure('audit line (async pino)', 50_000, () => audit(logger, entry));
measure('audit line + payload hex', 50_000, () => audit(logger, entry, true));
await closeLogger(logger);

const metrics = new SignerMetrics({}, { defaultMetrics: false });
measure('metrics (counter+histogram)', 200_000, () => metrics.request(PKH, 'block', 'signed', 0.00021));
const head = {
  level: 1000,
  chainId: 'NetXdQprcVkpaWU',
  reachable: true,
  source: 'stream' as const,
  lastContact: Date.now(),
  lastError: null,
};
const policy = { maxLevelAhead: 2, maxLevelBehind: 3, failOpen: false };
measure('chain-head check', 1_000_000, () =>
  checkHead(policy, head, { chainId: 'NetXdQprcVkpaWU', level: 1001 }),
);
