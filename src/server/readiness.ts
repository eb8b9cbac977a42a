// Readiness for /readyz (issue #5): every dependency a signature needs, checked now, with a time limit so
// a hung HSM or database answers "not ready" instead of hanging the probe.

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; rejects (or throws) with the reason otherwise. */
  run(): Promise<void> | void;
  /** Read after a successful run: something weakened that does not stop service (shown, not refused). */
  warning?(): string | null;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
  /** Per check, what is weakened although ready; absent when nothing is. */
  warnings?: Record<string, string>;
}

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2_000,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c): Promise<[string, string, string | null]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([Promise.resolve().then(() => c.run()), timeout]);
        return [c.name, 'ok', c.warning?.() ?? null];
      } catch (err) {
        return [c.name, err instanceof Error ? err.message : String(err), null];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const warnings = results.flatMap(([name, , w]) => (w ? [[name, w]] : []));
  return {
    ready: results.every(([, r]) => r === 'ok'),
    checks: Object.fromEntries(results.map(([name, r]) => [name, r])),
    ...(warnings.length > 0 ? { warnings: Object.fromEntries(warnings) } : {}),
  };
}

/**
 * The standard checks: HSM round trip, watermark store writable, node head when failing closed, and
 * (given `keys`) at least one key the token can sign with.
 */
export function standardChecks(deps: {
  hsm: { ping(): Promise<void> };
  store: { check(): Promise<void>; durabilityWarning?(): string | null };
  head?: { state(): { reachable: boolean; lastError: string | null }; failOpen: boolean } | null;
  keys?: {
    keys: ReadonlyMap<string, unknown>;
    unsignable: ReadonlyMap<string, { pkh: string; mechanism: string }>;
  };
}): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [
    { name: 'hsm', run: () => deps.hsm.ping() },
    {
      name: 'watermark',
      run: () => deps.store.check(),
      warning: () => deps.store.durabilityWarning?.() ?? null,
    },
  ];
  const keys = deps.keys;
  if (keys) {
    checks.push({
      name: 'keys',
      run() {
        if (keys.keys.size > 0) return;
        const why = [...keys.unsignable.values()].map((k) => `${k.pkh} needs ${k.mechanism}`);
        throw new Error(`no key the token can sign with${why.length > 0 ? ` (${why.join(', ')})` : ''}`);
      },
    });
  }
  const head = deps.head;
  if (head) {
    checks.push({
      name: 'node',
      run() {
        const st = head.state();
        // Fail-open deployments sign without the node, so an unreachable node does not make them unready.
        if (!st.reachable && !head.failOpen)
          throw new Error(`node unreachable${st.lastError ? `: ${st.lastError}` : ''}`);
      },
    });
  }
  return checks;
}
