import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../api/context.js';
import { forbidden, loadScope } from '../api/stream-scope.js';
import { errors } from '../errors/index.js';
import { PreviewCache, type PreviewKey } from './preview-cache.js';
import { imageSize, renderJpeg, type RenderLimits } from './render.js';
import { previewSize, type Desired } from './sizing.js';

/** Only these events have previews (Pryv API §7); any other type → 204. */
const PREVIEW_TYPE = 'picture/attached';

export interface PreviewFile {
  stream: Readable;
  size: number;
}

/**
 * Event previews, produced in the previews worker only: check the caller may read the event, size
 * the preview from the source's header, serve it from the cache or render it once (concurrent
 * requests for the same preview share one conversion).
 */
export class Previews {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    readonly cache: PreviewCache,
    private readonly limits: RenderLimits & { maxInputBytes: number },
  ) {}

  /** The preview as a JPEG stream, or null when the event is not a picture (204). */
  async get(ctx: RequestContext, eventId: string, desired: Desired): Promise<PreviewFile | null> {
    const { user, logic } = await loadScope(ctx);
    const event = await ctx.services.stores.events.get(user.id, eventId);
    if (event === null) throw errors.unknownResource('event', eventId);
    if (!event.streamIds.some((s) => logic.canReadEvents(s))) throw forbidden(`Reading event "${eventId}" is forbidden.`);
    if (event.type !== PREVIEW_TYPE) return null;
    const attachment = event.attachments?.[0];
    if (attachment === undefined) throw errors.corruptedData('A picture/attached event without an attached file.', { reason: 'no-attachment' });
    const source = ctx.services.attachments.pathOf(user.id, event.id, attachment.id);
    const bytes = (await stat(source).catch(() => null))?.size;
    if (bytes === undefined) throw errors.corruptedData('The attached file is missing.', { reason: 'unreadable' });
    if (bytes > this.limits.maxInputBytes) {
      throw errors.corruptedData('The image is too large to preview.', { reason: 'too-large', limit: this.limits.maxInputBytes });
    }
    const size = previewSize(await imageSize(source, this.limits), desired);
    const key: PreviewKey = { userId: user.id, eventId: event.id, modified: event.modified, ...size };
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
