import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import pryv from 'pryv';
import { startCore, type CoreProcess } from '../helpers/core-process.js';
import { randomUsername } from '../helpers/api-app.js';

/**
 * Two clones of one core (issue #13): two masters on different loopback addresses, one PostgreSQL
 * database, one rqlite cluster (each clone its own rqlited node), one attachments directory. A change
 * made through clone A reaches a Socket.IO client of clone B (PostgreSQL LISTEN/NOTIFY between the
 * masters), and an access deleted through A is refused by B. The masters run from dist/ (build first).
 */
let a: CoreProcess;
let b: CoreProcess;
const opened: Socket[] = [];

beforeAll(async () => {
  a = await startCore({
    host: '127.0.0.21',
    env: { HOMECORE_CORE__CLONE_ID: 'a' },
    envFor: (ports) => ({ HOMECORE_PLATFORM__PUBLIC_URL: `http://127.0.0.21:${ports.api}/`, HOMECORE_SERVICE__HOME: `http://127.0.0.21:${ports.api}/` }),
  });
  await a.waitReady(60_000, [a.ports.api]);
  b = await startCore({ host: '127.0.0.22', cloneOf: { core: a, cloneId: 'b' } });
  await b.waitReady(60_000, [b.ports.api]);
}, 120_000);
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
});
afterAll(async () => {
  await b?.kill();
  await a?.kill();
});

async function newUser(): Promise<{ username: string; token: string; on: (clone: CoreProcess, token?: string) => pryv.Connection }> {
  const service = new pryv.Service(`${a.urls.api}/reg/service/info`);
  const username = randomUsername('clone');
  await service.createUser({ username, password: 'clone-password-1', email: `${username}@example.test`, hosting: 'auto', appId: 'clones' });
  const conn = await service.login(username, 'clone-password-1', 'clones');
  const on = (clone: CoreProcess, token = conn.token): pryv.Connection => new pryv.Connection(`${clone.urls.api.replace('//', `//${token}@`)}/${username}/`);
  return { username, token: conn.token, on };
}

async function openSocket(clone: CoreProcess, username: string, token: string): Promise<Socket> {
  const socket = io(`${clone.urls.api}/${username}/${username}`, { forceNew: true, reconnection: false, transports: ['websocket'], query: { auth: token } });
  opened.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

function next(socket: Socket, event: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('clones of one core', () => {
  it('each clone runs its own rqlited node of one cluster: {core}.{clone}, the second a non-voter', async () => {
    const cred = (JSON.parse(readFileSync(join(a.varDir, 'secrets', 'rqlite-auth.json'), 'utf8')) as { username: string; password: string }[])[0];
    const auth = `Basic ${Buffer.from(`${cred?.username}:${cred?.password}`).toString('base64')}`;
    const res = await fetch(`${a.urls.rqlite}/nodes?nonvoters&ver=2`, { headers: { authorization: auth } });
    const nodes = ((await res.json()) as { nodes: { id: string; voter: boolean; reachable: boolean }[] }).nodes;
    expect(nodes.map((n) => [n.id, n.voter, n.reachable]).sort()).toEqual([['single.a', true, true], ['single.b', false, true]]);
  });

  it('a write through clone A reaches a Socket.IO client of clone B; B serves what A wrote', async () => {
    const user = await newUser();
    await user.on(a).apiOne('streams.create', { id: 'clones', name: 'Clones' }, 'stream');
    const socket = await openSocket(b, user.username, user.token);
    const changed = next(socket, 'eventsChanged', 5000);
    const event = await user.on(a).apiOne('events.create', { streamIds: ['clones'], type: 'note/txt', content: 'written on A' }, 'event');
    const ms = await changed;
    process.stdout.write(`clones: eventsChanged from A reached a socket on B after ${ms} ms\n`);
    const read = await user.on(b).apiOne('events.getOne', { id: event.id }, 'event');
    expect(read.content).toBe('written on A');
    // And the other way round.
    const socketA = await openSocket(a, user.username, user.token);
    const streams = next(socketA, 'streamsChanged', 5000);
    await user.on(b).apiOne('streams.create', { id: 'from-b', name: 'From B' }, 'stream');
    await streams;
  }, 60_000);

  it('an access deleted through clone A is refused by clone B, and its sockets on B are closed', async () => {
    const user = await newUser();
    const shared = await user.on(a).apiOne('accesses.create', { name: 'to-revoke', permissions: [{ streamId: '*', level: 'read' }] }, 'access');
    const socket = await openSocket(b, user.username, shared.token);
    // In clone B's access cache now.
    await user.on(b, shared.token).apiOne('streams.get', {}, 'streams');
    const gone = next(socket, 'disconnect', 5000);
    const deletedAt = Date.now();
    await user.on(a).apiOne('accesses.delete', { id: shared.id }, 'accessDeletion');
    const ms = await gone;
    let refusedAfter = -1;
    for (let i = 0; i < 50 && refusedAfter < 0; i++) {
      const res = await fetch(`${b.urls.api}/${user.username}/streams`, { headers: { authorization: shared.token } });
      if (res.status === 403) refusedAfter = Date.now() - deletedAt;
      else await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write(`clones: access deleted on A: socket on B closed after ${ms} ms, HTTP on B refused after ${refusedAfter} ms\n`);
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('an attachment uploaded through clone A is served by clone B (shared attachments directory)', async () => {
    const user = await newUser();
    await user.on(a).apiOne('streams.create', { id: 'files', name: 'Files' }, 'stream');
    const form = new FormData();
    form.append('event', JSON.stringify({ streamIds: ['files'], type: 'file/attached' }));
    form.append('file', new Blob([Buffer.from('shared bytes')], { type: 'text/plain' }), 'note.txt');
    const up = await fetch(`${a.urls.api}/${user.username}/events`, { method: 'POST', headers: { authorization: user.token }, body: form });
    expect(up.status).toBe(201);
    const event = ((await up.json()) as { event: { id: string; attachments: { id: string; fileName: string }[] } }).event;
    const att = event.attachments[0];
    const down = await fetch(`${b.urls.api}/${user.username}/events/${event.id}/${att?.id}/${att?.fileName}`, { headers: { authorization: user.token } });
    expect(down.status).toBe(200);
    expect(await down.text()).toBe('shared bytes');
  }, 60_000);
});
