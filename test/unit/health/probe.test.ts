import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { healthTarget, healthUrl, probe } from '../../../src/health/probe.js';

const tmp = mkdtempSync(join(tmpdir(), 'homecore-probe-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = join(tmp, 'core.yml');
writeFileSync(file, 'http:\n  bindAddress: 127.0.0.9\n  apiPort: 3100\n');

describe('healthTarget: the probe reads port and address as the loader does', () => {
  it.each([
    [{}, 'http://127.0.0.1:3000/health'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '0.0.0.0', HOMECORE_HTTP__API_PORT: '3999' }, 'http://127.0.0.1:3999/health'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '127.0.0.7' }, 'http://127.0.0.7:3000/health'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '"::"' }, 'http://127.0.0.1:3000/health'],
    [{ HOMECORE_HTTP__BIND_ADDRESS: '::1' }, 'http://[::1]:3000/health'],
    [{ HOMECORE_CONFIG: file }, 'http://127.0.0.9:3100/health'],
    [{ HOMECORE_CONFIG: file, HOMECORE_HTTP__API_PORT: '3200' }, 'http://127.0.0.9:3200/health'],
  ])('%j → %s', (env, url) => {
    expect(healthUrl(healthTarget(env, tmp))).toBe(url);
    const { bindAddress, apiPort } = loadConfig({ env, cwd: tmp }).http;
    expect(healthUrl({ bindAddress, apiPort })).toBe(url);
  });

  it('fails on a port that is not a number', () => {
    expect(() => healthTarget({ HOMECORE_HTTP__API_PORT: 'abc' })).toThrow(/apiPort/);
  });
});

describe('probe', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((r) => (server === null ? r(undefined) : server.close(r)));
    server = null;
  });

  async function serve(status: number): Promise<string> {
    const s = createServer((_req, res) => res.writeHead(status).end());
    server = s;
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}/health`;
  }

  it('is true for a 2xx answer', async () => {
    expect(await probe(await serve(200), 2000)).toBe(true);
  });

  it('is false for a 503 answer', async () => {
    expect(await probe(await serve(503), 2000)).toBe(false);
  });

  it('is false when nothing listens', async () => {
    const url = await serve(200);
    await new Promise((r) => server?.close(r));
    server = null;
    expect(await probe(url, 2000)).toBe(false);
  });
});
