import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { isStreamed, type StreamedResult } from '../api/method.js';
import { meta } from '../domain/meta.js';

/** Pieces a streamed answer is written in (and the largest answer sent as one buffer). */
const CHUNK_CHARS = 65_536;

/**
 * Sends a method result with its `meta`. Streamed results (events.get) are written item by item in
 * compact JSON, `{"events":[…],"eventDeletions":[…],"meta":{…}}`: the SDK's streaming parser looks
 * for those exact byte sequences. An answer that fits in one piece (most: events.get returns 20
 * events unless asked for more) goes as one string with its content-length, without a stream
 * (issue #10: a Readable, chunked encoding and a write per piece cost more CPU than the answer).
 */
export async function respond(reply: FastifyReply, status: number, result: unknown, serial: string): Promise<FastifyReply> {
  if (isStreamed(result)) {
    reply.code(status).type('application/json; charset=utf-8');
    const pieces = streamJson(result, serial);
    const first = await pieces.next();
    if (first.done === true) return reply.send('');
    const second = await pieces.next();
    if (second.done === true) return reply.send(first.value);
    return reply.send(Readable.from(rest([first.value, second.value], pieces)));
  }
  const body = typeof result === 'object' && result !== null ? { ...result, meta: meta(serial) } : { meta: meta(serial) };
  return reply.code(status).send(body);
}

async function* rest(read: string[], pieces: AsyncGenerator<string>): AsyncGenerator<string> {
  yield* read;
  yield* pieces;
}

async function* streamJson(result: StreamedResult, serial: string): AsyncGenerator<string> {
  let first = true;
  let chunk = '{';
  for (const { key, items } of result.arrays) {
    chunk += `${first ? '' : ','}${JSON.stringify(key)}:[`;
    first = false;
    let n = 0;
    for await (const item of items) {
      chunk += (n === 0 ? '' : ',') + (typeof item === 'string' ? item : JSON.stringify(item));
      n += 1;
      // Flush in ~64 KiB pieces: fewer writes than one per item, bounded memory.
      if (chunk.length > CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    chunk += ']';
  }
  yield `${chunk},"meta":${JSON.stringify(meta(serial))}}`;
}
