// The load generator, run as its own process (never inside the server under test): C concurrent clients
// on keep-alive node:http connections, each on its own chain id(s) with rising levels, so every request
// is a fresh signature on a fresh watermark step. Bounded: one request in flight per client.
// Usage: node --import tsx bench/load/generator.ts '<LoadSpec JSON>'  → prints one LoadResult JSON line.
import { Agent, request } from 'node:http';
import { signBody } from './sign-body.js';
import { type LoadResult, type LoadSpec, summarise } from './spec.js';

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const url = new URL(`/keys/${spec.pkh}`, spec.url);
const agent = new Agent({ keepAlive: true, maxSockets: spec.clients });

function post(payload: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const latencies: number[] = [];
let errors = 0;
let firstError: string | null = null;
let sample: { body: string; response: string } | null = null;
const warmupEnd = performance.now() + spec.warmupSeconds * 1000;
const end = warmupEnd + spec.seconds * 1000;
// The generator's CPU is read over the counted window only, to give its share of the machine per request.
let cpuAtWarmupEnd: NodeJS.CpuUsage | undefined;
setTimeout(() => {
  cpuAtWarmupEnd = process.cpuUsage();
}, spec.warmupSeconds * 1000);

async function client(index: number): Promise<void> {
  const slots = spec.slotsPerClient;
  for (let k = 0; performance.now() < end; k++) {
    // Chain ids never repeat across clients or runs (chainBase); levels rise per chain.
    const chain = spec.chainBase + index * slots + (k % slots);
    const payload = signBody(chain, spec.levelBase + Math.floor(k / slots));
    const t0 = performance.now();
    let outcome: { status: number; text: string };
    try {
      outcome = await post(payload);
    } catch (err) {
      outcome = { status: 0, text: (err as Error).message };
    }
    const t1 = performance.now();
    if (outcome.status !== 200) {
      errors++;
      firstError ??= `${outcome.status} ${outcome.text}`;
    } else if (t0 >= warmupEnd) {
      latencies.push(t1 - t0);
      sample ??= { body: payload, response: outcome.text };
    }
  }
}

await Promise.all(Array.from({ length: spec.clients }, (_, i) => client(i)));
// Requests still in flight at `end` complete and count: the window closes at the last answer.
const elapsed = (performance.now() - warmupEnd) / 1000;
const cpu = process.cpuUsage(cpuAtWarmupEnd);
agent.destroy();
const result: LoadResult = {
  ...summarise(latencies, elapsed),
  errors,
  firstError,
  sample,
  clientCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, latencies.length)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
