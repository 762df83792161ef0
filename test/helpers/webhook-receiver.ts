import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  /** Arrival time, ms. */
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
  messages: string[];
  meta: { apiVersion?: unknown; serverTime?: unknown; serial?: unknown };
}

/** What the receiver does with call number `n` (0-based): a status, or `hang` (never answers). */
export type Answer = (n: number, res: ServerResponse) => number | 'hang';

export interface Receiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  port: number;
  calls: ReceivedCall[];
  close(): Promise<void>;
}

/** A small webhook receiver on 127.0.0.1 (a real socket: the delivery goes through undici). */
export async function startReceiver(answer: Answer = () => 200): Promise<Receiver> {
  const calls: ReceivedCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: { messages?: string[]; meta?: ReceivedCall['meta'] } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // Recorded as received with no messages.
      }
      const n = calls.length;
      calls.push({ at: Date.now(), headers: req.headers, body, messages: parsed.messages ?? [], meta: parsed.meta ?? {} });
      const status = answer(n, res);
      if (status === 'hang') return;
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * What a receiver does (docs/api.md "Webhooks"), written independently of src/webhooks/signature.ts:
 * `Homecore-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
 */
export function signatureIsValid(secret: string, header: string | string[] | undefined, body: string): boolean {
  if (typeof header !== 'string') return false;
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (m === null || m[1] === undefined || m[2] === undefined) return false;
  if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

/** Polls `fn` until it returns a value other than undefined/false. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
