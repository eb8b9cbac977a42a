import { configDefaults, defineConfig } from 'vitest/config';

// `unit`: pure code and the built addon's decoders; no SoftHSM2 token, no PostgreSQL, no child process,
// nothing mounted (`npx vitest run --project unit` runs on a machine with Node alone). `integration`:
// everything else (real tokens, servers as child processes, PostgreSQL, faults). A plain `vitest run`
// runs both.
const UNIT = [
  'test/01-hsm-ec-point.test.ts',
  'test/02-tezos-*.test.ts',
  'test/03-watermark-file.test.ts',
  'test/03-watermark-log-format.test.ts',
  'test/03-watermark-rule.test.ts',
  'test/04-signer-config.test.ts',
  'test/04-signer-policy.test.ts',
  'test/04-signer-verifier.test.ts',
  'test/08-auth-verify.test.ts',
  'test/09-chain-head-monitor.test.ts',
  'test/10-utility-metrics-log.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn HSM tokens, servers and PostgreSQL: two cores, so keep file parallelism modest.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    coverage: { provider: 'v8', include: ['src/**'], reporter: ['text-summary', 'html'] },
    // include/exclude live in each project only: a project's arrays are appended to the root's.
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // The arm64 prebuild under qemu is its own target (make test-arm64, which sets ARM64_ROOT):
          // slow under emulation, so make test leaves it out.
          exclude: [
            ...configDefaults.exclude,
            ...UNIT,
            ...(process.env.ARM64_ROOT ? [] : ['test/15-package-arm64.test.ts']),
          ],
        },
      },
    ],
  },
});
