// Prometheus metrics of the signer, served on the utility listener's /metrics. One registry per
// instance (not prom-client's global one) so tests and several servers in one process do not collide.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HeadState } from '../chain/head-monitor.js';
import type { PoolStats } from '../hsm/types.js';

/** 50 µs … 1 s: from a local software token's sign through a network HSM's to a stalled one's. */
export const LATENCY_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];

/** What a signing request ended as, for the requests counter. */
export type Outcome =
  | 'signed'
  | 'repeat'
  | 'watermark_refused'
  | 'policy_refused'
  | 'auth_missing'
  | 'auth_invalid'
  | 'head_refused'
  | 'bad_request'
  | 'unknown_key'
  | 'unavailable'
  /** The client closed the connection before its request was read: nothing to answer. */
  | 'aborted'
  | 'error';

export interface MetricsSources {
  /** The HSM session pool, sampled at scrape time. */
  poolStats?: () => PoolStats;
  /** The chain-head monitor, sampled at scrape time. */
  head?: () => HeadState;
  /** Why the watermark store's durability is weakened (null when it is not), sampled at scrape time. */
  durability?: () => string | null;
}

export class SignerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'pkh' | 'kind' | 'outcome'>;
  private readonly signLatency: Histogram<'curve'>;
  private readonly requestLatency: Histogram<'kind' | 'outcome'>;
  private readonly hsmErrors: Counter<'code'>;
  private readonly watermarkRefusals: Counter<'pkh' | 'kind'>;
  private readonly storeSync: Histogram<'backend'>;

  constructor(sources: MetricsSources = {}, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'tezos_signer_requests_total',
      help: 'Signing requests by key, request kind and outcome',
      labelNames: ['pkh', 'kind', 'outcome'],
      registers,
    });
    this.requestLatency = new Histogram({
      name: 'tezos_signer_request_duration_seconds',
      help: 'Time from request received to answer, by kind and outcome',
      labelNames: ['kind', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.signLatency = new Histogram({
      name: 'tezos_signer_hsm_sign_duration_seconds',
      help: 'HSM signing time (queue wait included), by curve',
      labelNames: ['curve'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.hsmErrors = new Counter({
      name: 'tezos_signer_hsm_errors_total',
      help: 'PKCS#11 errors by CKR code name',
      labelNames: ['code'],
      registers,
    });
    this.watermarkRefusals = new Counter({
      name: 'tezos_signer_watermark_refusals_total',
      help: 'Requests refused by the high watermark',
      labelNames: ['pkh', 'kind'],
      registers,
    });
    this.storeSync = new Histogram({
      name: 'tezos_signer_watermark_sync_duration_seconds',
      help: 'Time to persist a watermark durably',
      labelNames: ['backend'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const pool = sources.poolStats;
    if (pool) {
      new Gauge({
        name: 'tezos_signer_hsm_sessions',
        help: 'HSM worker sessions by state',
        labelNames: ['state'],
        registers,
        collect() {
          const s = pool();
          this.set({ state: 'busy' }, s.busy);
          this.set({ state: 'idle' }, s.idle);
          this.set({ state: 'total' }, s.sessions);
        },
      });
      new Gauge({
        name: 'tezos_signer_hsm_queue_length',
        help: 'Sign jobs waiting for a session',
        registers,
        collect() {
          this.set(pool().queued);
        },
      });
      new Gauge({
        name: 'tezos_signer_hsm_unavailable',
        help: '1 while the HSM is in an outage (requests refused with 503 until a probe finds the token)',
        registers,
        collect() {
          this.set(pool().unavailable ? 1 : 0);
        },
      });
      new Gauge({
        name: 'tezos_signer_hsm_sessions_set_aside',
        help: 'HSM sessions still stuck in a call that outlived its deadline',
        registers,
        collect() {
          this.set(pool().setAside);
        },
      });
      // Cumulative counts kept by the pool, mirrored at scrape time.
      const mirrored: Array<[string, string, (s: PoolStats) => number]> = [
        [
          'tezos_signer_hsm_outages_total',
          'HSM outages since start (the token found unavailable after recovery in place failed)',
          (s) => s.outages,
        ],
        [
          'tezos_signer_hsm_sessions_recycled_total',
          'HSM sessions closed and reopened after an error',
          (s) => s.recycled,
        ],
        [
          'tezos_signer_hsm_timeouts_total',
          'HSM jobs answered 503 because the token did not answer in time',
          (s) => s.timeouts,
        ],
        [
          'tezos_signer_hsm_queue_full_total',
          'HSM jobs refused 503 at once because the queue was full',
          (s) => s.queueFull,
        ],
        [
          'tezos_signer_hsm_sessions_replaced_total',
          'HSM sessions stuck past a deadline, replaced by a fresh session and thread',
          (s) => s.replaced,
        ],
        [
          'tezos_signer_hsm_signs_ahead_total',
          'HSM signatures whose C_SignInit an idle session had run ahead (hsm.sign_ahead)',
          (s) => s.signsAhead,
        ],
        [
          'tezos_signer_hsm_verify_table_checks_total',
          'HSM signatures checked through a P-256 table of multiples of their key (hsm verifyTables)',
          (s) => s.verifyTableChecks,
        ],
      ];
      for (const [name, help, read] of mirrored) {
        new Counter({
          name,
          help,
          registers,
          collect() {
            this.reset();
            this.inc(read(pool()));
          },
        });
      }
    }
    const durability = sources.durability;
    if (durability) {
      new Gauge({
        name: 'tezos_signer_watermark_durability_degraded',
        help: '1 when a failover of the watermark database could lose acknowledged marks (no synchronous standby), else 0',
        registers,
        collect() {
          this.set(durability() ? 1 : 0);
        },
      });
    }
    const head = sources.head;
    if (head) {
      new Gauge({
        name: 'tezos_signer_chain_head_level',
        help: 'Last head level seen from the node (-1 when unknown)',
        registers,
        collect() {
          this.set(head().level ?? -1);
        },
      });
      new Gauge({
        name: 'tezos_signer_node_reachable',
        help: '1 when the node answered recently, else 0',
        registers,
        collect() {
          this.set(head().reachable ? 1 : 0);
        },
      });
    }
  }

  request(pkh: string, kind: string, outcome: Outcome, seconds: number): void {
    this.requests.inc({ pkh, kind, outcome });
    this.requestLatency.observe({ kind, outcome }, seconds);
    if (outcome === 'watermark_refused') this.watermarkRefusals.inc({ pkh, kind });
  }

  hsmSign(curve: string, seconds: number): void {
    this.signLatency.observe({ curve }, seconds);
  }

  hsmError(code: string): void {
    this.hsmErrors.inc({ code });
  }

  storeSyncLatency(backend: string, seconds: number): void {
    this.storeSync.observe({ backend }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
