#!/usr/bin/env node
// npm's install step. The addon ships prebuilt for linux-x64 and linux-arm64 (glibc) in prebuilds/,
// loaded by node-gyp-build: when one loads on this machine nothing is built and no compiler is needed.
// Otherwise (another platform, musl, a glibc older than the prebuild needs, or
// `npm install --build-from-source`) the addon is built from native/ with cmake-js, which the operator
// installs next to the package with a C++17 compiler, cmake and make (docs/install.md), and libsecp256k1's
// sources from the secp256k1 npm package (the version of our devDependencies); without them the install
// stops and says so, rather than leaving a signer that cannot start.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** null when an addon (prebuild, or an earlier build/) loads here, else why not. */
function loadFailure() {
  if (process.env.npm_config_build_from_source === 'true') return 'a build from source was requested';
  try {
    const load = require('node-gyp-build');
    load(root);
    console.log(`tezos-hsm-signer: addon ${path.relative(root, load.resolve(root))} loads`);
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0];
  }
}

function resolves(id) {
  try {
    return require.resolve(id, { paths: [root] });
  } catch {
    return null;
  }
}

const failure = loadFailure();
if (failure === null) process.exit(0);
const cli = resolves('cmake-js/bin/cmake-js');
if (cli === null || resolves('secp256k1/package.json') === null) {
  const secp256k1 = `secp256k1@${require('../package.json').devDependencies.secp256k1}`;
  console.error(
    `tezos-hsm-signer: no prebuilt addon loads on ${process.platform}-${process.arch}: ${failure}\n` +
      'Build it from source: install cmake, make and a C and C++17 compiler (Debian: apt-get install cmake g++),\n' +
      `then install cmake-js and ${secp256k1} (libsecp256k1's sources) next to the package, e.g.\n` +
      `\`npm install cmake-js ${secp256k1} ./tezos-hsm-signer-<version>.tgz\` (docs/install.md, "From source").`,
  );
  process.exit(1);
}
console.error(`tezos-hsm-signer: ${failure}; building the addon from source with cmake-js`);
const build = spawnSync(process.execPath, [cli, 'compile', '--out', 'build'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(build.status ?? 1);
