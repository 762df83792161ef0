import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pryv from 'pryv';
import extendPryvSocketIO from '@pryv/socket.io';
import { createApiTestApp, type ApiTestApp, type TestUser } from '../helpers/api-app.js';
import { startFakeSmsProvider, type FakeSmsProvider } from '../helpers/fake-sms-provider.js';
import { freePort } from '../helpers/free-port.js';
import { totpCode } from '../../src/mfa/totp.js';

/**
 * The official `pryv` SDK (and @pryv/socket.io), unchanged, on an API app listening on loopback:
 * the MFA login flow (Service.login → MfaRequiredError → mfaChallenge → mfaVerify) with TOTP and
 * SMS, and scoped Socket.IO subscriptions on the socket the SDK opens.
 */
extendPryvSocketIO(pryv);

const APP_ID = 'sdk-mfa-app';
let t: ApiTestApp;
let sms: FakeSmsProvider;
let serviceInfoUrl: string;

beforeAll(async () => {
  sms = await startFakeSmsProvider();
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  t = await createApiTestApp({
    HOMECORE_PLATFORM__PUBLIC_URL: `${publicUrl}/`,
    HOMECORE_MFA__ENABLED: 'true',
    HOMECORE_MFA__SMS__ENABLED: 'true',
    HOMECORE_MFA__SMS__ENDPOINTS__SINGLE__URL: `${sms.base}/send`,
    HOMECORE_MFA__SMS__ENDPOINTS__SINGLE__BODY: 'to={{ phone }}&text={{ message }}',
  });
  await t.app.listen({ port, host: '127.0.0.1' });
  serviceInfoUrl = `${publicUrl}/reg/service/info`;
});
afterAll(async () => {
  await t?.close();
  await sms?.close();
});

const post = (u: TestUser, path: string, payload: Record<string, unknown>, token: string) =>
  t.app.inject({ method: 'POST', url: `/${u.username}${path}`, headers: { authorization: token }, payload });

/** The SDK's login: throws MfaRequiredError while a second factor is on. */
async function mfaTokenOf(service: pryv.Service, u: TestUser): Promise<string> {
  try {
    await service.login(u.username, u.password, APP_ID);
  } catch (err) {
    expect(err).toBeInstanceOf(pryv.MfaRequiredError);
    return (err as InstanceType<typeof pryv.MfaRequiredError>).mfaToken;
  }
  throw new Error('login gave a token although MFA is on');
}

describe('MFA login with the SDK', () => {
  it('TOTP: login → MfaRequiredError, mfaChallenge (no-op), mfaVerify → a working Connection; a wrong code is a PryvError', async () => {
    const u = await t.createUser();
    const act = (await post(u, '/mfa/activate', { method: 'totp' }, u.token)).json();
    expect((await post(u, '/mfa/confirm', { code: totpCode(t.config, act.secret) }, act.mfaToken)).statusCode).toBe(200);

    const service = new pryv.Service(serviceInfoUrl);
    const mfaToken = await mfaTokenOf(service, u);
    await service.mfaChallenge(u.username, mfaToken);
    // The next period's code: the one of the confirm step is spent (no replay).
    const code = totpCode(t.config, act.secret, Date.now() + 30_000);
    await expect(service.mfaVerify(u.username, mfaToken, code === '000000' ? '000001' : '000000')).rejects.toThrow();
    const conn = await service.mfaVerify(u.username, mfaToken, code);
    expect(await conn.username()).toBe(u.username);
    expect(await conn.accessInfo()).toMatchObject({ type: 'personal', name: APP_ID });
  });

  it('SMS: mfaChallenge sends a code through the provider; mfaVerify with it opens the session', async () => {
    const u = await t.createUser();
    const act = (await post(u, '/mfa/activate', { method: 'sms', phone: '41795550000', message: 'Code {{ code }}' }, u.token)).json();
    const firstCode = /Code (\d+)/.exec(sms.requests[sms.requests.length - 1]?.body ?? '')?.[1] ?? '';
    expect((await post(u, '/mfa/confirm', { code: firstCode }, act.mfaToken)).statusCode).toBe(200);

    const service = new pryv.Service(serviceInfoUrl);
    const mfaToken = await mfaTokenOf(service, u);
    const before = sms.requests.length;
    await service.mfaChallenge(u.username, mfaToken);
    expect(sms.requests.length).toBe(before + 1);
    const loginCode = /Code (\d+)/.exec(sms.requests[before]?.body ?? '')?.[1] ?? '';
    const conn = await service.mfaVerify(u.username, mfaToken, loginCode);
    const [stream] = await conn.api([{ method: 'streams.create', params: { id: 'after-mfa', name: 'After MFA' } }]);
    expect(stream?.stream?.id).toBe('after-mfa');
  });
});

interface RawSocket {
  emit(event: string, ...args: unknown[]): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface SdkSocket {
  _io: RawSocket;
  on(event: string, listener: () => void): void;
  close(): void;
}

const ack = (io: RawSocket, message: string, params?: unknown): Promise<unknown[]> =>
  new Promise((resolve) => (params === undefined ? io.emit(message, (...a: unknown[]) => resolve(a)) : io.emit(message, params, (...a: unknown[]) => resolve(a))));

describe('scoped Socket.IO subscriptions on the SDK socket', () => {
  it('subscribe / getSubscriptions / unsubscribe; notificationsChanged names the matching scopes; plain messages again without scopes', async () => {
    const u = await t.createUser();
    const service = new pryv.Service(serviceInfoUrl);
    const conn = new pryv.Connection(await service.apiEndpointFor(u.username, u.token));
    await conn.api([
      { method: 'streams.create', params: { id: 'watched', name: 'Watched' } },
      { method: 'streams.create', params: { id: 'other', name: 'Other' } },
    ]);
    const socket = (await (conn as unknown as { socket: { open(): Promise<SdkSocket> } }).socket.open());
    try {
      const notified: string[][] = [];
      let plain = 0;
      socket._io.on('notificationsChanged', (msg) => notified.push((msg as { keys: string[] }).keys));
      socket.on('eventsChanged', () => {
        plain += 1;
      });

      const [err, res] = await ack(socket._io, 'subscribe', { scopes: { notes: { query: { streams: ['watched'], types: ['note/txt'] } }, all: {} } });
      expect(err).toBeNull();
      expect((res as { keys: string[] }).keys.sort()).toEqual(['all', 'notes']);
      expect(((await ack(socket._io, 'getSubscriptions'))[1] as { scopes: Record<string, unknown> }).scopes).toMatchObject({ notes: { kind: 'events' } });

      const waitFor = async (n: number) => {
        const until = Date.now() + 5000;
        while (notified.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        expect(notified).toHaveLength(n);
      };
      await conn.api([{ method: 'events.create', params: { streamIds: ['watched'], type: 'note/txt', content: 'in scope' } }]);
      await waitFor(1);
      expect(notified[0]?.sort()).toEqual(['all', 'notes']);
      await conn.api([{ method: 'events.create', params: { streamIds: ['other'], type: 'note/txt', content: 'out of scope' } }]);
      await waitFor(2);
      expect(notified[1]).toEqual(['all']);
      expect(plain).toBe(0);

      const [, left] = await ack(socket._io, 'unsubscribe', { all: true });
      expect((left as { keys: string[] }).keys).toEqual([]);
      const changed = new Promise<void>((resolve) => socket.on('eventsChanged', () => resolve()));
      await conn.api([{ method: 'events.create', params: { streamIds: ['watched'], type: 'note/txt', content: 'plain again' } }]);
      await changed;
      expect(notified).toHaveLength(2);

      const [refused] = await ack(socket._io, 'subscribe', { key: 'bad', query: { streams: ['no-such-stream'] } });
      expect((refused as { error: { id: string } }).error.id).toBe('unknown-referenced-resource');
    } finally {
      socket.close();
    }
  });
});
