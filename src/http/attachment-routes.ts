import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext, Services } from '../api/context.js';
import { openAttachment } from '../api/events/attachments.js';
import { resolveUser } from '../api/resolve-user.js';
import { authenticate } from '../auth/authenticate.js';
import { extractToken } from '../auth/extract-token.js';
import { accessFromReadToken } from '../auth/read-token.js';
import type { Access, User } from '../domain/types.js';
import { errors } from '../errors/index.js';
import { parseQuery } from './query.js';

type Req = FastifyRequest<{ Params: { username: string; id: string; fileId: string } }>;

/** RFC 6266 / 8187 `filename*`: UTF-8, percent-encoded (also the characters encodeURIComponent leaves but the ABNF forbids). */
export function contentDisposition(fileName: string): string {
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename*=UTF-8''${encoded}`;
}

/**
 * Who downloads (Pryv API §3.2): `?readToken=` or the Authorization header. `?auth=` is refused: a
 * full token in a URL ends up in logs and browser history, a read token opens one file only.
 */
async function downloader(services: Services, user: User, req: Req): Promise<{ access: Access; callerId: string | null }> {
  const query = parseQuery(req.url.split('?')[1] ?? '');
  if (query['auth'] !== undefined) {
    throw errors.invalidAccessToken('Tokens in the URL are refused here: use "readToken" or the Authorization header.', { httpStatus: 401 });
  }
  const readToken = query['readToken'];
  if (readToken !== undefined) {
    if (typeof readToken !== 'string') throw errors.invalidAccessToken('Invalid read token.', { httpStatus: 401 });
    return { access: await accessFromReadToken(services, user, readToken, req.params.fileId), callerId: null };
  }
  const authorization = req.headers.authorization;
  const found = extractToken({ authorization: typeof authorization === 'string' ? authorization : undefined });
  if (found === null) throw errors.missingToken();
  return { access: await authenticate(services, user, found.token), callerId: found.callerId };
}

/** events.getAttachment: `GET /{username}/events/{id}/{fileId}[/{anyName}]`, the file's bytes streamed from disk. */
export async function attachmentRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const download = async (req: Req, reply: FastifyReply): Promise<unknown> => {
    const user = await resolveUser(services, req.params.username);
    const { access, callerId } = await downloader(services, user, req);
    reply.header('pryv-access-id', access.id);
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : null;
    const referer = typeof req.headers.referer === 'string' ? req.headers.referer : null;
    const ctx: RequestContext = { services, user, access, callerId, origin, referer, methodId: 'events.getAttachment' };
    services.accessCache.recordCall(ctx, ctx.methodId);
    const { attachment, stream, size } = await openAttachment(ctx, req.params.id, req.params.fileId);
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
    return reply.send(stream);
  };
  app.get('/:username/events/:id/:fileId', download);
  app.get('/:username/events/:id/:fileId/:fileName', download);
}
