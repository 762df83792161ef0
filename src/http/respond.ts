import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { isStreamed, type StreamedResult } from '../api/method.js';
import { meta } from '../domain/meta.js';

/**
 * Sends a method result with its `meta`. Streamed results (events.get) are written item by item in
 * compact JSON, `{"events":[…],"eventDeletions":[…],"meta":{…}}`: the SDK's streaming parser looks
 * for those exact byte sequences.
 */
export function respond(reply: FastifyReply, status: number, result: unknown, serial: string): FastifyReply {
  if (isStreamed(result)) {
    return reply.code(status).type('application/json; charset=utf-8').send(Readable.from(streamJson(result, serial)));
  }
  const body = typeof result === 'object' && result !== null ? { ...result, meta: meta(serial) } : { meta: meta(serial) };
  return reply.code(status).send(body);
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
      if (chunk.length > 65_536) {
        yield chunk;
        chunk = '';
      }
    }
    chunk += ']';
  }
  yield `${chunk},"meta":${JSON.stringify(meta(serial))}}`;
}
