import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isRefusedAddress } from './refused-ranges.js';

/**
 * Where webhook calls may go (issue #5: safe by default). Addresses inside the core's own networks
 * (the ranges in refused-ranges.ts) are refused unless `webhooks.allowedHosts` names the URL's host:
 * otherwise any app could make the server call its loopback services, the LAN or a cloud metadata
 * endpoint (SSRF). Checked when a webhook is created and again on every connection, after DNS
 * resolution (see `guardedLookup`).
 */
export { isRefusedAddress };

/** A URL's host as written, lowercase, IPv6 brackets removed. */
export function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

export class AllowedHosts {
  private readonly hosts: Set<string>;

  constructor(hosts: readonly string[]) {
    this.hosts = new Set(hosts.map((h) => h.toLowerCase().replace(/^\[(.*)\]$/, '$1')));
  }

  has(host: string): boolean {
    return this.hosts.has(host.toLowerCase());
  }
}

export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
  readonly code = 'EWEBHOOKDESTINATION';
}

/** Scheme and literal-host checks; the reason a URL is refused, or null. */
export function refuseUrl(url: URL, allowed: AllowedHosts): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs are accepted';
  const host = hostOf(url);
  if (allowed.has(host)) return null;
  if (isIP(host) !== 0 && isRefusedAddress(host)) return `${host} is in a private, loopback, link-local or reserved range`;
  return null;
}

/** Every address of `host`; [] when it does not resolve within `timeoutMs`. */
const lookupAll = (host: string, timeoutMs: number): Promise<LookupAddress[]> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve([]), timeoutMs);
    dnsLookup(host, { all: true }, (err, addresses) => {
      clearTimeout(timer);
      resolve(err === null ? addresses : []);
    });
  });

/**
 * Create-time check: scheme, then the host literal or every address its name resolves to. A name
 * that does not resolve (yet) passes: every connection is checked again anyway.
 */
export async function checkDestination(rawUrl: string, allowed: AllowedHosts, timeoutMs: number): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return 'not a valid URL';
  }
  const literal = refuseUrl(url, allowed);
  const host = hostOf(url);
  if (literal !== null || allowed.has(host) || isIP(host) !== 0) return literal;
  const addresses = await lookupAll(host, timeoutMs);
  const bad = addresses.find((a) => isRefusedAddress(a.address));
  return bad === undefined ? null : `${host} resolves to ${bad.address}, in a private, loopback, link-local or reserved range`;
}

/**
 * The DNS lookup of webhook connections (undici `connect.lookup`): resolves, refuses the whole name
 * if any address is in a refused range, and hands exactly the checked addresses to the socket, so a
 * second resolution (DNS rebinding) never happens. Node skips `lookup` for IP literals: those are
 * checked by `refuseUrl` before each call.
 */
export function guardedLookup(allowed: AllowedHosts): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints ?? 0 }, (err, addresses) => {
      if (err !== null) return callback(err, '', 0);
      const bad = allowed.has(hostname) ? undefined : addresses.find((a) => isRefusedAddress(a.address));
      if (bad !== undefined) {
        return callback(new DestinationRefusedError(`webhook destination ${hostname} resolves to refused address ${bad.address}`), '', 0);
      }
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all === true) return callback(null, addresses);
      return callback(null, first.address, first.family);
    });
  };
}
