import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runOnce } from '../../../bench/src/once-run.ts';
import type { ReqSpec } from '../../../bench/src/wrk.ts';

/** bench/src/once-run.ts: the driver of scenarios whose requests must not repeat (first renders). */

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server === null ? r() : server.close(() => r())));
  server = null;
});

async function serve(handler: (path: string, body: string, auth: string | undefined) => number): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(req.url ?? '');
      // Slow enough that several connections are busy at once.
      setTimeout(() => {
        res.statusCode = handler(req.url ?? '', body, req.headers.authorization);
        res.end(res.statusCode === 200 ? 'ok' : '{"error":{"id":"nope"}}');
      }, 5);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('runOnce', () => {
  it('sends every request exactly once, with its token and body, and counts what was not 2xx', async () => {
    const { url, seen } = await serve((path, body, auth) => (auth === 'tok' && (path !== '/post' || body === '{"a":1}') && !path.endsWith('/13') ? 200 : 418));
    const requests: ReqSpec[] = Array.from({ length: 40 }, (_, i) => ({ method: 'GET', path: `/item/${i}`, token: 'tok' }));
    requests.push({ method: 'POST', path: '/post', token: 'tok', body: { a: 1 } });
    const r = await runOnce({ url, requests, duration: 1, connections: 4, threads: 1, timeoutS: 5 }, () => ({}));
    expect(seen.slice().sort()).toEqual(requests.map((q) => q.path).sort());
    expect(r.requests).toBe(41);
    expect(r.non2xx).toBe(1);
    expect(r.statuses).toEqual({ 418: 1 });
    expect(r.sample).toContain('nope');
    expect(r.rps).toBeGreaterThan(0);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(5);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p99);
  });
});
