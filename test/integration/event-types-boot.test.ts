import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type CoreProcess } from '../helpers/core-process.js';
import { freePort } from '../helpers/free-port.js';

/**
 * service.eventTypesSource at boot (issue #11): a whole core whose source URL is unreachable starts,
 * serves, and validates content against the bundled directory.
 */
let core: CoreProcess;
let source: string;

beforeAll(async () => {
  // A port nothing listens on: connection refused.
  source = `http://127.0.0.1:${await freePort()}/flat.json`;
  core = await startCore({ env: { HOMECORE_SERVICE__EVENT_TYPES_SOURCE: source, HOMECORE_SERVICE__EVENT_TYPES_TIMEOUT_MS: '1000' } });
  await core.waitReady(90_000);
}, 120_000);
afterAll(async () => {
  await core?.kill();
});

describe('an unreachable event-types source', () => {
  it('does not keep any worker from starting; each one says so and uses the bundled types', async () => {
    const warnings = core.logs.filter((l) => l.includes('event types source unusable'));
    // One per worker process: 2 API workers, 1 HFS, 1 previews in config/test.yml or the defaults.
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.every((l) => l.includes(source))).toBe(true);

    const username = `types${Date.now().toString(36)}`;
    const reg = await fetch(`${core.urls.api}/reg/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'a-good-password', email: `${username}@example.test`, appId: 'types-test' }),
    });
    expect(reg.status).toBe(201);
    const endpoint = new URL(((await reg.json()) as { apiEndpoint: string }).apiEndpoint);
    const token = decodeURIComponent(endpoint.username);
    const post = (path: string, body: unknown) =>
      fetch(`${core.urls.api}/${username}/${path}`, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('streams', { id: 'w', name: 'w' })).status).toBe(201);
    // mass/kg is a number in the bundled directory.
    const bad = await post('events', { streamIds: ['w'], type: 'mass/kg', content: 'heavy' });
    expect(bad.status).toBe(400);
    expect((await post('events', { streamIds: ['w'], type: 'mass/kg', content: 70 })).status).toBe(201);
  }, 60_000);
});
