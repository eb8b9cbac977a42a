// What the load generator is asked to do and what it answers (bench/load/generator.ts, run-load.ts).

export interface LoadSpec {
  /** Base URL of the server under test, e.g. http://127.0.0.1:6732 */
  url: string;
  pkh: string;
  clients: number;
  seconds: number;
  warmupSeconds: number;
  /** Watermark slots each client cycles through (a distinct chain id per slot). */
  slotsPerClient: number;
  /** First chain id of this run; runs against one server use disjoint ranges. */
  chainBase: number;
  levelBase: number;
}

export interface LatencySummary {
  requests: number;
  rate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

export interface LoadResult extends LatencySummary {
  errors: number;
  firstError: string | null;
  /** The generator's own CPU (all its threads) per counted request, µs: its share of the machine. */
  clientCpuUsPerRequest: number;
  /** One answered request, so the caller can verify the signature. */
  sample: { body: string; response: string } | null;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))]!;
}

export function summarise(latenciesMs: number[], seconds: number): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(3));
  return {
    requests: sorted.length,
    rate: Math.round(sorted.length / seconds),
    p50Ms: round(percentile(sorted, 0.5)),
    p90Ms: round(percentile(sorted, 0.9)),
    p99Ms: round(percentile(sorted, 0.99)),
  };
}
