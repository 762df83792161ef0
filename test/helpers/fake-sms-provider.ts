import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SmsRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeSmsProvider {
  /** `http://127.0.0.1:<port>` */
  base: string;
  requests: SmsRequest[];
  /** Status of the next answers (default 200); `/verify` answers 200 only for `validCode`. */
  failNext(n: number, status: number): void;
  validCode: string;
  close(): Promise<void>;
}

/**
 * A small SMS provider on loopback, for the mfa.* tests: it records every request and answers 200,
 * except `/verify` (challenge-verify mode), which answers 400 unless the body holds `code=<validCode>`.
 */
export async function startFakeSmsProvider(): Promise<FakeSmsProvider> {
  let failing = 0;
  let failStatus = 500;
  const provider = {
    base: '',
    requests: [] as SmsRequest[],
    validCode: '424242',
    failNext(n: number, status: number) {
      failing = n;
      failStatus = status;
    },
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      provider.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      let status = 200;
      if (failing > 0) {
        failing--;
        status = failStatus;
      } else if ((req.url ?? '').startsWith('/verify') && !body.includes(`code=${provider.validCode}`)) {
        status = 400;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  provider.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return provider;
}
