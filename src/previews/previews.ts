import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { errors } from '../errors/index.js';
import type { PreviewCache, PreviewKey } from './preview-cache.js';
import { imageSize, renderJpeg, type RenderLimits } from './render.js';
import { previewSize, type Desired } from './sizing.js';

/** A readable picture event's attached file: what a preview is made from. */
export interface PreviewSource {
  userId: string;
  eventId: string;
  /** The event's `modified`: a changed event gets new previews. */
  modified: number;
  /** Path of the attached file on disk. */
  source: string;
}

export interface PreviewFile {
  stream: Readable;
  size: number;
}

/**
 * Event previews, produced in the previews worker only: size
 * the preview from the source's header, serve it from the cache or render it once (concurrent
 * requests for the same preview share one conversion).
 */
export class Previews {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    readonly cache: PreviewCache,
    private readonly limits: RenderLimits & { maxInputBytes: number },
  ) {}

  /** The preview of a picture's attached file, as a JPEG stream (src/api/events/preview-source.ts checks access). */
  async get(picture: PreviewSource, desired: Desired): Promise<PreviewFile> {
    const { source } = picture;
    const bytes = (await stat(source).catch(() => null))?.size;
    if (bytes === undefined) throw errors.corruptedData('The attached file is missing.', { reason: 'unreadable' });
    if (bytes > this.limits.maxInputBytes) {
      throw errors.corruptedData('The image is too large to preview.', { reason: 'too-large', limit: this.limits.maxInputBytes });
    }
    const size = previewSize(await imageSize(source, this.limits), desired);
    const key: PreviewKey = { userId: picture.userId, eventId: picture.eventId, modified: picture.modified, ...size };
    const path = (await this.cache.get(key)) ?? (await this.render(key, source));
    // Opened before answering: a clean-up running now cannot pull the file from under the response.
    const handle = await open(path, 'r');
    const { size: length } = await handle.stat();
    return { stream: createReadStream(path, { fd: handle }), size: length };
  }

  private render(key: PreviewKey, source: string): Promise<string> {
    const id = this.cache.pathOf(key);
    let job = this.inflight.get(id);
    if (job === undefined) {
      job = this.cache
        .put(key, (temp) => renderJpeg(source, temp, key, this.limits))
        .finally(() => this.inflight.delete(id));
      this.inflight.set(id, job);
    }
    return job;
  }
}
