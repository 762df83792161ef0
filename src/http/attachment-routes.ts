import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { openAttachment } from '../api/events/attachments.js';
import { userContext } from './plugins/user-context.js';

type Req = FastifyRequest<{ Params: { username: string; id: string; fileId: string } }>;

/** RFC 6266 / 8187 `filename*`: UTF-8, percent-encoded (also the characters encodeURIComponent leaves but the ABNF forbids). */
export function contentDisposition(fileName: string): string {
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename*=UTF-8''${encoded}`;
}

/** events.getAttachment: `GET /{username}/events/{id}/{fileId}[/{anyName}]`, the file's bytes from disk (openAttachment). */
export async function attachmentRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const contextOf = userContext(services);
  const download = async (req: Req, reply: FastifyReply): Promise<unknown> => {
    // Who downloads (Pryv API §3.2): `?readToken=` or the Authorization header, never `?auth=`.
    const { ctx } = await contextOf(req, reply, { methodId: 'events.getAttachment', record: true, downloadOf: req.params.fileId });
    const { attachment, body, size } = await openAttachment(ctx, req.params.id, req.params.fileId);
    reply.headers({
      'content-type': attachment.type,
      'content-length': String(size),
      'content-disposition': contentDisposition(attachment.fileName),
      // Client-supplied types (text/html, image/svg+xml) must never run as this origin's pages.
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cache-control': 'private',
    });
    if (attachment.integrity?.startsWith('sha256-') === true) reply.header('digest', `SHA-256=${attachment.integrity.slice('sha256-'.length)}`);
    return reply.send(body);
  };
  app.get('/:username/events/:id/:fileId', download);
  app.get('/:username/events/:id/:fileId/:fileName', download);
}
