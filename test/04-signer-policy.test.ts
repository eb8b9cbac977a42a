import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.js';
import { PolicyError } from '../src/policy/errors.js';
import { Policy } from '../src/policy/policy.js';
import type { SignRequest } from '../src/tezos/request.js';

const PKH = 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb';
const OTHER = 'tz3bvNMQ95vfAYtG8193ymshqjSvmxiCUuR5';
const MAINNET = 'NetXdQprcVkpaWU';

function policy(tezos: string | null): Policy {
  const base = 'hsm:\n  vendor: softhsm2\n  token_label: t\nwatermark:\n  backend: memory\n';
  return new Policy(parseConfig(tezos === null ? base : `${base}tezos:\n${tezos}`, 's.yaml').tezos);
}

const block = { magic: 0x11, kind: 'block', chainId: MAINNET, level: 5, round: 0 } as unknown as SignRequest;
const attest = (chainId = MAINNET) =>
  ({ magic: 0x13, kind: 'attestation', tag: 23, chainId, level: 5, round: 0 }) as unknown as SignRequest;
const preattest = {
  magic: 0x12,
  kind: 'preattestation',
  tag: 20,
  chainId: MAINNET,
} as unknown as SignRequest;
const generic = (...kinds: string[]) =>
  ({
    magic: 0x03,
    kind: 'generic',
    branch: 'B',
    operations: kinds.map((kind) => ({ kind, tag: 0, source: null })),
  }) as SignRequest;
const michelson = { magic: 0x05, kind: 'michelson', data: new Uint8Array([5, 0, 1]) } as SignRequest;
const legacy = { magic: 0x01, kind: 'legacy_block', chainId: MAINNET, level: 5 } as SignRequest;

function refusal(p: Policy, pkh: string, req: SignRequest): string {
  try {
    p.check(pkh, req);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('policy', () => {
  it('without a tezos section: every key gets the consensus policy and nothing else', () => {
    const p = policy(null);
    for (const req of [block, attest(), preattest]) expect(() => p.check(PKH, req)).not.toThrow();
    expect(refusal(p, PKH, generic('transaction'))).toMatch(
      /generic operation kind transaction is not allowed/,
    );
    expect(refusal(p, PKH, michelson)).toMatch(/Michelson data \(0x05\) is not allowed/);
  });

  it('with a tezos section: unlisted keys refused, kinds and chains as listed', () => {
    const p = policy(
      `  ${PKH}:\n    allow:\n      block:\n      attestation:\n      generic: [transaction]\n      michelson:\n    chains: [${MAINNET}]\n`,
    );
    expect(refusal(p, OTHER, block)).toBe(`refused: key ${OTHER} is not listed in the tezos section`);
    expect(p.of(OTHER)).toBeNull();
    p.check(PKH, block);
    p.check(PKH, attest());
    p.check(PKH, generic('transaction', 'transaction'));
    p.check(PKH, michelson);
    expect(refusal(p, PKH, preattest)).toBe(`refused: preattestation is not allowed for ${PKH}`);
    expect(refusal(p, PKH, attest('NetXnHfVqm9iesp'))).toMatch(
      /attestation on chain NetXnHfVqm9iesp is not allowed/,
    );
    expect(refusal(p, PKH, generic('transaction', 'delegation'))).toMatch(/kind delegation is not allowed/);
    expect(refusal(p, PKH, generic())).toMatch(/no content/);
  });

  it('never signs legacy requests or authentication messages', () => {
    const p = policy(`  ${PKH}:\n    allow: {block: , attestation: , preattestation: , michelson: }\n`);
    expect(refusal(p, PKH, legacy)).toMatch(/legacy block \(magic byte 0x01\) is never signed/);
    expect(() => p.checkBytes(new Uint8Array([4, 1, 0]))).toThrow(
      /0x04 \(authentication message\) is never signed/,
    );
    expect(() => p.checkBytes(new Uint8Array([0x11]))).not.toThrow();
  });
});
