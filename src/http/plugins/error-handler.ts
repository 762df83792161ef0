import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errors } from '../../errors/index.js';
import { meta } from '../../domain/meta.js';
import { dependencyError } from '../../api/dependency-error.js';

/** Maps fastify's own error codes (bad JSON, body too large, …) to API errors. */
function fromFastifyError(err: FastifyError, bodyLimit: number, contentType: string | undefined): ApiError | null {
  if (err.validation !== undefined) {
    const data = err.validation.map((v) => ({
      code: v.keyword,
      message: v.message ?? 'invalid',
      path: `#${v.instancePath}`,
      param: v.instancePath.split('/')[1] ?? (v.params as { missingProperty?: string }).missingProperty ?? '',
    }));
    return errors.invalidParametersFormat('The parameters format is invalid.', data);
  }
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.invalidRequestStructure(`Malformed request body: ${err.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.tooLarge(bodyLimit);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedContentType(contentType ?? 'none');
    default:
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return errors.invalidRequestStructure(err.message);
      }
      return null;
  }
}

/** The request stream failed because the client went away (aborted upload, reset connection). */
function clientGone(err: FastifyError, req: FastifyRequest): boolean {
  if (err instanceof ApiError) return false;
  if (err.code === 'ERR_STREAM_PREMATURE_CLOSE') return true;
  return err.code === 'ECONNRESET' && (err.message === 'aborted' || req.raw.readableAborted);
}

/**
 * The single place where errors become responses: `{error: {id, message, data}, meta}` with the id's
 * status. Anything unexpected is logged with the request id and answered 500 `unexpected-error`
 * without internals.
 */
export function installErrorHandler(app: FastifyInstance, opts: { serial: string; bodyLimit: number }): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (clientGone(err, req)) {
      // The client closed the connection mid-body: its doing, not a dependency outage (#16).
      req.log.info({ code: err.code }, 'client closed the request before its body was complete');
      const e = errors.invalidRequestStructure('The request body was not received completely.');
      return reply.code(e.httpStatus).send({ error: e.toJSON(), meta: meta(opts.serial) });
    }
    let apiError = err instanceof ApiError ? err : (dependencyError(err) ?? fromFastifyError(err, opts.bodyLimit, req.headers['content-type']));
    if (apiError === null) {
      req.log.error({ err }, 'unexpected error');
      apiError = errors.unexpected();
    } else if (apiError.httpStatus >= 500) {
      req.log.error({ err: apiError, cause: apiError.cause }, apiError.message);
    }
    const retryAfter = (apiError.data as { retryAfter?: unknown } | undefined)?.retryAfter;
    if (apiError.id === 'too-many-attempts' && typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.code(apiError.httpStatus).send({ error: apiError.toJSON(), meta: meta(opts.serial) });
  });
  app.setNotFoundHandler((req, reply) => {
    const e = errors.unknownRoute(req.method, req.url);
    return reply.code(e.httpStatus).send({ error: e.toJSON(), meta: meta(opts.serial) });
  });
}
