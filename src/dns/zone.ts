import { USERNAME_PATTERN } from '../domain/username.js';
import type { CoreRecord } from '../platform/cores.js';
import type { HomeCore } from '../platform/platform-db.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const QTYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, ANY: 255 } as const;
const IN = 1;

/** One answer record, in the shape dns2 encodes. */
export interface ZoneRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  address?: string;
  domain?: string;
  ns?: string;
  data?: string;
  primary?: string;
  admin?: string;
  serial?: number;
  refresh?: number;
  retry?: number;
  expiration?: number;
  minimum?: number;
}

export interface ZoneAnswer {
  rcode: number;
  answers: ZoneRecord[];
  authorities: ZoneRecord[];
}

/** What the zone is built from: the cores registry and user → home core (both cached upstream). */
export interface ZoneSource {
  cores(): Promise<CoreRecord[]>;
  homeOf(username: string): Promise<HomeCore | null>;
}

export interface ZoneSettings {
  domain: string;
  ttlSeconds: number;
  maxAnswers: number;
  hostmaster: string | null;
  staticRecords: readonly { name: string; type: 'A' | 'CNAME' | 'TXT'; value: string }[];
  /** How long an unknown username is remembered (new users resolve within this). */
  negativeCacheMs?: number;
}

const SERVICE_LABELS = new Set(['reg', 'access', 'mfa']);
const MAX_NEGATIVE = 10_000;

/**
 * The authoritative answers for `platform.domain` (docs/operations.md, DNS): apex SOA/NS/A,
 * `lsc` → every core (rqlite peer discovery), `reg`/`access`/`mfa` → available cores, `{coreId}` →
 * that core, `{username}` → the user's home core, static records. NXDOMAIN for unknown names,
 * REFUSED outside the domain (no recursion), at most `maxAnswers` records per answer.
 */
export class Zone {
  private readonly domain: string;
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly settings: ZoneSettings,
    private readonly source: ZoneSource,
  ) {
    this.domain = settings.domain.toLowerCase().replace(/\.$/, '');
  }

  async answer(qname: string, qtype: number): Promise<ZoneAnswer> {
    const name = qname.toLowerCase().replace(/\.$/, '');
    if (name !== this.domain && !name.endsWith(`.${this.domain}`)) return { rcode: RCODE.REFUSED, answers: [], authorities: [] };
    const label = name === this.domain ? '@' : name.slice(0, -(this.domain.length + 1));
    const cores = await this.source.cores();
    const soa = this.soa(cores);
    const statics = this.settings.staticRecords.filter((r) => r.name.toLowerCase().replace(/\.$/, '') === label || (label === '@' && r.name === this.domain));
    const cname = statics.find((r) => r.type === 'CNAME');
    if (cname !== undefined) return { rcode: RCODE.NOERROR, answers: [this.rec(name, QTYPE.CNAME, { domain: cname.value })], authorities: [] };

    let ips = await this.addressesOf(label, cores);
    if (ips === null && statics.length > 0) ips = [];
    if (ips === null) return { rcode: RCODE.NXDOMAIN, answers: [], authorities: [soa] };
    ips = [...new Set([...ips, ...statics.filter((r) => r.type === 'A').map((r) => r.value)])];

    const answers: ZoneRecord[] = [];
    const wants = (t: number): boolean => qtype === t || qtype === QTYPE.ANY;
    if (wants(QTYPE.A)) answers.push(...ips.map((ip) => this.rec(name, QTYPE.A, { address: ip })));
    if (wants(QTYPE.TXT)) answers.push(...statics.filter((r) => r.type === 'TXT').map((r) => this.rec(name, QTYPE.TXT, { data: r.value })));
    if (label === '@' && wants(QTYPE.NS)) answers.push(...this.nameservers(cores).map((ns) => this.rec(name, QTYPE.NS, { ns })));
    if (label === '@' && wants(QTYPE.SOA)) answers.push(soa);
    const bounded = answers.slice(0, this.settings.maxAnswers);
    return { rcode: RCODE.NOERROR, answers: bounded, authorities: bounded.length === 0 ? [soa] : [] };
  }

  /** IPv4s of a label, or null when the name does not exist. */
  private async addressesOf(label: string, cores: CoreRecord[]): Promise<string[] | null> {
    const withIp = (list: CoreRecord[]): string[] => list.flatMap((c) => (c.ip === null ? [] : [c.ip]));
    if (label === '@') return withIp(cores.filter((c) => c.available));
    if (label === 'lsc') return withIp(cores);
    if (SERVICE_LABELS.has(label)) return withIp(cores.filter((c) => c.available));
    const core = cores.find((c) => c.id === label);
    if (core !== undefined) return withIp([core]);
    if (!USERNAME_PATTERN.test(label)) return null;
    const until = this.unknown.get(label);
    if (until !== undefined && until > Date.now()) return null;
    const home = await this.source.homeOf(label);
    if (home === null) {
      if (this.unknown.size >= MAX_NEGATIVE) this.unknown.clear();
      this.unknown.set(label, Date.now() + (this.settings.negativeCacheMs ?? 2000));
      return null;
    }
    this.unknown.delete(label);
    return home.ip === null ? [] : [home.ip];
  }

  private nameservers(cores: CoreRecord[]): string[] {
    return cores.filter((c) => c.ip !== null).map((c) => `${c.id}.${this.domain}`);
  }

  private soa(cores: CoreRecord[]): ZoneRecord {
    const hostmaster = (this.settings.hostmaster ?? `hostmaster@${this.domain}`).replace('@', '.');
    return this.rec(this.domain, QTYPE.SOA, {
      primary: this.nameservers(cores)[0] ?? `lsc.${this.domain}`,
      admin: hostmaster,
      // Minutes since the epoch: grows, fits in 32 bits for millennia.
      serial: Math.floor(Date.now() / 60_000),
      refresh: 3600,
      retry: 600,
      expiration: 604_800,
      // Negative answers (NXDOMAIN) are cached by resolvers for at most this long (RFC 2308).
      minimum: Math.min(this.settings.ttlSeconds, 10),
    });
  }

  private rec(name: string, type: number, fields: Partial<ZoneRecord>): ZoneRecord {
    return { name, type, class: IN, ttl: this.settings.ttlSeconds, ...fields };
  }
}
