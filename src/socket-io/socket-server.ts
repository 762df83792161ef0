import { ServerResponse, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Server } from 'socket.io';
import type { RequestContext, Services } from '../api/context.js';
import { callFacts, resolveCaller } from '../api/resolve-user.js';
import { collect, toApiError, type CallContext, type MethodRegistry } from '../api/registry.js';
import { authenticate } from '../auth/authenticate.js';
import { ApiError, errors } from '../errors/index.js';
import { meta } from '../domain/meta.js';
import type { User } from '../domain/types.js';
import { callerContext, withAccess } from '../http/plugins/user-context.js';
import type { ClientToServerEvents, InterServerEvents, MethodAck, ServerToClientEvents, SocketData, UserSocket } from './socket-events.js';
import { SocketSessions } from './socket-sessions.js';
import { SUBSCRIPTION_METHODS, subscriptionCall } from './socket-scopes.js';

export const SOCKET_IO_PATH = '/socket.io';
/** Pryv API §6: connections are re-checked at least this often. */
const RECHECK_INTERVAL_MS = 30_000;
const POLLING_REFUSED =
  'Socket.IO is served over WebSocket only: connect with the option transports: ["websocket"] (long-polling is not supported).';

type ConnectError = Error & { data?: unknown };

function firstString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

/**
 * Socket.IO on the API worker's HTTP server (Pryv API §6): namespace `/{username}` (subdomain mode)
 * or `/{username}/{username}` (dnsLess), the username being the last segment; handshake auth as
 * HTTP; every API method callable through the same registry as HTTP and batch calls; change
 * messages from the notification bus, whichever worker made the change.
 *
 * WebSocket only: under node:cluster each connection lands on one worker, and a websocket is one
 * TCP connection, so no sticky sessions are needed (long-polling would spread one session's
 * requests over workers). The SDK uses websocket only; polling requests get a clear 400.
 */
export function attachSocketServer(app: FastifyInstance, services: Services, registry: MethodRegistry): void {
  const { config } = services;
  const serial = config.service.serial;
  const log = services.logger.child({ component: 'socket.io' });
  const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(app.server, {
    path: SOCKET_IO_PATH,
    transports: ['websocket'],
    serveClient: false,
    // One child namespace per user: dropped when its last socket leaves.
    cleanupEmptyChildNamespaces: true,
    // A socket callBatch may be as large as an HTTP batch body.
    maxHttpBufferSize: config.http.bodyLimitBytes,
  });
  io.engine.use(refuseLongPolling(serial));
  io.engine.on('connection_error', (e: { code: number; message: string }) => log.debug({ code: e.code, reason: e.message }, 'engine.io connection refused'));
  const sessions = new SocketSessions(services, log, RECHECK_INTERVAL_MS);
  const baseCtx: CallContext = { services, user: null, access: null, callerId: null, origin: null, referer: null };

  const connectError = (err: unknown): ConnectError => {
    const e = toApiError(err, baseCtx);
    const out: ConnectError = new Error(e.message);
    out.data = { error: e.toJSON(), meta: meta(serial) };
    return out;
  };

  // Nothing is served on the main namespace.
  io.use((_socket, next) => next(connectError(errors.notFound('Connect to the namespace of a user: {apiEndpoint}{username}.'))));

  const users = io.of(/^\/.+$/);
  users.use((socket, next) => {
    handshake(services, socket)
      // Connected only once the whole core sends this user's changes here (SocketSessions.announce).
      .then(() => sessions.announce(socket.data.user.username))
      .then(
        () => next(),
        (err: unknown) => next(connectError(err)),
      )
      // Never an unhandled rejection: it would stop the worker.
      .catch((err: unknown) => log.error({ err }, 'socket handshake failed'));
  });
  users.on('connection', (socket) => {
    sessions.add(socket, socket.data.expires);
    log.debug({ username: socket.data.user.username, sockets: sessions.size }, 'socket connected');
    socket.onAny((method: unknown, ...args: unknown[]) => {
      if (typeof method !== 'string') return;
      callMethod(socket, method, args).catch((err: unknown) => log.error({ err, method }, 'socket call failed'));
    });
  });

  async function callMethod(socket: UserSocket, method: string, args: unknown[]): Promise<void> {
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as MethodAck) : null;
    const params = args.length > (ack === null ? 0 : 1) ? args[0] : {};
    const { user, token, callerId, origin, referer } = socket.data;
    const userAgent = firstString(socket.handshake.headers['user-agent']) ?? null;
    const ctx: CallContext = { ...baseCtx, user, callerId, origin, referer, clientAddress: socket.handshake.address, userAgent, transport: 'socket.io' };
    try {
      // Each call authenticates like an HTTP request, in the same one statement: the user, the
      // token's access and the streams version, so the worker's cached stream tree serves the call
      // instead of a whole load of the user's streams each time (issue #10).
      const caller = await socketCaller(services, user, token).catch((err: unknown) => {
        // The token or the user no longer works: answer, then close (the ack is flushed before the close).
        if (err instanceof ApiError) setImmediate(() => socket.disconnect(true));
        throw err;
      });
      const call = { ...ctx, ...caller };
      let result: unknown;
      if (method === 'callBatch') result = await registry.callBatch(call, params, config.limits.batchMaxCalls);
      else if (SUBSCRIPTION_METHODS.has(method)) result = await subscriptionCall({ ...call, methodId: method }, socket.data.scopes, method, params);
      else result = await collect(await registry.call(call, method, params), config.limits.maxResultItems);
      ack?.(null, { ...(typeof result === 'object' && result !== null ? result : {}), meta: meta(serial) });
    } catch (err) {
      ack?.({ error: toApiError(err, ctx).toJSON(), meta: meta(serial) });
    }
  }

  // Before fastify closes the HTTP server, which waits for every connection (websockets included);
  // engine.close() drops them all, the clients then reconnect elsewhere.
  app.addHook('preClose', async () => {
    sessions.close();
    io.engine.close();
  });
}

/** One socket call's user, access, streams version and webhook flag, as an HTTP request reads them (callerContext). */
async function socketCaller(services: Services, user: User, token: string): Promise<Pick<RequestContext, 'user' | 'access' | 'streamsVersion' | 'hasWebhooks'>> {
  const found = await resolveCaller(services, user.username, services.vault.lookupHashes(token));
  const access = await authenticate(services, found.user, token, found.access === undefined ? {} : { stored: found.access });
  return { user: found.user, access, ...callFacts(found) };
}

/** Handshake (Pryv API §1.2, §6): the namespace's last segment is the user, the token as over HTTP. */
async function handshake(services: Services, socket: UserSocket): Promise<void> {
  const h = socket.handshake;
  const auth: Record<string, unknown> = h.auth;
  // Unknown user → unknown-resource; homed on another core → wrong-core (with coreUrl).
  const { ctx, token } = await callerContext(services, {
    username: socket.nsp.name.split('/').pop() ?? '',
    tokens: {
      authorization: firstString(h.headers.authorization),
      queryAuth: firstString(h.query['auth']),
      // socket.io v4 clients may send it in the handshake payload: `io(url, { auth: { token } })`.
      formAuth: firstString(auth['token']),
    },
    missing: errors.missingToken,
    origin: firstString(h.headers.origin) ?? null,
    referer: firstString(h.headers.referer) ?? null,
    clientAddress: h.address,
    methodId: 'socket.handshake',
  });
  const { access } = withAccess(ctx);
  socket.data = { user: ctx.user, token: token ?? '', callerId: ctx.callerId, origin: ctx.origin, referer: ctx.referer, expires: access.expires, scopes: new Map() };
}

/** engine.io middleware: plain HTTP requests (long-polling) get the API error envelope, not a session. */
function refuseLongPolling(serial: string) {
  return (req: IncomingMessage, res: unknown, next: (err?: Error) => void): void => {
    // Upgrades come with a WebSocketResponse: let them through.
    if (!(res instanceof ServerResponse)) {
      next();
      return;
    }
    const origin = req.headers.origin;
    res.writeHead(400, {
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': typeof origin === 'string' ? origin : '*',
      'access-control-allow-credentials': 'true',
    });
    res.end(JSON.stringify({ error: errors.invalidRequestStructure(POLLING_REFUSED).toJSON(), meta: meta(serial) }));
    // `next` is deliberately not called: the answer is complete (express-style middleware).
  };
}
