import { stat } from 'node:fs/promises';
import { errors } from '../errors/index.js';
import { fileBody, type FileBody } from '../util/file-body.js';
import type { OpenPreview, PreviewCache, PreviewKey } from './preview-cache.js';
import { imageSize, renderJpeg, type RenderLimits } from './render.js';
import { previewSize, type Desired, type Size } from './sizing.js';

/** A readable picture event's attached file: what a preview is made from. */
export interface PreviewSource {
  userId: string;
  eventId: string;
  /** The event's `modified`: a changed event gets new previews. */
  modified: number;
  /** Path of the attached file on disk. */
  source: string;
}

export interface PreviewLimits extends RenderLimits {
  maxInputBytes: number;
  /** previews.cacheMaxAgeSeconds: a cached file used within a tenth of it is not touched again. */
  cacheMaxAgeSeconds: number;
}

/** Sources whose displayed size is remembered (about 100 bytes each). */
const MAX_KNOWN_SOURCES = 10_000;

/**
 * Event previews, produced in the previews worker only: size the preview from the source's header,
 * serve it from the cache or render it once (concurrent requests for the same preview share one
 * conversion). A cache hit costs two file operations and a read (issue #10: it was seven, and a
 * header parse by sharp, 1.5 ms of CPU per preview): the source's displayed size is remembered per
 * source file and event version (an attached file never changes under its path; a changed event
 * has a new `modified`), and the cached file's last use is set only when it is getting old.
 */
export class Previews {
  private readonly inflight = new Map<string, Promise<string>>();
  /** `{source}\0{modified}` → displayed size; oldest entry dropped first when full. */
  private readonly sourceSizes = new Map<string, Size>();
  private readonly touchAfterMs: number;

  constructor(
    readonly cache: PreviewCache,
    private readonly limits: PreviewLimits,
  ) {
    this.touchAfterMs = (limits.cacheMaxAgeSeconds * 1000) / 10;
  }

  /** The preview of a picture's attached file, as a JPEG (src/api/events/preview-source.ts checks access). */
  async get(picture: PreviewSource, desired: Desired): Promise<FileBody> {
    const size = previewSize(await this.sourceSize(picture), desired);
    const key: PreviewKey = { userId: picture.userId, eventId: picture.eventId, modified: picture.modified, ...size };
    // Opened before answering: a clean-up running now cannot pull the file from under the response.
    const file = (await this.cache.open(key, this.touchAfterMs)) ?? (await this.rendered(key, picture.source));
    return fileBody(file.handle, file.size);
  }

  private async sourceSize(picture: PreviewSource): Promise<Size> {
    const id = `${picture.source}\0${picture.modified}`;
    const known = this.sourceSizes.get(id);
    if (known !== undefined) return known;
    const { source } = picture;
    const bytes = (await stat(source).catch(() => null))?.size;
    if (bytes === undefined) throw errors.corruptedData('The attached file is missing.', { reason: 'unreadable' });
    if (bytes > this.limits.maxInputBytes) {
      throw errors.corruptedData('The image is too large to preview.', { reason: 'too-large', limit: this.limits.maxInputBytes });
    }
    const size = await imageSize(source, this.limits);
    if (this.sourceSizes.size >= MAX_KNOWN_SOURCES) {
      const oldest = this.sourceSizes.keys().next();
      if (oldest.done !== true) this.sourceSizes.delete(oldest.value);
    }
    this.sourceSizes.set(id, size);
    return size;
  }

  private async rendered(key: PreviewKey, source: string): Promise<OpenPreview> {
    const id = this.cache.pathOf(key);
    let job = this.inflight.get(id);
    if (job === undefined) {
      job = this.cache
        .put(key, (temp) => renderJpeg(source, temp, key, this.limits))
        .finally(() => this.inflight.delete(id));
      this.inflight.set(id, job);
    }
    await job;
    // Just written, so in use: not touched.
    const file = await this.cache.open(key, Number.POSITIVE_INFINITY);
    if (file === null) throw new Error('a preview was removed right after it was rendered');
    return file;
  }
}
