/**
 * The user request-costs.ts and cpu-ab.ts measure: one registered user with the bench's 70 streams
 * and 200 events, a shared access contributing to RESTRICTED_PERMISSIONS; and the calls they time,
 * by name, each answering its HTTP status.
 */
import { randomBytes } from 'node:crypto';
import type { StartedCore } from './core.ts';
import { call, expectStatus, field } from './http.ts';
import { RESTRICTED_PERMISSIONS, streamLayout } from './seed.ts';

export type Send = (i: number) => Promise<number>;

export interface CostUser {
  username: string;
  token: string;
  /** The calls, by name (`events.create personal`, …), in the order they are measured. */
  kinds: Map<string, Send>;
}

export async function seedCostUser(core: StartedCore, prefix: string): Promise<CostUser> {
  const username = `${prefix}${randomBytes(4).toString('hex')}`;
  const reg = await expectStatus(201, 'POST', `${core.apiUrl}users`, { body: { username, password: `pw-${prefix}-cost-1`, email: `${username}@bench.invalid`, appId: 'homecore-bench' } });
  const token = decodeURIComponent(new URL(field<string>(reg, 'apiEndpoint')).username);
  const base = `${core.apiUrl}${username}/`;
  const layout = streamLayout();
  const streamOf = (i: number): string => layout[i % layout.length]?.id ?? 'f0';
  await expectStatus(200, 'POST', base, { token, body: layout.map((s) => ({ method: 'streams.create', params: { id: s.id, name: s.id, parentId: s.parentId } })) });
  const now = Date.now() / 1000;
  await expectStatus(200, 'POST', base, { token, body: Array.from({ length: 200 }, (_, i) => ({ method: 'events.create', params: { streamIds: [streamOf(i)], type: 'note/txt', time: now - i * 60, content: `n${i}` } })) });
  const acc = await expectStatus(201, 'POST', `${base}accesses`, { token, body: { name: 'restricted', permissions: RESTRICTED_PERMISSIONS.map((streamId) => ({ streamId, level: 'contribute' })) } });
  const restricted = field<string>(acc, 'access', 'token');
  const writable = ['t0', 't0-c0', 'f0', 'f1'];
  const status = async (p: ReturnType<typeof call>): Promise<number> => (await p).status;
  let created = 0;
  const newName = (): string => {
    created += 1;
    return `created-${created}`;
  };
  const kinds = new Map<string, Send>([
    ['events.create personal', (i) => status(call('POST', `${base}events`, { token, body: { streamIds: [streamOf(i)], type: 'mass/kg', content: i } }))],
    ['events.get personal', () => status(call('GET', `${base}events`, { token }))],
    // 100 of the seeded events (the 2nd to the 101st newest); later creates are newer than toTime.
    ['events.get range personal', () => status(call('GET', `${base}events?fromTime=${now - 100.5 * 60}&toTime=${now - 30}`, { token }))],
    ['events.create restricted', (i) => status(call('POST', `${base}events`, { token: restricted, body: { streamIds: [writable[i % writable.length] ?? 'f0'], type: 'mass/kg', content: i } }))],
    ['events.get restricted', () => status(call('GET', `${base}events`, { token: restricted }))],
    ['streams.update personal', (i) => status(call('PUT', `${base}streams/${streamOf(i)}`, { token, body: { name: `renamed-${i}` } }))],
    // Root streams with names never used before: the caller's i repeats across rounds and warm-ups.
    ['streams.create personal', () => status(call('POST', `${base}streams`, { token, body: { name: newName() } }))],
  ]);
  return { username, token, kinds };
}
