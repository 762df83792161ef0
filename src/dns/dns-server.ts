import dns2 from 'dns2';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/logger.js';
import type { PlatformDb } from '../platform/platform-db.js';
import { RCODE, Zone, type ZoneRecord } from './zone.js';

type Packet = InstanceType<typeof dns2.Packet>;
type Resource = Packet['answers'][number];

export interface RunningDns {
  udpPort: number | null;
  tcpPort: number | null;
  close(): Promise<void>;
}

/**
 * The embedded authoritative DNS server (dns2), UDP and TCP on `dns.bindAddress:dns.port`. Answers
 * come from `Zone` over the platform DB's per-process caches (cache epochs polled every
 * `platformDb.cache.pollMs`), so a query never costs an rqlite round trip once warm. `aa` is set,
 * `ra` is not: names outside the domain are REFUSED (no recursion).
 */
export async function startDnsServer(config: Readonly<Config>, platform: PlatformDb, logger: Logger): Promise<RunningDns> {
  const log = logger.child({ component: 'dns' });
  const domain = config.platform.domain;
  if (domain === null) throw new Error('dns.enabled needs platform.domain');
  const zone = new Zone(
    { domain, ttlSeconds: config.dns.ttlSeconds, maxAnswers: config.dns.maxAnswers, hostmaster: config.dns.hostmaster, staticRecords: config.dns.staticRecords },
    { cores: () => platform.cachedCores(), homeOf: (username) => platform.homeCoreOf(username) },
  );

  const handle = (request: Packet, send: (response: Packet) => Promise<Buffer> | undefined): void => {
    const response = dns2.Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    response.header.ra = 0;
    const reply = (rcode: number, answers: ZoneRecord[] = [], authorities: ZoneRecord[] = []): void => {
      response.header.rcode = rcode;
      // Authoritative for our zone only.
      if (rcode === RCODE.REFUSED) response.header.aa = 0;
      // Same fields as dns2's Resource minus its encoder method, which dns2 does not need on output.
      response.answers = answers as Resource[];
      response.authorities = authorities as Resource[];
      // The TCP transport's send returns nothing (UDP's a promise): normalise, never let it throw.
      Promise.resolve()
        .then(() => send(response))
        .catch((err: Error) => log.debug({ err: err.message }, 'dns answer not sent'));
    };
    const question = request.questions[0];
    if (request.questions.length !== 1 || question === undefined) {
      reply(RCODE.FORMERR);
      return;
    }
    if (request.header.opcode !== 0) {
      reply(RCODE.NOTIMP);
      return;
    }
    zone.answer(question.name, question.type).then(
      (a) => reply(a.rcode, a.answers, a.authorities),
      (err: Error) => {
        log.warn({ err: err.message, name: question.name }, 'dns lookup failed');
        reply(RCODE.SERVFAIL);
      },
    );
  };

  const server = dns2.createServer({ udp: { type: 'udp4' }, tcp: true, handle });
  server.on('requestError', (err: Error) => log.debug({ err: err.message }, 'malformed dns request'));
  const address = config.dns.bindAddress;
  const addresses = await server.listen({ udp: { port: config.dns.port, address }, tcp: { port: config.dns.port, address } });
  log.info({ address, udp: addresses.udp?.port, tcp: addresses.tcp?.port, domain }, 'dns server listening');
  return {
    udpPort: addresses.udp?.port ?? null,
    tcpPort: addresses.tcp?.port ?? null,
    close: () => server.close(),
  };
}
