// Reading `hsm check --json` reports in tests.

/** Mechanism name → offered with the flags the signer needs, from a report's `mechanisms`. */
export function offered(report: {
  mechanisms: { name: string; offered: boolean }[];
}): Record<string, boolean> {
  return Object.fromEntries(report.mechanisms.map((m) => [m.name, m.offered]));
}
