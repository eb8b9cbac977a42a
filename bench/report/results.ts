// The shape of one `npm run bench` run (written to bench/results/latest.json).
import type { HsmBenchRow } from '../hsm.js';
import type { HandOverRow, RemoteRow } from '../remote-hsm.js';

export interface HttpRow {
  server: 'empty-hono' | 'baseline-pkcs11js' | 'tezos-hsm-signer';
  curve: 'p256' | 'ed25519' | '-';
  /**
   * Every store runs with the defaults, hsm.sign_ahead on (C_SignInit run ahead on idle sessions);
   * 'file-sign_ahead_off': the file watermark with `sign_ahead: false`.
   */
  store: 'memory' | 'file' | 'file-sign_ahead_off' | 'postgres' | 'postgres-2hosts' | '-';
  clients: number;
  rate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

export interface ServerRow {
  server: HttpRow['server'];
  curve: HttpRow['curve'];
  store: HttpRow['store'];
  startupMs: number;
  peakRssMb: number;
}

export interface GrowthRow {
  /** What varies: keys on the token, or watermark slots the client cycles through. */
  axis: 'keys' | 'slots';
  count: number;
  startupMs: number | null;
  p50Ms: number;
  rate1: number;
  rate8: number | null;
  peakRssMb: number;
}

export interface Target {
  issue: string;
  target: string;
  measured: string;
  pass: boolean;
}

export interface BenchResults {
  date: string;
  machine: { node: string; cpus: number; cpuModel: string; seconds: number };
  hsm: HsmBenchRow[];
  fdatasyncP50Ms: number;
  http: HttpRow[];
  servers: ServerRow[];
  growth: GrowthRow[];
  /** bench/remote-hsm.ts: the token behind a per-call delay. */
  remote: RemoteRow[];
  handOver: HandOverRow[];
  targets: Target[];
}
