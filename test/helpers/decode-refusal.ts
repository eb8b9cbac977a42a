// The DecodeError a request must be refused with (fails the test when it decodes or throws anything else).
import { expect } from 'vitest';
import { DecodeError, decodeRequest } from '../../src/tezos/request.js';
import { bytes } from './tezos-vectors.js';

export function refusal(h: string | Uint8Array): DecodeError {
  try {
    decodeRequest(typeof h === 'string' ? bytes(h) : h);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}
