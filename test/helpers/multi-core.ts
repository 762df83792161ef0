import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startCore, type CoreProcess } from './core-process.js';

/**
 * Several real cores (`dist/bin/master.js`) in multi-core mode sharing the suite's one rqlited
 * (`platformDb.rqlited.external`), each with its own PostgreSQL database, ports and var dir, and a
 * hosting and domain of their own so other test files' cores never interfere. Subdomain mode
 * (`platform.dnsLess: false`); paths `/{username}/…` on a core's own URL still work.
 */
export interface Platform {
  tag: string;
  domain: string;
  hosting: string;
  /** Where the hosting sits in /reg/hostings (registration.region / zone / hostingName). */
  region: string;
  zone: string;
  hostingName: string;
  /** The port of `platform.publicUrl` (`http://{domain}:{publicPort}/`). */
  publicPort: number;
  rqliteUrl: string;
  start(letter: string, ip: string, env?: Record<string, string>): Promise<MultiCore>;
  /**
   * Another clone of `of` (issue #13): same core id, IP, core.url (set it to the clones' load
   * balancer when starting `of`, whose own `core.cloneId` must be set), database and secrets.
   */
  startClone(of: MultiCore, cloneId: string, env?: Record<string, string>): Promise<MultiCore>;
}

export interface MultiCore {
  id: string;
  ip: string;
  core: CoreProcess;
  url: string;
}

export function platformForTest(options: { publicPort?: number } = {}): Platform {
  const publicPort = options.publicPort ?? 8080;
  const tag = randomBytes(3).toString('hex');
  const rqliteUrl = inject('services').rqliteUrl;
  const domain = `p${tag}.test`;
  const hosting = `mc-${tag}`;
  const place = { region: `region-${tag}`, zone: `zone-${tag}`, hostingName: `Hosting ${tag}` };
  const common = {
    HOMECORE_PLATFORM_DB__RQLITED__EXTERNAL: 'true',
    HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: new URL(rqliteUrl).port,
    HOMECORE_PLATFORM_DB__CACHE__POLL_MS: '500',
    HOMECORE_PLATFORM__MODE: 'multi',
    HOMECORE_PLATFORM__DOMAIN: domain,
    // Subdomain mode: users at http://{username}.{domain}:{publicPort}/ (the scheme and port of publicUrl).
    HOMECORE_PLATFORM__DNS_LESS: 'false',
    HOMECORE_PLATFORM__PUBLIC_URL: `http://${domain}:${publicPort}/`,
    HOMECORE_REGISTRATION__HOSTING: hosting,
    HOMECORE_REGISTRATION__REGION: place.region,
    HOMECORE_REGISTRATION__ZONE: place.zone,
    HOMECORE_REGISTRATION__HOSTING_NAME: place.hostingName,
    HOMECORE_AUTH__ADMIN_ACCESS_KEY: 'multi-core-admin-key-0123456789',
    HOMECORE_AUTH__TOKEN_SECRET: 'multi-core-token-secret-0123456789-0123456789',
    HOMECORE_CORE__AVAILABILITY_INTERVAL_MS: '500',
    HOMECORE_CLUSTER__API_WORKERS: '1',
    HOMECORE_CLUSTER__HFS_WORKERS: '0',
    HOMECORE_CLUSTER__PREVIEWS_WORKER: 'false',
    // The suite's one PostgreSQL serves every core; slow to accept connections on a loaded machine.
    HOMECORE_STORAGES__POSTGRESQL__CONNECT_TIMEOUT_MS: '15000',
  };
  return {
    tag,
    domain,
    hosting,
    ...place,
    publicPort,
    rqliteUrl,
    async start(letter, ip, env = {}) {
      const id = `mc${tag}-${letter}`;
      const core = await startCore({
        env: { ...common, HOMECORE_CORE__ID: id, HOMECORE_CORE__IP: ip, ...env },
        // A core.url given in `env` (a load balancer in front of clones) is kept.
        envFor: (ports) => ({ HOMECORE_CORE__URL: env['HOMECORE_CORE__URL'] ?? `http://127.0.0.1:${ports.api}/` }),
      });
      await core.waitReady(90_000, [core.ports.api]);
      return { id, ip, core, url: `http://127.0.0.1:${core.ports.api}/` };
    },
    async startClone(of, cloneId, env = {}) {
      const core = await startCore({
        cloneOf: { core: of.core, cloneId },
        env: {
          ...common, HOMECORE_CORE__ID: of.id, HOMECORE_CORE__IP: of.ip, HOMECORE_CORE__URL: String(of.core.env['HOMECORE_CORE__URL']),
          // The platform's rqlited is run elsewhere here: nothing to join.
          HOMECORE_PLATFORM_DB__RQLITED__JOIN: '[]', HOMECORE_PLATFORM_DB__RQLITED__NON_VOTER: 'false', HOMECORE_MIGRATIONS__AUTO_RUN: 'false', ...env,
        },
      });
      await core.waitReady(90_000, [core.ports.api]);
      return { id: of.id, ip: of.ip, core, url: `http://127.0.0.1:${core.ports.api}/` };
    },
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { id?: string; coreUrl?: string; data?: unknown } };
}

/** One HTTP call to a core, its JSON answer parsed (redirects not followed). */
export async function call(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { connection: 'close' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token !== undefined) headers['authorization'] = init.token;
  const res = await fetch(new URL(path, base), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) };
}
