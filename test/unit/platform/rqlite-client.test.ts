import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import {
  PlatformDbAmbiguousError,
  PlatformDbConstraintError,
  PlatformDbError,
  PlatformDbFatalError,
  PlatformDbUnavailableError,
} from '../../../src/platform/errors.js';
import { RqliteClient } from '../../../src/platform/rqlite-client.js';
import { freePort } from '../../helpers/free-port.js';

/**
 * Wire-shape contract of the rqlite client against a scripted fake rqlited on 127.0.0.1.
 * The real rqlited is exercised in test/integration/platform-client.test.ts.
 */
interface Seen {
  method: string;
  url: string;
  body: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

const logger = createLogger({ level: 'silent', role: 'test' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fakeRqlite(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res, seen.length);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(url: string, opts: { retryBudgetMs?: number; requestTimeoutMs?: number } = {}): RqliteClient {
  const c = new RqliteClient({ url, requestTimeoutMs: opts.requestTimeoutMs ?? 2000, retryBudgetMs: opts.retryBudgetMs ?? 2000, logger });
  cleanups.push(() => c.close());
  return c;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const noLeader = (res: ServerResponse): void => {
  res.writeHead(503, { 'content-type': 'text/plain' }).end('leader not found');
};
const rowsAnswer = { results: [{ types: { id: 'integer', name: 'text' }, rows: [{ id: 1, name: "O'Brien" }] }] };

async function rejection(p: Promise<unknown>): Promise<PlatformDbError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PlatformDbError);
    return err as PlatformDbError;
  }
  throw new Error('expected a rejection');
}

describe('RqliteClient wire shape', () => {
  it('reads: POST /db/query with associative rows, the level, and parameters as a JSON array', async () => {
    const fake = await fakeRqlite((_req, res) => json(res, 200, rowsAnswer));
    const rows = await client(fake.url).queryRows('SELECT id, name FROM t WHERE name = ?', ["O'Brien"], 'linearizable');
    expect(rows).toEqual([{ id: 1, name: "O'Brien" }]);
    expect(fake.seen).toHaveLength(1);
    const [req] = fake.seen;
    expect(req?.method).toBe('POST');
    const url = new URL(req?.url ?? '', fake.url);
    expect(url.pathname).toBe('/db/query');
    expect(url.searchParams.has('associative')).toBe(true);
    expect(url.searchParams.get('level')).toBe('linearizable');
    expect(JSON.parse(req?.body ?? '')).toEqual([['SELECT id, name FROM t WHERE name = ?', "O'Brien"]]);
  });

  it('reads default to level=weak', async () => {
    const fake = await fakeRqlite((_req, res) => json(res, 200, { results: [{}] }));
    expect(await client(fake.url).queryRows('SELECT 1')).toEqual([]);
    expect(new URL(fake.seen[0]?.url ?? '', fake.url).searchParams.get('level')).toBe('weak');
  });

  it('writes: POST /db/execute; ?transaction only when asked', async () => {
    const fake = await fakeRqlite((_req, res) => json(res, 200, { results: [{ rows_affected: 1 }, { rows_affected: 1 }] }));
    const c = client(fake.url);
    const stmts: [string, ...(string | number)[]][] = [['INSERT INTO t VALUES (?, ?)', 1, 'a'], ['INSERT INTO t VALUES (?, ?)', 2, 'b']];
    expect(await c.execute(stmts, { transaction: true })).toEqual([{ rows_affected: 1 }, { rows_affected: 1 }]);
    await c.execute(stmts);
    const [tx, plain] = fake.seen.map((s) => new URL(s.url, fake.url));
    expect(tx?.pathname).toBe('/db/execute');
    expect(tx?.searchParams.has('transaction')).toBe(true);
    expect(plain?.pathname).toBe('/db/execute');
    expect(plain?.searchParams.has('transaction')).toBe(false);
    expect(JSON.parse(fake.seen[0]?.body ?? '')).toEqual(stmts);
  });

  it('a statement error comes back typed', async () => {
    const fake = await fakeRqlite((_req, res) => json(res, 200, { results: [{ error: 'UNIQUE constraint failed: t.id' }] }));
    const err = await rejection(client(fake.url).execute([['INSERT INTO t VALUES (?)', 1]]));
    expect(err).toBeInstanceOf(PlatformDbConstraintError);
    expect(fake.seen).toHaveLength(1);
  });
});

describe('RqliteClient retries', () => {
  it('retries a read through two 503s, then succeeds within the budget', async () => {
    const fake = await fakeRqlite((_req, res, n) => (n <= 2 ? noLeader(res) : json(res, 200, rowsAnswer)));
    const started = Date.now();
    const rows = await client(fake.url, { retryBudgetMs: 2000 }).queryRows('SELECT 1');
    expect(rows).toEqual([{ id: 1, name: "O'Brien" }]);
    expect(fake.seen).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('retries a read answered 200 + top-level error instead of returning no rows', async () => {
    const fake = await fakeRqlite((_req, res, n) => (n === 1 ? json(res, 200, { results: [], error: 'stale read' }) : json(res, 200, rowsAnswer)));
    expect(await client(fake.url).queryRows('SELECT 1')).toHaveLength(1);
    expect(fake.seen).toHaveLength(2);
  });

  it('gives up once the budget is spent, with the last unavailable error', async () => {
    const fake = await fakeRqlite((_req, res) => noLeader(res));
    const started = Date.now();
    const err = await rejection(client(fake.url, { retryBudgetMs: 400 }).queryRows('SELECT 1'));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(PlatformDbUnavailableError);
    expect(err.message).toContain('leader not found');
    expect(fake.seen.length).toBeGreaterThanOrEqual(3);
    // never sleeps past the budget
    expect(elapsed).toBeLessThan(400 + 300);
  });

  it('retryBudgetMs 0 means a single attempt', async () => {
    const fake = await fakeRqlite((_req, res) => noLeader(res));
    await rejection(client(fake.url, { retryBudgetMs: 0 }).queryRows('SELECT 1'));
    expect(fake.seen).toHaveLength(1);
  });

  it('never retries a fatal answer', async () => {
    const fake = await fakeRqlite((_req, res) => res.writeHead(400).end('invalid JSON body'));
    const err = await rejection(client(fake.url).queryRows('SELECT 1'));
    expect(err).toBeInstanceOf(PlatformDbFatalError);
    expect(fake.seen).toHaveLength(1);
  });

  it('a write with idempotent:false is attempted once, even on 503', async () => {
    const fake = await fakeRqlite((_req, res, n) => (n === 1 ? noLeader(res) : json(res, 200, { results: [{ rows_affected: 1 }] })));
    const err = await rejection(client(fake.url).execute([['INSERT INTO t VALUES (?)', 1]]));
    expect(err).toBeInstanceOf(PlatformDbUnavailableError);
    expect(fake.seen).toHaveLength(1);
  });

  it('a non-idempotent write whose commit was ambiguous is not retried', async () => {
    const fake = await fakeRqlite((_req, res) => json(res, 200, { results: [], error: 'leadership lost while committing log' }));
    const err = await rejection(client(fake.url).execute([['INSERT INTO t VALUES (?)', 1]], { transaction: true }));
    expect(err).toBeInstanceOf(PlatformDbAmbiguousError);
    expect(err.ambiguous).toBe(true);
    expect(fake.seen).toHaveLength(1);
  });

  it('an idempotent write is retried through 503 and an ambiguous commit', async () => {
    const fake = await fakeRqlite((_req, res, n) => {
      if (n === 1) noLeader(res);
      else if (n === 2) json(res, 200, { results: [], error: 'leadership lost while committing log' });
      else json(res, 200, { results: [{ rows_affected: 0 }] });
    });
    const out = await client(fake.url).execute([['INSERT INTO t VALUES (?) ON CONFLICT DO NOTHING', 1]], { idempotent: true });
    expect(out).toEqual([{ rows_affected: 0 }]);
    expect(fake.seen).toHaveLength(3);
    // the same statements every time
    expect(new Set(fake.seen.map((s) => s.body)).size).toBe(1);
  });
});

describe('RqliteClient transport failures', () => {
  it('connection refused is unavailable (nothing applied), for reads and writes', async () => {
    const port = await freePort();
    const c = client(`http://127.0.0.1:${port}`, { retryBudgetMs: 0 });
    const read = await rejection(c.queryRows('SELECT 1'));
    expect(read).toBeInstanceOf(PlatformDbUnavailableError);
    const write = await rejection(c.execute([['INSERT INTO t VALUES (?)', 1]]));
    expect(write).toBeInstanceOf(PlatformDbUnavailableError);
    expect(write.ambiguous).toBe(false);
    expect(write.retriable).toBe(true);
  });

  it('a refused read is retried until the budget ends', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await rejection(client(`http://127.0.0.1:${port}`, { retryBudgetMs: 300 }).queryRows('SELECT 1'));
    expect(err).toBeInstanceOf(PlatformDbUnavailableError);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(600);
  });

  it('a write that times out after being sent is ambiguous and not retried', async () => {
    const fake = await fakeRqlite(() => undefined); // never answers
    const started = Date.now();
    const err = await rejection(client(fake.url, { requestTimeoutMs: 200 }).execute([['INSERT INTO t VALUES (?)', 1]]));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err).toBeInstanceOf(PlatformDbAmbiguousError);
    expect(err.ambiguous).toBe(true);
    expect(fake.seen).toHaveLength(1);
  });

  it('a write whose connection is reset after sending is ambiguous', async () => {
    const fake = await fakeRqlite((req) => req.socket.destroy());
    const err = await rejection(client(fake.url).execute([['INSERT INTO t VALUES (?)', 1]]));
    expect(err.ambiguous).toBe(true);
    expect(err).toBeInstanceOf(PlatformDbAmbiguousError);
  });

  it('a read that times out is unavailable and retried', async () => {
    const fake = await fakeRqlite((_req, res, n) => (n === 1 ? undefined : json(res, 200, rowsAnswer)));
    const rows = await client(fake.url, { requestTimeoutMs: 200, retryBudgetMs: 2000 }).queryRows('SELECT 1');
    expect(rows).toHaveLength(1);
    expect(fake.seen).toHaveLength(2);
  });
});

describe('RqliteClient.isReady', () => {
  it('is ok on 200 and reports the body', async () => {
    const fake = await fakeRqlite((_req, res) => res.writeHead(200).end('[+]node ok\n[+]leader ok\n[+]store ok\n'));
    expect(await client(fake.url).isReady(500)).toEqual({ ok: true, detail: '[+]node ok [+]leader ok [+]store ok', answered: true });
    expect(fake.seen[0]?.method).toBe('GET');
    expect(fake.seen[0]?.url).toBe('/readyz');
  });

  it('is not ok on 503, with the failing line', async () => {
    const fake = await fakeRqlite((_req, res) => res.writeHead(503).end('[+]node ok\n[-]leader not ok: leader not found\n'));
    const r = await client(fake.url).isReady(500);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain('leader not ok');
    // It answered: the election grace of /ready applies (src/health/leader-grace.ts).
    expect(r.answered).toBe(true);
  });

  it('answers within its timeout when rqlited hangs, and when nothing listens', async () => {
    const fake = await fakeRqlite(() => undefined);
    let started = Date.now();
    expect(await client(fake.url).isReady(200)).toMatchObject({ ok: false, answered: false });
    expect(Date.now() - started).toBeLessThan(200 + 300);

    const port = await freePort();
    started = Date.now();
    expect(await client(`http://127.0.0.1:${port}`).isReady(200)).toMatchObject({ ok: false, answered: false });
    expect(Date.now() - started).toBeLessThan(200 + 300);
  });

  it('asked twice: a probe without an answer is asked once more, an answer is taken as it is', async () => {
    // First /readyz stalls past the timeout (a loaded rqlited), the second answers: ready.
    const stallOnce = await fakeRqlite((_req, res, n) => (n === 1 ? undefined : res.writeHead(200).end('[+]node ok\n')));
    expect(await client(stallOnce.url).isReadyAskedTwice(200)).toMatchObject({ ok: true, answered: true });
    expect(stallOnce.seen).toHaveLength(2);

    // A 503 is an answer: not asked again.
    const noLeader = await fakeRqlite((_req, res) => res.writeHead(503).end('[-]leader not ok\n'));
    expect(await client(noLeader.url).isReadyAskedTwice(200)).toMatchObject({ ok: false, answered: true });
    expect(noLeader.seen).toHaveLength(1);

    // Stopped for good: not ready, within two timeouts.
    const hung = await fakeRqlite(() => undefined);
    const started = Date.now();
    expect(await client(hung.url).isReadyAskedTwice(200)).toMatchObject({ ok: false, answered: false });
    expect(Date.now() - started).toBeLessThan(2 * 200 + 300);
    expect(hung.seen).toHaveLength(2);
  });
});
