import { request } from 'node:http';
import { createServer } from 'node:net';
import { sleep } from '../../src/util/backoff.js';

/** Waiting on a core (test/helpers/core-process.ts): its HTTP answers, its ports, any condition. */
export interface HttpResult { status: number; body: unknown; text: string }

/** Polls `probe` every `intervalMs` until it returns something other than null/undefined/false. */
export async function pollUntil<T>(
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs: number,
  intervalMs: number,
  onTimeout: () => Error,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw onTimeout();
    await sleep(intervalMs);
  }
}

/** Ports of `ports` on which something still listens (127.0.0.1, where the core binds). */
export async function boundPorts(ports: number[], host = '127.0.0.1'): Promise<number[]> {
  const bound: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (!free) bound.push(port);
  }
  return bound;
}

/** One request on a fresh connection (no keep-alive pool to outlive the core); status 0 = no answer. */
export function httpStatus(port: number, path: string, method = 'GET', host = '127.0.0.1'): Promise<HttpResult> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method, agent: false, timeout: 3000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => resolve({ status: 0, body: null, text: 'response error' }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          body = text;
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 0, body: null, text: err.message }));
    req.end();
  });
}

