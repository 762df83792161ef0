import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEventTypes } from '../../../src/api/service/event-types-source.js';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logging/logger.js';
import { freePort } from '../../helpers/free-port.js';

/** service.eventTypesSource (issue #11): a URL or a file at start, the bundled copy whenever it fails. */
const CUSTOM = { version: 'test-1', types: { 'custom/score': { type: 'number', minimum: 0, maximum: 10 } } };
let dir: string;
let server: Server;
let base: string;
const logger = createLogger({ level: 'silent', role: 'test' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'homecore-types-'));
  writeFileSync(join(dir, 'flat.json'), JSON.stringify(CUSTOM));
  writeFileSync(join(dir, 'not-types.json'), JSON.stringify({ hello: 'world' }));
  writeFileSync(join(dir, 'bad-schema.json'), JSON.stringify({ version: 'x', types: { 'a/b': { type: 'no-such-type' } } }));
  server = createServer((req, res) => {
    if (req.url === '/flat.json') res.setHeader('content-type', 'application/json').end(JSON.stringify(CUSTOM));
    else if (req.url === '/slow.json') setTimeout(() => res.end(JSON.stringify(CUSTOM)), 2000).unref();
    else if (req.url === '/html') res.setHeader('content-type', 'text/html').end('<html>not json</html>');
    else res.writeHead(500).end();
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const load = (source: string | null) =>
  loadEventTypes(loadConfig({ env: { ...(source === null ? {} : { HOMECORE_SERVICE__EVENT_TYPES_SOURCE: source }), HOMECORE_SERVICE__EVENT_TYPES_TIMEOUT_MS: '300' } }), logger);

describe('loadEventTypes', () => {
  it('uses the bundled directory by default', async () => {
    const types = await load(null);
    expect(types.isKnown('mass/kg')).toBe(true);
    expect(types.isKnown('custom/score')).toBe(false);
  });

  it.each<[string, () => string]>([
    ['an http URL', () => `${base}/flat.json`],
    ['an absolute file path', () => join(dir, 'flat.json')],
  ])('loads %s, and validates content against it', async (_n, source) => {
    const types = await load(source());
    expect(types.version).toBe('test-1');
    expect(types.isKnown('custom/score')).toBe(true);
    expect(types.isKnown('mass/kg')).toBe(false);
    expect(types.validateContent('custom/score', 5)).toBeNull();
    expect(types.validateContent('custom/score', 11)).not.toBeNull();
  });

  it.each<[string, () => string]>([
    ['an unreachable URL (connection refused)', () => `http://127.0.0.1:${new URL(base).port === '1' ? 2 : 1}/flat.json`],
    ['an unknown host', () => 'http://event-types.invalid/flat.json'],
    ['a URL slower than eventTypesTimeoutMs', () => `${base}/slow.json`],
    ['an HTTP error', () => `${base}/missing`],
    ['a URL answering HTML', () => `${base}/html`],
    ['a missing file', () => join(dir, 'nope.json')],
    ['JSON that is not a type directory', () => join(dir, 'not-types.json')],
    ['a schema that does not compile', () => join(dir, 'bad-schema.json')],
  ])('falls back to the bundled directory on %s, without throwing', async (_n, source) => {
    const types = await load(source());
    expect(types.isKnown('mass/kg')).toBe(true);
    expect(types.isKnown('custom/score')).toBe(false);
  });
});
