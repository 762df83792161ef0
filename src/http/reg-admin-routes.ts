import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../api/context.js';
import { errors } from '../errors/index.js';
import { meta } from '../domain/meta.js';
import { hidden, isAdmin } from './system-routes.js';

interface RegUser {
  username: string;
  server: string;
  [field: string]: string;
}

/** The platform DB's users as the reference register lists them: `server` is the home core's id. */
async function regUsers(services: Services): Promise<RegUser[]> {
  const users = await services.platform.usersWithFields();
  return users.map((u) => ({ ...u.fields, username: u.username, server: u.coreId }));
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `toHTML=true`: the list as an HTML table, as the reference register offers. */
function htmlTable(users: RegUser[]): string {
  const columns = [...new Set(['username', 'server', ...users.flatMap((u) => Object.keys(u))])];
  const row = (cells: string[], tag: string): string => `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Users</title></head><body><table>${row(columns, 'th')}${users.map((u) => row(columns.map((c) => u[c] ?? ''), 'td')).join('')}</table></body></html>`;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: { toHTML?: boolean } }>;
const TO_HTML = { querystring: { type: 'object', properties: { toHTML: { type: 'boolean' } }, additionalProperties: false } } as const;

/**
 * The legacy register's admin routes (reference "System-level API" → Admin: users.get, servers.get,
 * servers.users.get, servers.rename), answered from the platform DB. Admin key in `Authorization`
 * (this core's `auth.adminAccessKey`, the reference's REGISTER_ADMIN_KEY); without it they look
 * like unknown routes (404), as the other admin routes do.
 */
export async function regAdminRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  const withMeta = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, meta: meta(services.config.service.serial) });
  app.addHook('onRequest', async (req) => {
    if (!isAdmin(services, req)) throw hidden(req);
  });

  app.get('/reg/admin/users', { schema: TO_HTML }, async (req: Req, reply: FastifyReply) => {
    const users = await regUsers(services);
    if (req.query.toHTML === true) return reply.type('text/html; charset=utf-8').send(htmlTable(users));
    return withMeta({ users });
  });

  app.get('/reg/admin/servers', async () => {
    const [users, cores] = await Promise.all([services.platform.usersWithFields(), services.platform.cores.list()]);
    const servers: Record<string, number> = Object.fromEntries(cores.map((c) => [c.id, 0]));
    for (const u of users) servers[u.coreId] = (servers[u.coreId] ?? 0) + 1;
    return withMeta({ servers });
  });

  app.get('/reg/admin/servers/:serverName/users', async (req: Req) => {
    const name = req.params['serverName'] ?? '';
    return withMeta({ users: (await regUsers(services)).filter((u) => u.server === name) });
  });

  // Renaming would move users to another core in the platform DB while their data stays where it is.
  app.get('/reg/admin/servers/:srcServerName/rename/:dstServerName', async () => {
    throw errors.invalidOperation('Renaming core servers is not supported: a user is homed on the core that holds its data (a core keeps its id; its URL is changed in its own configuration).');
  });
}
