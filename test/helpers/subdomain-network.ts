import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { Resolver } from 'node:dns/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * The network a client of a subdomain-mode platform sees, inside this test process: names under the
 * platform's domain (`reg.`, `access.`, `{username}.`, `{coreId}.`) are resolved by the embedded DNS
 * server, as by a resolver the domain is delegated to, and each core answers on its own IP at the
 * public URL's port, as in production (a small TCP relay per core forwards `ip:publicPort` to the
 * core's API port on 127.0.0.1, where the test cores listen). Every client in the process (global
 * fetch, the SDK, socket.io-client's WebSocket) goes through `dns.lookup`, which is what is replaced;
 * other names resolve as usual. `close()` restores it.
 */
export interface SubdomainNetwork {
  close(): Promise<void>;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export async function subdomainNetwork(options: {
  domain: string;
  dns: { host: string; port: number };
  publicPort: number;
  cores: { ip: string; apiPort: number }[];
  /** Which IP to use when the DNS answers several (e.g. pin `reg.` to one core). */
  choose?: (name: string, ips: string[]) => string | undefined;
}): Promise<SubdomainNetwork> {
  const sockets = new Set<Socket>();
  const relays: Server[] = [];
  for (const core of options.cores) {
    const relay = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: core.apiPort });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    relays.push(relay);
    await new Promise<void>((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(options.publicPort, core.ip, () => resolve());
    }).catch(async (err: unknown) => {
      await Promise.all(relays.map((r) => new Promise((resolve) => r.close(resolve))));
      throw err;
    });
  }

  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([`${options.dns.host}:${options.dns.port}`]);
  const original = dns.lookup;
  const suffix = `.${options.domain}`;
  const patched = (hostname: string, opts: LookupOptions | number | LookupCallback, cb?: LookupCallback): void => {
    const callback = (typeof opts === 'function' ? opts : cb) as LookupCallback;
    const name = hostname.toLowerCase();
    if (!name.endsWith(suffix)) {
      (original as (h: string, o: unknown, c: LookupCallback) => void)(hostname, typeof opts === 'function' ? {} : opts, callback);
      return;
    }
    const all = typeof opts === 'object' && opts.all === true;
    resolver.resolve4(name).then(
      (ips) => {
        const ip = options.choose?.(name, ips) ?? ips[0];
        if (ip === undefined) return callback(Object.assign(new Error(`${name}: no address`), { code: 'ENOTFOUND' }), '');
        if (all) callback(null, [{ address: ip, family: 4 }]);
        else callback(null, ip, 4);
      },
      (err: NodeJS.ErrnoException) => callback(Object.assign(err, { code: 'ENOTFOUND' }), ''),
    );
  };
  dns.lookup = patched as typeof dns.lookup;

  return {
    async close() {
      dns.lookup = original;
      for (const s of sockets) s.destroy();
      await Promise.all(relays.map((r) => new Promise<void>((resolve) => r.close(() => resolve()))));
    },
  };
}
