import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where webhook calls may go (issue #5: safe by default). Addresses inside the core's own networks
 * are refused unless `webhooks.allowedHosts` names the URL's host: otherwise any app could make the
 * server call its loopback services, the LAN or a cloud metadata endpoint (SSRF). Checked when a
 * webhook is created and again on every connection, after DNS resolution (see `guardedLookup`).
 */
const REFUSED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  REFUSED.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local, fd00:ec2::254 (AWS metadata) included
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  REFUSED.addSubnet(net, bits, 'ipv6');
}

/**
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) would carry any IPv4 address past the IPv4 rules: all refused.
 * A list of its own, since BlockList matches plain IPv4 addresses against such a rule too.
 */
const MAPPED = new BlockList();
MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/** True for an address a webhook may not reach without an allowedHosts entry. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return REFUSED.check(address, 'ipv4');
  if (family === 6) return MAPPED.check(address, 'ipv6') || REFUSED.check(address, 'ipv6');
  return true;
}

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
