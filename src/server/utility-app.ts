// The utility listener (issue #5), a separate Hono app on server.utility_address so probes and scrapes
// never queue behind signing traffic and are never exposed with the signing API:
//   /healthz  the process answers;  /readyz  dependencies answer (503 with reasons otherwise);
//   /metrics  Prometheus text.

import { Hono } from 'hono';
import type { SignerMetrics } from '../metrics/signer-metrics.js';
import { checkReadiness, type ReadinessCheck } from './readiness.js';

export function createUtilityApp(deps: { metrics: SignerMetrics; checks: readonly ReadinessCheck[] }): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'alive' }));
  app.get('/readyz', async (c) => {
    const report = await checkReadiness(deps.checks);
    return c.json(
      {
        status: report.ready ? 'ready' : 'not ready',
        checks: report.checks,
        ...(report.warnings ? { warnings: report.warnings } : {}),
      },
      report.ready ? 200 : 503,
    );
  });
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.text();
    return c.body(body, 200, { 'content-type': deps.metrics.contentType });
  });
  app.notFound((c) => c.json({ error: 'not found' }, 404));
  return app;
}
