// The end-to-end tests of the operations features (auth, TLS, metrics, chain head): a dev SoftHSM2 token
// (devToken), a config built from the dev one plus extra YAML, and `serve` started by signer-process.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devToken } from './dev-signer.js';
import { type SignerProcess, SOURCES, type StartOptions, startSigner } from './signer-process.js';

export interface OpsToken {
  dir: string;
  pkhs: Record<'tz1' | 'tz2' | 'tz3', string>;
  /** The dev config's hsm section (token, PIN file, SOFTHSM2_CONF), to reuse in variants. */
  hsmYaml: string;
}

export async function opsToken(): Promise<OpsToken> {
  const t = await devToken();
  const text = readFileSync(t.config, 'utf8');
  const hsmYaml = /^hsm:\n(?: {2}.*\n)+/m.exec(text)![0];
  return { dir: t.dir, pkhs: t.pkhs, hsmYaml };
}

/** Writes DIR/NAME with a server section listening on free ports, the dev hsm section, and `extra`. */
export function opsConfig(t: OpsToken, name: string, server: string, extra = ''): string {
  const file = join(t.dir, name);
  writeFileSync(
    file,
    `server:\n  address: 127.0.0.1:0\n${server}${t.hsmYaml}watermark:\n  backend: file\n  dir: ./wm-${name}\n${extra}`,
  );
  return file;
}

/** A signer process of the operations tests: the same child process as every other. */
export type OpsSigner = SignerProcess;
export type { StartOptions };

export function startOpsSigner(
  config: string,
  env: NodeJS.ProcessEnv = {},
  opts: StartOptions = {},
): Promise<OpsSigner> {
  return startSigner(config, env, SOURCES, opts);
}
