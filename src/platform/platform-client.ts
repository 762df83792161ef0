import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import { loadRqliteCredential } from '../secrets/rqlite-auth.js';
import { RqliteClient, type RqliteTls } from './rqlite-client.js';

/** The core's client certificate for its rqlite HTTP API (multi mode), or undefined (single). */
function rqliteTlsConfigured(config: Readonly<Config>): boolean {
  const { caFile, certFile, keyFile } = config.platformDb.tls;
  return config.platform.mode === 'multi' && caFile !== null && certFile !== null && keyFile !== null;
}

export function rqliteTls(config: Readonly<Config>): RqliteTls | undefined {
  const { caFile, certFile, keyFile } = config.platformDb.tls;
  if (!rqliteTlsConfigured(config) || caFile === null || certFile === null || keyFile === null) return undefined;
  return { ca: readFileSync(caFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), servername: config.core.id };
}

export function rqliteUrl(config: Readonly<Config>): string {
  // An external rqlited in multi mode may run without TLS (clusterProblems allows it): https only with
  // the core's certificate to present.
  const scheme = rqliteTlsConfigured(config) ? 'https' : 'http';
  return `${scheme}://127.0.0.1:${config.platformDb.rqlited.httpPort}`;
}

/**
 * The platform-DB client of a core's processes: loopback, the rqlite credential always, and in multi
 * mode mutual TLS with the core's certificate, so no local process without the core's key can read
 * or rewrite the platform DB.
 */
export function createPlatformClient(
  config: Readonly<Config>,
  logger: Logger,
  options: { createCredential?: boolean; requestTimeoutMs?: number; retryBudgetMs?: number } = {},
): RqliteClient {
  return new RqliteClient({
    url: rqliteUrl(config),
    tls: rqliteTls(config),
    auth: loadRqliteCredential(config, { create: options.createCredential === true }),
    requestTimeoutMs: options.requestTimeoutMs ?? config.platformDb.requestTimeoutMs,
    retryBudgetMs: options.retryBudgetMs ?? config.platformDb.retryBudgetMs,
    logger,
  });
}
