import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTestApp, randomUsername, type ApiTestApp } from '../helpers/api-app.js';

/**
 * Register and admin extras (issue #11): the invitation-token check and invitation settings, the
 * apps list, platform-only user deletion, the platform integrity report.
 */
const APPS = { 'diary-app': { name: 'Diary', description: 'Notes', url: 'https://diary.example.test/' }, 'bp-app': { name: 'Blood pressure' } };
let t: ApiTestApp;
let invited: ApiTestApp;
let ADMIN: string;
beforeAll(async () => {
  // A core id and hosting of its own: the integrity report looks at the platform users homed on this
  // core only, and registrations elsewhere are never placed here.
  const own = `extras-${randomBytes(4).toString('hex')}`;
  t = await createApiTestApp({ HOMECORE_CORE__ID: own, HOMECORE_REGISTRATION__HOSTING: own, HOMECORE_SERVICE__APPS: JSON.stringify(APPS) });
  invited = await createApiTestApp({ HOMECORE_REGISTRATION__INVITATION_TOKENS: JSON.stringify(['enjoy', 'welcome-2026']) });
  ADMIN = t.services.secrets.adminAccessKey;
});
afterAll(async () => {
  await invited?.close();
  await t?.close();
});

const register = (app: ApiTestApp, extra: Record<string, unknown>) => {
  const username = randomUsername('inv');
  return app.app.inject({ method: 'POST', url: '/reg/users', payload: { username, password: 'a-good-password', email: `${username}@example.test`, appId: 'extras-test', ...extra } });
};
const check = (app: ApiTestApp, payload: Record<string, unknown>, url = '/reg/access/invitationtoken/check') => app.app.inject({ method: 'POST', url, payload });

describe('POST /reg/access/invitationtoken/check', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['a listed token (reference spelling)', { invitationtoken: 'enjoy' }, 'true'],
    ['a listed token (registration spelling)', { invitationToken: 'welcome-2026' }, 'true'],
    ['an unlisted token', { invitationtoken: 'facebook' }, 'false'],
    ['no token', {}, 'false'],
    ['a token of the wrong type', { invitationtoken: 42 }, 'false'],
  ])('%s → %s, as text/plain', async (_n, payload, expected) => {
    for (const url of ['/reg/access/invitationtoken/check', '/access/invitationtoken/check']) {
      const res = await check(invited, payload, url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toBe(expected);
    }
  });

  it('agrees with registration', async () => {
    expect((await register(invited, { invitationToken: 'enjoy' })).statusCode).toBe(201);
    const refused = await register(invited, { invitationToken: 'facebook' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.id).toBe('invitationToken-invalid');
  });

  it.each<[string, string, string, number]>([
    ['open: any token or none', 'open', 'true', 201],
    ['null: the same as open', 'null', 'true', 201],
    ['closed: nobody registers alone', 'closed', 'false', 400],
    ['[]: the same as closed', '[]', 'false', 400],
  ])('registration.invitationTokens %s', async (_n, setting, answer, status) => {
    const other = await createApiTestApp({ HOMECORE_REGISTRATION__INVITATION_TOKENS: setting });
    try {
      expect((await check(other, { invitationtoken: 'anything' })).body).toBe(answer);
      expect((await register(other, {})).statusCode).toBe(status);
      // Admins create users whatever the setting.
      const username = randomUsername('adm');
      const created = await other.app.inject({
        method: 'POST',
        url: '/system/create-user',
        headers: { authorization: other.services.secrets.adminAccessKey },
        payload: { username, email: `${username}@example.test`, language: 'en', password: 'a-good-password' },
      });
      expect(created.statusCode).toBe(201);
    } finally {
      await other.close();
    }
  });
});

describe('GET /reg/apps', () => {
  it('lists the configured apps with their ids', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/reg/apps' });
    expect(res.statusCode).toBe(200);
    expect(res.json().apps).toEqual([
      { id: 'diary-app', ...APPS['diary-app'] },
      { id: 'bp-app', ...APPS['bp-app'] },
    ]);
    expect(res.json().meta.apiVersion).toBeTypeOf('string');
  });

  it('answers one app, and 404 unknown-resource for another id', async () => {
    const one = await t.app.inject({ method: 'GET', url: '/reg/apps/bp-app' });
    expect(one.json().app).toEqual({ id: 'bp-app', name: 'Blood pressure' });
    const missing = await t.app.inject({ method: 'GET', url: '/reg/apps/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ id: 'unknown-resource', data: { id: 'nope' } });
    // `toString` is not an app (own keys only).
    expect((await t.app.inject({ method: 'GET', url: '/reg/apps/toString' })).statusCode).toBe(404);
  });
});

const admin = (method: 'GET' | 'DELETE', url: string, key: string | null = ADMIN) =>
  t.app.inject({ method, url, headers: key === null ? {} : { authorization: key } });

describe('DELETE /system/users/{username}?onlyReg=true', () => {
  it('needs the admin key: 404 without it, as every admin route', async () => {
    for (const url of ['/system/users/someone?onlyReg=true', '/system/check-platform-integrity']) {
      for (const key of [null, 'wrong-admin-key-0123456789']) {
        const res = await admin(url.startsWith('/system/users') ? 'DELETE' : 'GET', url, key);
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error.id).toBe('unknown-resource');
      }
    }
  });

  it('refuses without onlyReg=true, answers 404 for an unregistered name', async () => {
    const u = await t.createUser();
    const res = await admin('DELETE', `/system/users/${u.username}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.id).toBe('invalid-operation');
    expect((await admin('DELETE', `/system/users/${randomUsername('none')}?onlyReg=true`)).statusCode).toBe(404);
  });

  it('dryRun changes nothing; then the platform entries go and the data stays', async () => {
    const u = await t.createUser();
    const dry = await admin('DELETE', `/system/users/${u.username}?onlyReg=true&dryRun=true`);
    expect(dry.statusCode).toBe(200);
    expect(dry.json().result).toEqual({ dryRun: true, deleted: false });
    expect(await t.services.platform.coreOf(u.username)).toBe(t.config.core.id);

    const done = await admin('DELETE', `/system/users/${u.username}?onlyReg=true`);
    expect(done.json().result).toEqual({ dryRun: false, deleted: true });
    expect(await t.services.platform.coreOf(u.username)).toBeNull();
    expect(await t.services.platform.usernameFor('email', `${u.username}@example.test`)).toBeNull();
    expect((await t.app.inject({ method: 'GET', url: `/reg/${u.username}/check_username` })).json().reserved).toBe(false);
    expect((await t.services.stores.users.list()).map((x) => x.username)).toContain(u.username);
  });
});

describe('GET /system/check-platform-integrity', () => {
  const report = async () => {
    const res = await admin('GET', '/system/check-platform-integrity');
    expect(res.statusCode).toBe(200);
    return res.json().checks as { title: string; infos: Record<string, number>; errors: string[] }[];
  };
  const mine = (errors: string[]): string[] => errors.filter((e) => e.includes(t.config.core.id) || /User "/.test(e));

  it('reports each mismatch between this core and the platform DB', async () => {
    // Start clean: users left platform-less by the test above are put back.
    for (const u of await t.services.stores.users.list()) {
      if ((await t.services.platform.coreOf(u.username)) === null) await t.services.platform.registerUser(u.username, t.config.core.id, { email: u.email });
    }
    const [users, counts] = await report();
    expect(users?.errors).toEqual([]);
    expect(mine(counts?.errors ?? [])).toEqual([]);
    expect(users?.infos.localUsers).toBe(users?.infos.platformUsersOfThisCore);

    const a = await t.createUser();
    const b = await t.createUser();
    const ghost = randomUsername('ghost');
    await t.services.platform.unregisterUser(a.username);
    await t.services.platform.changeUniqueField(b.username, 'email', `other-${b.username}@example.test`);
    await t.services.platform.registerUser(ghost, t.config.core.id, { email: `${ghost}@example.test` });
    await t.rqlite.execute([['UPDATE cores SET user_count = user_count + 5 WHERE id = ?', t.config.core.id]]);

    const [users2, counts2] = await report();
    expect(users2?.errors).toEqual(
      expect.arrayContaining([
        `User "${a.username}" is stored on this core but not registered in the platform DB.`,
        `User "${b.username}": email "${b.username}@example.test" here, "other-${b.username}@example.test" in the platform DB.`,
        `User "${ghost}" is homed on this core in the platform DB but has no data here.`,
      ]),
    );
    expect(users2?.errors).toHaveLength(3);
    expect(counts2?.errors.filter((e) => e.startsWith(`Core "${t.config.core.id}"`))).toHaveLength(1);
  });
});

describe('/openapi.json', () => {
  it('describes the routes added here, with response schemas, and the admin key scheme', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = (path: string, verb: string) => doc.paths[path]?.[verb] as { operationId: string; responses: Record<string, unknown>; security: unknown[] } | undefined;
    expect(op('/reg/access/invitationtoken/check', 'post')?.operationId).toBe('reg.invitationTokenCheck');
    expect(op('/reg/apps', 'get')?.responses['200']).toBeDefined();
    expect(op('/reg/apps/{appId}', 'get')?.operationId).toBe('reg.app');
    expect(op('/www/assets/{file}', 'get')?.security).toEqual([]);
    expect(op('/system/users/{username}', 'delete')?.security).toEqual([{ admin: [] }]);
    expect(op('/system/check-platform-integrity', 'get')?.responses['200']).toMatchObject({ content: { 'application/json': { schema: { required: ['checks', 'meta'] } } } });
    expect(doc.components.securitySchemes.admin).toMatchObject({ type: 'apiKey', name: 'Authorization' });
    // The user routes are still there.
    expect(op('/{username}/events', 'get')?.operationId).toBe('events.get');
  });
});
