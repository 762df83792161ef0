import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export type RequestLogMode = 'off' | 'errors' | 'all';

/**
 * Per-request log lines by `logging.requests` (issue #16): fastify's default is an `incoming` and a
 * `completed` info line per request, 300,000 lines in a two-minute load test. `errors` (the default)
 * keeps only requests answered 5xx or cut by an error, at error level, except the /health and
 * /ready probes; `off` drops them all. Errors
 * raised inside a request are logged by the error handler whatever the mode.
 */
/** Probes answer 503 by design (draining, a dependency down): polled every second, never an error line. */
const PROBES = new Set(['/health', '/ready']);

class QuietLogController extends LogController {
  constructor(private readonly mode: 'off' | 'errors') {
    super();
  }

  override incomingRequest(): void {}

  override routeNotFound(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.mode === 'off' || (reply.statusCode < 500 && (error === null || error === undefined))) return;
    if (PROBES.has(request.routeOptions.url ?? '')) return;
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error === null || error === undefined) reply.log.error(fields, 'request completed');
    else reply.log.error({ ...fields, err: error }, 'request errored');
  }
}

/** The fastify `logController` for a mode; `all` keeps fastify's own. */
export function requestLogController(mode: RequestLogMode): LogController {
  return mode === 'all' ? new LogController() : new QuietLogController(mode);
}
