import { describe, expect, it } from 'vitest';
import { QTYPE, RCODE, Zone } from '../../../src/dns/zone.js';
import type { CoreRecord } from '../../../src/platform/cores.js';

const core = (id: string, ip: string | null, available = true): CoreRecord => ({ id, url: `https://${id}.example.test/`, hosting: 'h', available, userCount: 0, ip });
const CORES = [core('core-a', '10.0.0.1'), core('core-b', '10.0.0.2', false), core('core-c', null)];

function zone(maxAnswers = 16) {
  const lookups: string[] = [];
  const z = new Zone(
    {
      domain: 'Example.Test',
      ttlSeconds: 60,
      maxAnswers,
      hostmaster: null,
      staticRecords: [
        { name: 'www', type: 'CNAME', value: 'elsewhere.example.org' },
        { name: '@', type: 'TXT', value: 'v=spf1 -all' },
        { name: 'mail', type: 'A', value: '10.9.9.9' },
      ],
    },
    {
      cores: async () => CORES,
      homeOf: async (username) => {
        lookups.push(username);
        return username === 'alice' ? { coreId: 'core-b', url: '', ip: '10.0.0.2', available: false } : null;
      },
    },
  );
  return { z, lookups };
}

describe('DNS zone', () => {
  it.each([
    ['lsc.example.test', ['10.0.0.1', '10.0.0.2']],
    ['reg.example.test', ['10.0.0.1']],
    ['access.example.test.', ['10.0.0.1']],
    ['example.test', ['10.0.0.1']],
    ['core-b.example.test', ['10.0.0.2']],
    ['alice.EXAMPLE.test', ['10.0.0.2']],
    ['mail.example.test', ['10.9.9.9']],
  ])('%s A → %j', async (name, ips) => {
    const a = await zone().z.answer(name, QTYPE.A);
    expect(a.rcode).toBe(RCODE.NOERROR);
    expect(a.answers.map((r) => r.address)).toEqual(ips);
  });

  it('answers NXDOMAIN with the SOA for unknown names, REFUSED outside the domain', async () => {
    const { z } = zone();
    const nx = await z.answer('nobody1.example.test', QTYPE.A);
    expect([nx.rcode, nx.answers.length, nx.authorities[0]?.type]).toEqual([RCODE.NXDOMAIN, 0, QTYPE.SOA]);
    expect((await z.answer('x.y.example.test', QTYPE.A)).rcode).toBe(RCODE.NXDOMAIN);
    expect((await z.answer('example.org', QTYPE.A)).rcode).toBe(RCODE.REFUSED);
    expect((await z.answer('notexample.test', QTYPE.A)).rcode).toBe(RCODE.REFUSED);
  });

  it('remembers unknown usernames briefly instead of asking the platform DB per query', async () => {
    const { z, lookups } = zone();
    await z.answer('nobody1.example.test', QTYPE.A);
    await z.answer('nobody1.example.test', QTYPE.A);
    expect(lookups).toEqual(['nobody1']);
  });

  it('serves apex SOA/NS/TXT, CNAME statics, NODATA for a core without IP, and bounds answers', async () => {
    const { z } = zone();
    expect((await z.answer('example.test', QTYPE.SOA)).answers[0]).toMatchObject({ primary: 'core-a.example.test', admin: 'hostmaster.example.test' });
    expect((await z.answer('example.test', QTYPE.NS)).answers.map((r) => r.ns)).toEqual(['core-a.example.test', 'core-b.example.test']);
    expect((await z.answer('example.test', QTYPE.TXT)).answers.map((r) => r.data)).toEqual(['v=spf1 -all']);
    expect((await z.answer('www.example.test', QTYPE.A)).answers).toMatchObject([{ type: QTYPE.CNAME, domain: 'elsewhere.example.org' }]);
    const nodata = await z.answer('core-c.example.test', QTYPE.A);
    expect([nodata.rcode, nodata.answers.length, nodata.authorities.length]).toEqual([RCODE.NOERROR, 0, 1]);
    expect((await zone(1).z.answer('lsc.example.test', QTYPE.A)).answers).toHaveLength(1);
  });
});
