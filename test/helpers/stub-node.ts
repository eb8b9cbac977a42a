// A stub Tezos node RPC for chain-head tests: the three routes the head monitor uses, with a chunked
// /monitor/heads/main stream the test writes heads into.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STUB_CHAIN = 'NetXdQprcVkpaWU';

export interface StubNode {
  url: string;
  server: Server;
  /** Open stream responses, to write heads into. */
  streams: ServerResponse[];
  headLevel: number;
  streamEnabled: boolean;
  headerEnabled: boolean;
  hits: string[];
  /** Writes a head to every open stream and makes it the polled head too. */
  push(level: number): void;
  close(): Promise<void>;
}

export const headJson = (level: number) => JSON.stringify({ hash: 'BLx', level, proto: 22, fitness: ['02'] });

export async function stubNode(port = 0): Promise<StubNode> {
  const node: Partial<StubNode> = {
    streams: [],
    headLevel: 100,
    streamEnabled: true,
    headerEnabled: true,
    hits: [],
  };
  const server = createServer((req, res) => {
    node.hits!.push(req.url ?? '');
    if (req.url === '/chains/main/chain_id') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(STUB_CHAIN));
    } else if (req.url === '/chains/main/blocks/head/header' && node.headerEnabled) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ chain_id: STUB_CHAIN, hash: 'BLx', level: node.headLevel, proto: 22 }));
    } else if (req.url === '/monitor/heads/main' && node.streamEnabled) {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.flushHeaders();
      node.streams!.push(res);
    } else {
      res.statusCode = 404;
      res.end('Not found');
    }
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  node.server = server;
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  node.push = (level: number) => {
    node.headLevel = level;
    for (const s of node.streams!) if (!s.writableEnded) s.write(`${headJson(level)}\n`);
  };
  node.close = async () => {
    for (const s of node.streams!) s.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return node as StubNode;
}
