#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist/cli by `make build`).
//
// `serve` re-executes itself once (same process, process.execve) with V8's young generation capped at 4 MB
// semi-spaces: under load V8 grows them to its default maximum, which was most of the peak RSS growth, while
// the smaller ones left throughput and latency unchanged (figures: docs/operations.md, "Performance notes").
// The cap is V8 heap configuration, fixed before any script runs, hence the re-exec. An operator's own
// --max-semi-space-size (command line or NODE_OPTIONS) wins; Node without process.execve (< 22.15) runs with
// V8's default.
const SEMI_SPACE = '--max-semi-space-size';
if (
  process.argv[2] === 'serve' &&
  typeof process.execve === 'function' &&
  !process.execArgv.some((a) => a.startsWith(SEMI_SPACE)) &&
  !(process.env.NODE_OPTIONS ?? '').includes(SEMI_SPACE)
) {
  process.execve(
    process.execPath,
    [process.execPath, `${SEMI_SPACE}=4`, ...process.execArgv, ...process.argv.slice(1)],
    process.env,
  );
}

const { main } = await import('../dist/cli/main.js');
main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
