import { randomBytes } from 'node:crypto';
import pryv, { type Service } from 'pryv';
import extendPryvSocketIO from '@pryv/socket.io';

/**
 * A typical app's path through the official `pryv` SDK and its @pryv/socket.io extension: register,
 * log in, write and read streams and events, attach a file and download it, then a batch and a
 * change message over Socket.IO. Returns what it observed; the test asserts it.
 */
extendPryvSocketIO(pryv);

export interface SdkScenarioResult {
  username: string;
  endpointHost: string;
  connUsername: string;
  exists: boolean;
  unknownExists: boolean;
  created: [string, string];
  attachmentRoundTrip: boolean;
  events: string[];
  socketBatch: string;
  socketChange: boolean;
}

interface SocketLike {
  on(event: string, listener: () => void): void;
  api(calls: unknown[]): Promise<unknown[]>;
  close(): void;
}

export async function sdkScenario(service: Service, o: { hosting: string; appId: string; username: string }): Promise<SdkScenarioResult> {
  const password = 'sdk-password-1';
  const { username, appId } = o;
  await service.createUser({ username, password, email: `${username}@example.test`, hosting: o.hosting, appId });
  const conn = await service.login(username, password, appId);
  const [stream, event] = (await conn.api([
    { method: 'streams.create', params: { id: 'diary', name: 'Diary' } },
    { method: 'events.create', params: { streamIds: ['diary'], type: 'note/txt', content: 'hello' } },
  ])) as unknown as [{ stream: { id: string } }, { event: { content: string } }];

  const bytes = randomBytes(50_000);
  const withFile = (await conn.createEventWithFileFromBuffer({ streamIds: ['diary'], type: 'file/attached' }, bytes, 'page.bin')) as {
    event: { id: string; attachments: { id: string; readToken: string }[] };
  };
  const file = withFile.event.attachments[0];
  const download = await fetch(`${conn.endpoint}events/${withFile.event.id}/${file?.id ?? ''}?readToken=${encodeURIComponent(file?.readToken ?? '')}`);
  const attachmentRoundTrip = download.status === 200 && Buffer.from(await download.arrayBuffer()).equals(bytes);
  const got = (await conn.apiOne('events.get', { streams: ['diary'] }, 'events')) as unknown as { content?: string; attachments?: unknown[] }[];

  const io = (await (conn as unknown as { socket: { open(): Promise<SocketLike> } }).socket.open());
  try {
    let socketChange = false;
    const changed = new Promise<void>((resolve) => io.on('eventsChanged', () => resolve()));
    const [viaSocket] = (await io.api([{ method: 'events.create', params: { streamIds: ['diary'], type: 'note/txt', content: 'over the socket' } }])) as [
      { event?: { content?: string } },
    ];
    await Promise.race([changed.then(() => (socketChange = true)), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    return {
      username,
      endpointHost: new URL(conn.endpoint).host,
      connUsername: await conn.username(),
      exists: await service.userExists(username),
      unknownExists: await service.userExists(`nobody${randomBytes(5).toString('hex')}`),
      created: [stream.stream.id, event.event.content],
      attachmentRoundTrip,
      events: got.map((e) => e.content ?? (e.attachments === undefined ? '?' : 'file')).sort(),
      socketBatch: viaSocket.event?.content ?? '',
      socketChange,
    };
  } finally {
    io.close();
  }
}
