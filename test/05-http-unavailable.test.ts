// 503 paths over a real token: a signature that fails verification (fault injected on the real HSM's
// output), a closed HSM pool, a closed watermark store. Never a signature, and the watermark is untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHsm } from '../src/cli/open-hsm.js';
import { loadConfig } from '../src/config/load.js';
import type { Hsm } from '../src/hsm/hsm.js';
import type { HsmKey } from '../src/hsm/types.js';
import { Policy } from '../src/policy/policy.js';
import { createApp } from '../src/server/app.js';
import { errorBody } from '../src/server/errors.js';
import { Signer } from '../src/signer/signer.js';
import { MemoryStore } from '../src/watermark/memory-store.js';
import { devToken } from './helpers/dev-signer.js';
import { requestSign } from './helpers/http.js';
import { consensus } from './helpers/tezos-vectors.js';

let hsm: Hsm;
let pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
let configFile: string;

beforeAll(async () => {
  const t = await devToken();
  pkhs = t.pkhs;
  configFile = t.config;
  hsm = await openHsm(await loadConfig(t.config));
});
afterAll(async () => {
  await hsm?.close();
});

describe('unavailable HSM or store: 503 with Retry-After, no signature', () => {
  it('a signature that does not verify is never sent, and the height stays free', async () => {
    let corrupt = true;
    // The real HSM signs; the fault is injected on its answer, as a faulty device would return it.
    const faulty = {
      keys: () => hsm.keys(),
      sign: async (key: HsmKey, data: Uint8Array) => {
        const sig = await hsm.sign(key, data);
        if (corrupt) sig[5]! ^= 0x01;
        return sig;
      },
    };
    const store = new MemoryStore();
    const app = createApp(await Signer.create(faulty, store, new Policy(null)), {
      knownKeys: false,
      maxBodyBytes: 4096,
    });
    for (const pkh of Object.values(pkhs)) {
      const att = consensus(0x13, 21, 10, 0);
      const r = await requestSign(app, pkh, att);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toEqual(
        errorBody(`the HSM returned a signature that does not verify under ${pkh}`),
      );
      corrupt = false;
      expect((await requestSign(app, pkh, att)).status).toBe(200);
      corrupt = true;
    }
  });

  it('a closed watermark store: 503 with Retry-After', async () => {
    const store = new MemoryStore();
    const app = createApp(await Signer.create(hsm, store, new Policy(null)), {
      knownKeys: false,
      maxBodyBytes: 4096,
    });
    await store.close();
    const r = await requestSign(app, pkhs.tz3, consensus(0x12, 20, 10, 0));
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).not.toBeNull();
    const body = (await r.json()) as Array<{ msg: string }>;
    expect(body[0]!.msg).toMatch(/^watermark store unavailable: /);
  });

  it('a closed HSM pool: 503', async () => {
    const own = await openHsm(await loadConfig(configFile));
    const app = createApp(await Signer.create(own, new MemoryStore(), new Policy(null)), {
      knownKeys: false,
      maxBodyBytes: 4096,
    });
    await own.close();
    const r = await requestSign(app, pkhs.tz1, consensus(0x13, 21, 10, 0));
    expect(r.status).toBe(503);
    expect(((await r.json()) as Array<{ msg: string }>)[0]!.msg).toMatch(
      /^HSM unavailable: the HSM is closed/,
    );
  });
});
