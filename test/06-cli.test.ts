// The CLI as users run it (child processes): dev-hsm init twice, keys list, serve and SIGTERM, errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { postSign } from './helpers/http.js';
import { runCli, startSigner } from './helpers/signer-process.js';
import { consensus } from './helpers/tezos-vectors.js';

const PKH = /\b(tz[123][1-9A-HJ-NP-Za-km-z]{33})\b/g;
let dir: string;
let config: string;
let pkhs: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signer-cli-'));
  const r = await runCli(['dev-hsm', 'init', '--dir', dir]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  pkhs = [...new Set(r.stdout.match(PKH))];
  config = join(dir, 'signer.yaml');
});

describe('CLI', () => {
  it('dev-hsm init made one tz1, tz2 and tz3 key; a second run reuses token and keys', async () => {
    expect(pkhs.map((p) => p.slice(0, 3)).sort()).toEqual(['tz1', 'tz2', 'tz3']);
    expect(readFileSync(join(dir, 'env'), 'utf8')).toMatch(/^export SOFTHSM2_CONF=.*softhsm2\.conf\n$/);
    const again = await runCli(['dev-hsm', 'init', '--dir', dir]);
    expect(again.code).toBe(0);
    expect([...new Set(again.stdout.match(PKH))].sort()).toEqual([...pkhs].sort());
  });

  it('keys list, as text and as JSON', async () => {
    const text = await runCli(['keys', 'list', '--config', config]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines)
      expect(line).toMatch(
        /^tz[123]\S+ +(ed25519|secp256k1|p256) +(edpk|sppk|p2pk)\S+ +label=dev-tz[123] id=0[123]$/,
      );
    const json = await runCli(['keys', 'list', '--config', config, '--json']);
    expect(json.code).toBe(0);
    const keys = JSON.parse(json.stdout) as Array<Record<string, string>>;
    expect(keys.map((k) => k.pkh!).sort()).toEqual([...pkhs].sort());
    const tz2 = keys.find((k) => k.pkh!.startsWith('tz2'))!;
    expect(tz2).toEqual({
      pkh: tz2.pkh,
      public_key: expect.stringMatching(/^sppk/),
      curve: 'secp256k1',
      label: 'dev-tz2',
      id: '02',
    });
  });

  it('serve: ready when /authorized_keys answers; SIGTERM finishes in-flight requests and exits 0', async () => {
    const file = join(dir, 'serve.yaml');
    writeFileSync(file, readFileSync(config, 'utf8').replace('127.0.0.1:6732', '127.0.0.1:0'));
    const server = await startSigner(file);
    const ready = await fetch(`${server.url}/authorized_keys`);
    expect(ready.status).toBe(200);
    const tz3 = pkhs.find((p) => p.startsWith('tz3'))!;
    const inflight = Array.from({ length: 20 }, (_, i) =>
      postSign(server.url, tz3, consensus(0x13, 21, 100 + i, 0)).then(
        (r) => r.status,
        () => 'refused',
      ),
    );
    await new Promise((r) => setTimeout(r, 20));
    server.proc.kill('SIGTERM');
    const statuses = await Promise.all(inflight);
    expect(await server.exited).toBe(0);
    // Every request the server accepted was answered (200 or a watermark 409 between concurrent levels).
    for (const s of statuses) expect([200, 409, 'refused']).toContain(s);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(server.stderr()).toMatch(/SIGTERM: finishing in-flight requests/);
  });

  it('configuration and usage errors: exit code and a message naming file and path', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(config, 'utf8').replace('token_label:', 'tokn_label:'));
    const r = await runCli(['serve', '--config', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml: hsm\.tokn_label: unknown key/);
    const noPin = join(dir, 'nopin.yaml');
    writeFileSync(
      noPin,
      readFileSync(config, 'utf8').replace('pin_file: ./hsm-pin', 'pin_env: NO_SUCH_PIN_VAR'),
    );
    const p = await runCli(['keys', 'list', '--config', noPin]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/nopin\.yaml: hsm\.pin_env: environment variable NO_SUCH_PIN_VAR is not set/);
    expect((await runCli(['serve'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['keys', 'list', '--config', config, '--pin', '1234'])).code).toBe(2);
  });
});
