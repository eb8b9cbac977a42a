// pkcs11js is installed with --ignore-scripts, so its native part may be missing. Compile it the way its
// binding.gyp does (three sources, NAPI_DISABLE_CPP_EXCEPTIONS), against the node-api-headers package,
// so nothing is downloaded (node-gyp would fetch Node's headers from the network).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

export async function ensurePkcs11js(): Promise<void> {
  const dir = dirname(require.resolve('pkcs11js/package.json'));
  const out = join(dir, 'build', 'Release', 'pkcs11.node');
  if (existsSync(out)) return;
  const headers = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
  mkdirSync(dirname(out), { recursive: true });
  await run('g++', [
    '-shared',
    '-fPIC',
    '-O2',
    '-std=c++17',
    '-DNAPI_DISABLE_CPP_EXCEPTIONS',
    '-I',
    join(dir, 'includes'),
    '-I',
    headers,
    ...['dl.cpp', 'common.cpp', 'main.cpp'].map((f) => join(dir, 'src', f)),
    '-o',
    out,
    '-ldl',
  ]);
}
