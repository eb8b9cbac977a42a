// The HTTP floor: the same routes on Hono + @hono/node-server, reading the body and answering a constant,
// with no decoding, no watermark, no HSM. Usage: node --import tsx bench/load/empty-server.ts
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const SIGNATURE = { signature: `p2sig${'1'.repeat(93)}` };
const app = new Hono();
app.get('/authorized_keys', (c) => c.json({}));
app.post('/keys/:pkh', async (c) => {
  await c.req.text();
  return c.json(SIGNATURE);
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  process.stdout.write(`listening on http://127.0.0.1:${info.port} keys: tz3empty\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
