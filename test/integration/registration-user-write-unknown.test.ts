import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WriteOutcomeUnknownError } from '../../src/storage/interfaces/errors.js';
import type { UsersStore } from '../../src/storage/interfaces/users-store.js';
import { createApiTestApp, randomUsername, type ApiTestApp } from '../helpers/api-app.js';

/**
 * The home core's user row written with its outcome unknown (the connection lost with the COMMIT in
 * flight, failover-client.ts): the registration answers 503 write-outcome-unknown, and the name is
 * never released while a row that may hold it is left behind, or a second registration of that name
 * could be placed on another core beside it. The fault is injected around the real store: the row is
 * really committed, then the answer is "lost".
 */
let t: ApiTestApp;
let users: UsersStore;
let realCreate: UsersStore['create'];
let realDelete: UsersStore['deleteCascade'];

beforeAll(async () => {
  t = await createApiTestApp();
  users = t.services.stores.users;
  realCreate = users.create.bind(users);
  realDelete = users.deleteCascade.bind(users);
});
afterEach(() => {
  users.create = realCreate;
  users.deleteCascade = realDelete;
});
afterAll(async () => {
  await t?.close();
});

const lostCommit = (): void => {
  users.create = async (user) => {
    await realCreate(user);
    throw new WriteOutcomeUnknownError(new Error('connection lost after COMMIT was sent'));
  };
};
const register = (username: string, email: string) =>
  t.app.inject({ method: 'POST', url: '/users', payload: { appId: 'test-app', username, password: 'secret-pass', email } });

describe('registration whose user row has an unknown outcome', () => {
  it('answers 503 write-outcome-unknown, removes the row, and only then frees the name', async () => {
    const username = randomUsername('doubt');
    lostCommit();
    const first = await register(username, `${username}@example.test`);
    expect(first.statusCode).toBe(503);
    expect(first.json().error).toMatchObject({ id: 'write-outcome-unknown', data: { retriable: true } });
    expect(await realFind(username)).toBe(false);
    expect(await platformRow(username)).toEqual([]);
    users.create = realCreate;
    const again = await register(username, `${username}@example.test`);
    expect(again.statusCode, again.body).toBe(201);
    expect(await realFind(username)).toBe(true);
  });

  it('keeps the name reserved while the row cannot be removed (the sweeper frees it later)', async () => {
    const username = randomUsername('stuck');
    lostCommit();
    users.deleteCascade = async () => {
      throw new WriteOutcomeUnknownError(new Error('still unreachable'));
    };
    const first = await register(username, `${username}@example.test`);
    expect(first.statusCode).toBe(503);
    expect(await platformRow(username)).toEqual([{ pending: 1 }]);
    users.create = realCreate;
    users.deleteCascade = realDelete;
    const other = await register(username, `other-${username}@example.test`);
    expect(other.statusCode).toBe(409);
    expect(other.json().error).toMatchObject({ id: 'item-already-exists', data: { username: '(taken)' } });
  });
});

async function realFind(username: string): Promise<boolean> {
  return (await users.list()).some((u) => u.username === username);
}

/** The name's row in the platform DB (pending: reserved, not confirmed). */
async function platformRow(username: string): Promise<Record<string, unknown>[]> {
  return t.services.platform.client.queryRows('SELECT pending FROM users WHERE username = ?', [username], 'linearizable');
}
