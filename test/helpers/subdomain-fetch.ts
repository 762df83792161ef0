import { Resolver } from 'node:dns/promises';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

/**
 * A `fetch` that resolves the platform's names (`{username}.{domain}`, `reg.{domain}`, …) with the
 * embedded DNS server, as a client whose resolver is delegated the domain would, and then connects to
 * the core owning the resolved IP. The cores under test all listen on 127.0.0.1 with their own ports,
 * so `portOf(ip)` maps the IP the DNS answered to that core's port; the request keeps its URL, hence
 * its `Host` header, which is what subdomain routing reads. Other names resolve normally.
 */
export function subdomainFetch(options: {
  domain: string;
  dns: { host: string; port: number };
  portOf: (ip: string) => number | null;
  /** Which IP to use when the DNS answers several (e.g. pin `reg.` to one core). */
  choose?: (name: string, ips: string[]) => string | undefined;
}): { fetch: typeof globalThis.fetch; close: () => Promise<void> } {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([`${options.dns.host}:${options.dns.port}`]);
  const connect = buildConnector({});
  const agent = new Agent({
    connect: (opts, callback) => {
      const name = opts.hostname.toLowerCase();
      if (!name.endsWith(`.${options.domain}`)) return connect(opts, callback);
      resolver.resolve4(name).then(
        (ips) => {
          const ip = options.choose?.(name, ips) ?? ips[0];
          const port = ip === undefined ? null : options.portOf(ip);
          if (port === null) return callback(new Error(`${name}: no core at ${ips.join(', ') || 'no address'}`), null);
          connect({ ...opts, hostname: '127.0.0.1', host: `127.0.0.1:${port}`, port: String(port) }, callback);
        },
        (err: Error) => callback(err, null),
      );
    },
  });
  const fetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch, close: () => agent.close() };
}
