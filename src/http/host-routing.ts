import type { Config } from '../config/index.js';

const REG_HOSTS = new Set(['reg', 'access', 'mfa']);

/**
 * Subdomain mode (Pryv API §1.1): `{username}.{domain}` serves that user's API at the root, and
 * `reg.`, `access.`, `mfa.` serve the register routes. Internally every user route is `/{username}/…`,
 * so the URL is rewritten before routing. The core's own name is not a username.
 */
export function rewriteForHost(host: string | undefined, url: string, config: Readonly<Config>): string {
  const domain = config.platform.domain;
  if (config.platform.dnsLess || domain === null || host === undefined) return url;
  const hostname = host.split(':')[0]?.toLowerCase() ?? '';
  const suffix = `.${domain.toLowerCase()}`;
  if (!hostname.endsWith(suffix)) return url;
  const label = hostname.slice(0, -suffix.length);
  if (label === '' || label.includes('.') || label === config.core.id) return url;
  if (url.startsWith('/health') || url.startsWith('/ready') || url.startsWith('/socket.io')) return url;
  if (REG_HOSTS.has(label)) {
    if (url.startsWith('/reg/') || url === '/reg') return url;
    // access.{domain}/access/… becomes /reg/access/…, the access-request base.
    return `/reg${url}`;
  }
  return `/${label}${url === '/' ? '/' : url}`;
}
