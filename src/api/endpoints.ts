import type { Config } from '../config/index.js';

/** Base URL of a user's API (Pryv API §1.1), slash-terminated. */
export function userApiBase(config: Readonly<Config>, username: string): string {
  if (config.platform.dnsLess || config.platform.domain === null) return `${config.platform.publicUrl}${username}/`;
  return `https://${username}.${config.platform.domain}/`;
}

/** `https://{token}@host/{username}/`: what apps store and the SDK parses. */
export function apiEndpoint(config: Readonly<Config>, username: string, token: string): string {
  const url = new URL(userApiBase(config, username));
  url.username = token;
  return url.toString();
}

export function registerUrl(config: Readonly<Config>): string {
  if (config.platform.dnsLess || config.platform.domain === null) return `${config.platform.publicUrl}reg/`;
  return `https://reg.${config.platform.domain}/`;
}

export function accessUrl(config: Readonly<Config>): string {
  if (config.platform.dnsLess || config.platform.domain === null) return `${config.platform.publicUrl}reg/access/`;
  return `https://access.${config.platform.domain}/access/`;
}
