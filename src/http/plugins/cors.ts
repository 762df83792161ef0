import cors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

const DEFAULT_METHODS = 'POST, GET, PUT, DELETE, OPTIONS';
const DEFAULT_HEADERS = 'Authorization, Content-Type';
const MAX_AGE = 31_536_000;

/**
 * CORS on every answer (Pryv API §1.3) with @fastify/cors: apps run in browsers on other origins and
 * send the token in a header, so the request's Origin is echoed with credentials allowed (`*` when
 * there is none), and preflights get 200 with the requested method and headers echoed. Every answer
 * varies on Origin, and preflights on the requested method and headers too, so a shared cache never
 * serves one origin's answer to another (#16 hole 7).
 */
export async function corsHooks(app: FastifyInstance): Promise<void> {
  // Before the plugin's hook: a preflight is answered there, and its answer must carry these too.
  app.addHook('onRequest', async (req, reply) => {
    if (req.method === 'OPTIONS') {
      reply.header('vary', 'Access-Control-Request-Method, Access-Control-Request-Headers');
      return;
    }
    // Today's answers (what the SDK has always seen) carry the allow lists outside preflights too.
    reply.header('access-control-allow-methods', DEFAULT_METHODS);
    reply.header('access-control-allow-headers', DEFAULT_HEADERS);
    reply.header('access-control-max-age', String(MAX_AGE));
  });
  await app.register(cors, {
    hideOptionsRoute: true,
    delegator: (req, callback) => {
      const origin = req.headers.origin;
      const method = req.headers['access-control-request-method'];
      const headers = req.headers['access-control-request-headers'];
      const options: FastifyCorsOptions = {
        origin: typeof origin === 'string' && origin !== '' ? origin : '*',
        credentials: true,
        exposedHeaders: 'API-Version, Pryv-Access-Id',
        methods: typeof method === 'string' ? method : DEFAULT_METHODS,
        maxAge: MAX_AGE,
        optionsSuccessStatus: 200,
        strictPreflight: false,
      };
      // Without allowedHeaders, @fastify/cors echoes Access-Control-Request-Headers.
      if (typeof headers !== 'string') options.allowedHeaders = DEFAULT_HEADERS;
      callback(null, options);
    },
  });
}
