// Builds test/fixtures/fault-pkcs11.c with cc: a PKCS#11 library that forwards to SoftHSM2 and
// returns chosen CKR_ codes on chosen calls, to drive the pool's recovery paths.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Hsm, type HsmOptions } from '../../src/hsm/index.js';
import { SOFTHSM_LIBRARY, type TestToken } from './softhsm.js';

const run = promisify(execFile);
const SOURCE = new URL('../fixtures/fault-pkcs11.c', import.meta.url).pathname;

/**
 * 'C_GetSlotList:empty': the call succeeds with no slots (rv ignored), as if the token's server went away;
 * 'C_GetSlotList:huge': a size query answers ~0 slots (rv ignored), more than any caller can allocate.
 */
export type FaultFunction =
  | 'C_Sign'
  | 'C_SignInit'
  | 'C_Login'
  | 'C_OpenSession'
  | 'C_Initialize'
  | 'C_GetSlotList'
  | 'C_GetSlotList:empty'
  | 'C_GetSlotList:huge'
  | 'C_GetTokenInfo';

export interface FaultLibrary {
  library: string;
  /** Environment the wrapper reads at C_GetFunctionList (merge into process.env before opening). */
  env: Record<string, string>;
  /** The next `count` calls of `fn` return `rv` (e.g. 'C_Sign', 0x30). */
  inject(fn: FaultFunction, rv: number, count?: number): Promise<void>;
  /** Several faults armed at once (each as inject()); replaces what was armed. */
  injectAll(faults: ReadonlyArray<{ fn: FaultFunction; rv: number; count: number }>): Promise<void>;
  /** The next `count` successful C_Sign calls return a signature with one bit flipped. */
  corrupt(count: number): Promise<void>;
  /**
   * After `through` more C_Sign calls (or `fn` calls), the next `count` block (before reaching the token)
   * until release(): a token that stops answering mid-call, as behind a network partition.
   */
  hold(count: number, through?: number, fn?: 'C_Sign' | 'C_SignInit'): Promise<void>;
  /** Lets every held call go on to the token. */
  release(): Promise<void>;
  clear(): Promise<void>;
  /** Calls logged so far, e.g. count('C_Login'). */
  calls(fn: string): Promise<Array<{ rv: number }>>;
}

/** A sleep before each listed call (FAULT_PKCS11_DELAY_US / _FUNCS in the C source), fixed at load. */
export interface FaultDelay {
  us: number;
  /** Default C_SignInit and C_Sign. */
  funcs?: Array<'C_SignInit' | 'C_Sign' | 'C_Initialize'>;
}

/**
 * `modes`: vendor behaviours the wrapper imitates (FAULT_PKCS11_MODES in the C source), fixed at load;
 * `delay`: a per-call sleep, as a remote token's round trip.
 */
export async function buildFaultLibrary(
  dir: string,
  modes: string[] = [],
  delay?: FaultDelay,
): Promise<FaultLibrary> {
  const library = join(dir, 'libfault-pkcs11.so');
  try {
    await run('cc', ['-shared', '-fPIC', '-O2', '-o', library, SOURCE, '-ldl', '-lpthread']);
  } catch (err) {
    throw new Error(`cannot build the fault-injection PKCS#11 library with cc: ${(err as Error).message}`);
  }
  const control = join(dir, 'faults.txt');
  const log = join(dir, 'calls.log');
  const holdFile = join(dir, 'hold');
  await writeFile(control, '');
  await writeFile(log, '');
  return {
    library,
    env: {
      FAULT_PKCS11_TARGET: SOFTHSM_LIBRARY,
      FAULT_PKCS11_CONTROL: control,
      FAULT_PKCS11_LOG: log,
      FAULT_PKCS11_MODES: modes.join(','),
      FAULT_PKCS11_HOLD: holdFile,
      FAULT_PKCS11_DELAY_US: String(delay?.us ?? 0),
      FAULT_PKCS11_DELAY_FUNCS: (delay?.funcs ?? ['C_SignInit', 'C_Sign']).join(','),
    },
    async inject(fn, rv, count = 1) {
      await writeFile(control, `${fn} ${rv.toString(16)} ${count}\n`);
    },
    async injectAll(faults) {
      await writeFile(control, faults.map((f) => `${f.fn} ${f.rv.toString(16)} ${f.count}\n`).join(''));
    },
    async corrupt(count) {
      await writeFile(control, `C_Sign:corrupt 0 ${count}\n`);
    },
    async hold(count, through = 0, fn = 'C_Sign') {
      await writeFile(holdFile, '');
      await writeFile(control, `${fn}:through 0 ${through}\n${fn}:hold 0 ${count}\n`);
    },
    async release() {
      await rm(holdFile, { force: true });
    },
    async clear() {
      await writeFile(control, '');
    },
    async calls(fn) {
      const text = await readFile(log, 'utf8');
      return text
        .split('\n')
        .filter((l) => l.startsWith(`${fn} `))
        .map((l) => ({ rv: Number(l.split(' ')[1]) }));
    },
  };
}

/**
 * Builds the wrapper in `dir` (created if missing; one library per mode set, modes are read at load) and
 * opens `token` through it with one session unless `options` say otherwise (`delay`: buildFaultLibrary).
 */
export async function openThroughFault(
  token: TestToken,
  dir: string,
  modes: string[] = [],
  options: Partial<HsmOptions> = {},
  delay?: FaultDelay,
): Promise<{ hsm: Hsm; fault: FaultLibrary }> {
  await mkdir(dir, { recursive: true });
  const fault = await buildFaultLibrary(dir, modes, delay);
  Object.assign(process.env, token.env, fault.env);
  const hsm = await Hsm.open({
    library: fault.library,
    tokenLabel: token.tokenLabel,
    pin: token.pin,
    sessions: 1,
    ...options,
  });
  return { hsm, fault };
}
