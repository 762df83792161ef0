/** Small JSON-over-HTTP client for seeding and probing (the load itself is wrk's). */

export interface HttpAnswer { status: number; body: unknown; text: string; bytes: number }

export async function call(method: string, url: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers['authorization'] = opts.token;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, text, bytes: Buffer.byteLength(text) };
}

/** Like `call`, but anything other than `expected` is an error that shows the answer. */
export async function expectStatus(expected: number | number[], method: string, url: string, opts: { token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<unknown> {
  const r = await call(method, url, opts);
  const ok = Array.isArray(expected) ? expected.includes(r.status) : r.status === expected;
  if (!ok) throw new Error(`${method} ${url} answered ${r.status}: ${r.text.slice(0, 500)}`);
  return r.body;
}

export function field<T>(value: unknown, ...path: (string | number)[]): T {
  let v: unknown = value;
  for (const k of path) {
    if (typeof v !== 'object' || v === null) throw new Error(`missing ${path.join('.')} in ${JSON.stringify(value).slice(0, 300)}`);
    v = (v as Record<string | number, unknown>)[k];
  }
  if (v === undefined) throw new Error(`missing ${path.join('.')} in ${JSON.stringify(value).slice(0, 300)}`);
  return v as T;
}
