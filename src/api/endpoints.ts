import type { Config } from '../config/index.js';

/**
 * Subdomain mode (`platform.dnsLess: false`): `{label}.{domain}` with the scheme and port of
 * `platform.publicUrl` (https and no port in production; http and a port behind a test harness).
 */
export function subdomainUrl(config: Readonly<Config>, label: string): string {
  const pub = new URL(config.platform.publicUrl);
  return `${pub.protocol}//${label}.${config.platform.domain ?? ''}${pub.port === '' ? '' : `:${pub.port}`}/`;
}

/** Base URL of a user's API (Pryv API §1.1), slash-terminated. */
export function userApiBase(config: Readonly<Config>, username: string): string {
  if (config.platform.dnsLess || config.platform.domain === null) return `${config.platform.publicUrl}${username}/`;
  return subdomainUrl(config, username);
}

/** `https://{token}@host/{username}/`: what apps store and the SDK parses. */
export function apiEndpoint(config: Readonly<Config>, username: string, token: string): string {
  const url = new URL(userApiBase(config, username));
  url.username = token;
  return url.toString();
}

export function registerUrl(config: Readonly<Config>): string {
  if (config.platform.dnsLess || config.platform.domain === null) return `${config.platform.publicUrl}reg/`;
  return subdomainUrl(config, 'reg');
}

export function accessUrl(config: Readonly<Config>): string {
  if (config.platform.dnsLess || config.platform.domain === null) return `${config.platform.publicUrl}reg/access/`;
  return `${subdomainUrl(config, 'access')}access/`;
}

/** The platform's own URLs (public, register, access): origins always trusted for logins. */
export function ownUrls(config: Readonly<Config>): string[] {
  return [config.platform.publicUrl, registerUrl(config), accessUrl(config)];
}

/** Where a core serves its assets (src/http/assets-routes.ts). */
export const ASSETS_PATH = 'www/assets/';

/** The assets URL apps are given: `service.assetsUrl` when set, else this core's own copy. */
export function assetsDefinitionsUrl(config: Readonly<Config>): string {
  return config.service.assetsUrl ?? `${config.platform.publicUrl}${ASSETS_PATH}index.json`;
}
