import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, dir, eventPart, filesUnder, multipart, PNGISH, post, t, TEXT, tokens, u, url, useAttachmentsFixture, type Part } from '../helpers/attachments-fixture.js';

/** Attached files (Pryv API §3.2): readTokens in lists, adding and deleting files, storage used (test/helpers/attachments-fixture.ts). */
useAttachmentsFixture();

describe('readTokens in event lists', () => {
  it('events.get adds readTokens to events with files only, over HTTP and in batch', async () => {
    const withFile = (await post('P', '/events', [{ name: 'f', filename: 'l.txt', data: TEXT }, eventPart({ streamIds: ['private'], type: 'note/txt', content: 'a' })])).body.event;
    await call('P', 'POST', '/events', { streamIds: ['private'], type: 'note/txt', content: 'plain' });
    const http = await call('privateReader', 'GET', '/events?streams=private');
    const batch = await call('privateReader', 'POST', '', [{ method: 'events.get', params: { streams: ['private'] } }]);
    for (const events of [http.body.events, batch.body.results[0].events]) {
      expect(events).toHaveLength(2);
      const listed = events.find((e: { id: string }) => e.id === withFile.id);
      expect(listed.attachments[0].readToken).toMatch(/^[a-z0-9]+-[\w-]{43}$/);
      expect(listed.attachments[0].readToken).not.toBe(withFile.attachments[0].readToken);
      expect(events.find((e: { id: string }) => e.id !== withFile.id)).not.toHaveProperty('attachments');
    }
  });
});

describe('adding and deleting files', () => {
  it('POST /events/{id} with files appends them (events.update), batch alias events.addAttachment', async () => {
    const created = (await post('P', '/events', [{ name: 'a', filename: 'a.txt', data: TEXT }, eventPart({ streamIds: ['photos'], type: 'file/attached' })])).body.event;
    const res = await post('contributor', `/events/${created.id}`, [{ name: 'b', filename: 'b.bin', data: PNGISH }]);
    expect(res.status).toBe(200);
    expect(res.body.event.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['a.txt', 'b.bin']);
    expect(res.body.event.modified).toBeGreaterThan(created.modified);
    const second = res.body.event.attachments[1];
    const download = await t.app.inject({ method: 'GET', url: url(`/events/${created.id}/${second.id}?readToken=${encodeURIComponent(second.readToken)}`) });
    expect(download.rawPayload.equals(PNGISH)).toBe(true);
    const batch = await call('P', 'POST', '', [{ method: 'events.addAttachment', params: { id: created.id, update: { description: 'via alias' } } }]);
    expect(batch.body.results[0].event).toMatchObject({ description: 'via alias' });
  });

  it.each<[string, string, () => Part[] | null, number]>([
    ['a JSON body', 'P', () => null, 415],
    ['a non-file part', 'P', () => [{ name: 'f', filename: 'x.txt', data: TEXT }, { name: 'event', value: '{}' }], 400],
    ['no file', 'P', () => [], 400],
    ['a reader', 'reader', () => [{ name: 'f', filename: 'x.txt', data: TEXT }], 403],
  ])('refuses adding files with %s, leaving nothing on disk', async (_n, who, parts, status) => {
    const created = (await call('P', 'POST', '/events', { streamIds: ['photos'], type: 'note/txt', content: 'x' })).body.event;
    const before = filesUnder(dir);
    const p = parts();
    const res = p === null ? await call(who, 'POST', `/events/${created.id}`, { description: 'x' }) : await post(who, `/events/${created.id}`, p);
    expect(res.status).toBe(status);
    expect(filesUnder(dir)).toEqual(before);
  });

  it('events.deleteAttachment removes one file and its record', async () => {
    const created = (await post('P', '/events', [
      { name: 'a', filename: 'a.txt', data: TEXT },
      { name: 'b', filename: 'b.txt', data: TEXT },
      eventPart({ streamIds: ['photos'], type: 'file/attached' }),
    ])).body.event;
    const [a, b] = created.attachments as { id: string }[];
    expect((await call('reader', 'DELETE', `/events/${created.id}/${a?.id}`)).status).toBe(403);
    const res = await call('contributor', 'DELETE', `/events/${created.id}/${a?.id}`);
    expect(res.status).toBe(200);
    expect(res.body.event.attachments.map((x: { id: string }) => x.id)).toEqual([b?.id]);
    expect(filesUnder(join(dir, u.user.id, created.id))).toEqual([b?.id]);
    expect((await call('P', 'DELETE', `/events/${created.id}/${a?.id}`)).status).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: url(`/events/${created.id}/${a?.id}`), headers: { authorization: u.token } })).statusCode).toBe(404);
    const last = await call('P', 'POST', '', [{ method: 'events.deleteAttachment', params: { id: created.id, fileId: b?.id } }]);
    expect(last.body.results[0].event).not.toHaveProperty('attachments');
    expect(filesUnder(join(dir, u.user.id, created.id))).toEqual([]);
  });
});

describe('storageUsed and deletions', () => {
  it('keeps storageUsed.attachedFiles right through adds, file deletions and event deletions', async () => {
    const v = await t.createUser();
    tokens['V'] = v.token;
    const used = async () => (await t.app.inject({ method: 'GET', url: `/${v.username}/account`, headers: { authorization: v.token } })).json().account.storageUsed.attachedFiles as number;
    const as = async (parts: Part[], path = '/events') => {
      const body = multipart(parts);
      return (await t.app.inject({ method: 'POST', url: `/${v.username}${path}`, headers: { ...body.headers, authorization: v.token }, payload: body.payload })).json().event;
    };
    expect((await t.app.inject({ method: 'POST', url: `/${v.username}/streams`, headers: { authorization: v.token }, payload: { id: 's', name: 's' } })).statusCode).toBe(201);
    expect(await used()).toBe(0);
    const e = await as([{ name: 'a', filename: 'a', data: PNGISH }, eventPart({ streamIds: ['s'], type: 'file/attached' })]);
    expect(await used()).toBe(PNGISH.length);
    await as([{ name: 'b', filename: 'b', data: TEXT }], `/events/${e.id}`);
    expect(await used()).toBe(PNGISH.length + TEXT.length);
    const del = (path: string) => t.app.inject({ method: 'DELETE', url: `/${v.username}${path}`, headers: { authorization: v.token } });
    expect((await del(`/events/${e.id}/${e.attachments[0].id}`)).statusCode).toBe(200);
    expect(await used()).toBe(TEXT.length);
    // Trashed: the files stay (and count); deleted for good: gone from disk too.
    expect((await del(`/events/${e.id}`)).json().event.trashed).toBe(true);
    expect(await used()).toBe(TEXT.length);
    expect((await del(`/events/${e.id}`)).json()).toHaveProperty('eventDeletion');
    expect(await used()).toBe(0);
    expect(filesUnder(join(dir, v.user.id))).toEqual([]);
  });

  it('removes the files of events deleted with their stream, and of a deleted user', async () => {
    const w = await t.createUser();
    const h = { authorization: w.token };
    await t.app.inject({ method: 'POST', url: `/${w.username}/streams`, headers: h, payload: { id: 'gone', name: 'gone' } });
    const body = multipart([{ name: 'a', filename: 'a', data: TEXT }, eventPart({ streamIds: ['gone'], type: 'file/attached' })]);
    const e = (await t.app.inject({ method: 'POST', url: `/${w.username}/events`, headers: { ...body.headers, ...h }, payload: body.payload })).json().event;
    expect(filesUnder(join(dir, w.user.id, e.id))).toHaveLength(1);
    await t.app.inject({ method: 'DELETE', url: `/${w.username}/streams/gone`, headers: h });
    const res = await t.app.inject({ method: 'DELETE', url: `/${w.username}/streams/gone?mergeEventsWithParent=false`, headers: h });
    expect(res.json().updatedEvents).toEqual([{ id: e.id, action: 'deleted' }]);
    expect(filesUnder(join(dir, w.user.id))).toEqual([]);

    await t.app.inject({ method: 'POST', url: `/${w.username}/streams`, headers: h, payload: { id: 'kept', name: 'kept' } });
    const body2 = multipart([{ name: 'a', filename: 'a', data: TEXT }, eventPart({ streamIds: ['kept'], type: 'file/attached' })]);
    await t.app.inject({ method: 'POST', url: `/${w.username}/events`, headers: { ...body2.headers, ...h }, payload: body2.payload });
    expect(filesUnder(join(dir, w.user.id))).toHaveLength(1);
    const gone = await t.app.inject({ method: 'DELETE', url: `/users/${w.username}`, headers: { authorization: t.services.secrets.adminAccessKey } });
    expect(gone.statusCode).toBe(200);
    expect(readdirSync(dir)).not.toContain(w.user.id);
  });
});
