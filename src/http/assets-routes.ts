import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/index.js';
import { errors } from '../errors/index.js';
import { ASSETS_PATH } from '../api/endpoints.js';
import { projectRoot } from '../util/project-root.js';

/**
 * The service's assets (Pryv API §4.1 `assets.definitions`): the `index.json` the `pryv` SDK reads
 * (`ServiceAssets`, `Browser.LoginButton`, `AuthController`) and the files it names (favicon,
 * default CSS, the sign-in button's HTML, CSS and messages, the logo). They ship in `www/assets/`
 * and are read once at start: no file-system access per request, so no path can escape the folder.
 */
const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}


function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * Every file of `dir` by its slash-separated relative path. `index.json` gets the service name from
 * the configuration; its URLs stay relative, so the SDK resolves them against wherever it fetched
 * the index (any host name or path prefix the core is reached under).
 */
export function loadAssets(config: Readonly<Config>, dir = join(projectRoot(), ...ASSETS_PATH.split('/'))): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of listFiles(dir)) {
    const type = TYPES[extname(file).toLowerCase()];
    if (type === undefined) continue;
    const path = relative(dir, file).split(sep).join('/');
    let body = readFileSync(file);
    if (path === 'index.json') {
      const index = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      body = Buffer.from(JSON.stringify({ ...index, name: config.service.name }));
    }
    assets.set(path, asset(body, type));
  }
  return assets;
}

type AssetRequest = FastifyRequest<{ Params: { '*': string } }>;

export async function assetsRoutes(app: FastifyInstance, opts: { config: Readonly<Config> }): Promise<void> {
  const assets = loadAssets(opts.config);
  const send = (req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply => {
    const found = assets.get(path);
    if (found === undefined) throw errors.unknownResource('asset', path);
    reply.header('content-type', found.type).header('etag', found.etag).header('cache-control', 'public, max-age=300');
    if (req.headers['if-none-match'] === found.etag) return reply.code(304).send();
    return reply.send(found.body);
  };
  // `/reg/…` too: in subdomain mode `reg.{domain}/www/assets/…` is routed there (host-routing.ts).
  for (const prefix of [`/${ASSETS_PATH}`, `/reg/${ASSETS_PATH}`]) {
    app.get(`${prefix}*`, async (req: AssetRequest, reply) => send(req, reply, req.params['*']));
  }
  // Browsers ask every host for /favicon.ico on their own.
  app.get('/favicon.ico', async (req, reply) => send(req, reply, 'favicon.ico'));
}
