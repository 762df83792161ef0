import type { FastifyInstance } from 'fastify';

/**
 * CORS on every answer (Pryv API §1.3): apps run in browsers on other origins and send the token
 * in a header, so the request's Origin is echoed with credentials allowed; preflights get 200.
 */
export function corsHooks(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    reply.header('access-control-allow-origin', typeof origin === 'string' ? origin : '*');
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', 'API-Version, Pryv-Access-Id');
    const method = req.headers['access-control-request-method'];
    const headers = req.headers['access-control-request-headers'];
    reply.header('access-control-allow-methods', typeof method === 'string' ? method : 'POST, GET, PUT, DELETE, OPTIONS');
    reply.header('access-control-allow-headers', typeof headers === 'string' ? headers : 'Authorization, Content-Type');
    reply.header('access-control-max-age', '31536000');
    if (req.method === 'OPTIONS') return reply.code(200).send();
    return undefined;
  });
}
