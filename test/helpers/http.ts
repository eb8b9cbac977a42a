// The one way the tests ask for a signature: POST of the hex bytes as a JSON string to /keys/<pkh>, as
// octez-client and octez-baker send it. In-process through the Hono app (`requestSign`) or over the
// network to a running signer (`postSign`).

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, checked field by field by the callers
export type Json = any;

export interface SignAnswer {
  status: number;
  retryAfter: string | null;
  body: Json;
}

function signInit(hex: string): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hex) };
}

/** In-process: the raw Response of the app (headers and body left to the caller). */
export function requestSign(
  app: { request(path: string, init: RequestInit): Response | Promise<Response> },
  pkh: string,
  hex: string,
  query = '',
): Promise<Response> {
  return Promise.resolve(app.request(`/keys/${pkh}${query}`, signInit(hex)));
}

/** Over the network to `url` (http://host:port): status, Retry-After and the parsed JSON body. */
export async function postSign(url: string, pkh: string, hex: string, query = ''): Promise<SignAnswer> {
  const res = await fetch(`${url}/keys/${pkh}${query}`, signInit(hex));
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}
