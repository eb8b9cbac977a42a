import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The arm64 prebuild under qemu is its own target (make test-arm64, which sets ARM64_ROOT): slow
    // under emulation, so make test leaves it out.
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.ARM64_ROOT ? [] : ['test/15-package-arm64.test.ts']),
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn HSM tokens, servers and PostgreSQL: two cores, so keep file parallelism modest.
    fileParallelism: true,
    maxWorkers: 2,
    pool: 'forks',
    coverage: { provider: 'v8', include: ['src/**'], reporter: ['text-summary', 'html'] },
  },
});
