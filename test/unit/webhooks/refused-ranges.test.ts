import { describe, expect, it } from 'vitest';
import { embeddedIpv4, ipv6Bytes, isRefusedAddress } from '../../../src/webhooks/refused-ranges.js';

/** One row per range (issue #16 hole 6): a refused example inside it and an allowed one just outside. */
const RANGES: Array<[range: string, refused: string[], allowed: string[]]> = [
  ['0.0.0.0/8', ['0.0.0.0', '0.255.255.255'], ['1.0.0.1']],
  ['10.0.0.0/8', ['10.0.0.1', '10.255.255.255'], ['11.0.0.1', '9.255.255.255']],
  ['100.64.0.0/10 CGNAT', ['100.64.0.1', '100.127.255.255'], ['100.63.255.255', '100.128.0.1']],
  ['127.0.0.0/8', ['127.0.0.1', '127.255.0.9'], ['128.0.0.1']],
  ['169.254.0.0/16', ['169.254.169.254'], ['169.255.0.1']],
  ['172.16.0.0/12', ['172.16.0.1', '172.31.255.255'], ['172.15.255.255', '172.32.0.1']],
  ['192.0.0.0/24', ['192.0.0.8'], ['192.0.3.1']],
  ['192.88.99.0/24', ['192.88.99.1'], ['192.88.98.1']],
  ['192.168.0.0/16', ['192.168.0.1'], ['192.169.0.1']],
  ['198.18.0.0/15', ['198.18.0.1', '198.19.255.255'], ['198.20.0.1']],
  ['documentation ranges: not refused (never routed)', [], ['192.0.2.1', '198.51.100.7', '203.0.113.7', '2001:db8::1']],
  ['224.0.0.0/4 multicast', ['224.0.0.1', '239.255.255.255'], ['223.255.255.255']],
  ['240.0.0.0/4 reserved', ['240.0.0.1', '255.255.255.255'], []],
  ['::/128 and ::1/128', ['::', '::1', '0:0:0:0:0:0:0:1'], ['2606:4700::1111']],
  ['IPv4-mapped ::ffff:0:0/96', ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.1.2.3', '::ffff:169.254.169.254', '::FFFF:192.168.1.1'], ['::ffff:8.8.8.8']],
  ['IPv4-compatible ::/96', ['::127.0.0.1', '::7f00:1', '::10.0.0.1', '::169.254.169.254'], ['::8.8.8.8']],
  ['NAT64 64:ff9b::/96', ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '64:ff9b::192.168.0.1'], ['64:ff9b::8.8.8.8', '64:ff9b::101:101']],
  ['local-use NAT64 64:ff9b:1::/48', ['64:ff9b:1::8.8.8.8', '64:ff9b:1:ffff::1'], ['64:ff9b:2::1']],
  ['6to4 2002::/16', ['2002:7f00:1::1', '2002:a00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101::1'], ['2002:808:808::1']],
  ['Teredo 2001::/32', ['2001::1', '2001:0:4136:e378:8000:63bf:3fff:fdd2'], ['2001:1::1']],
  ['discard 100::/64', ['100::1'], ['100:0:0:1::1']],
  ['unique local fc00::/7', ['fc00::1', 'fd00:ec2::254'], ['fe00::1']],
  ['link-local fe80::/10', ['fe80::1', 'fe80::1%eth0'], ['2001:4860:4860::8888']],
  ['site-local fec0::/10', ['fec0::1'], []],
  ['multicast ff00::/8', ['ff02::1', 'ff0e::1'], ['2a00:1450::1']],
];

describe('isRefusedAddress over every range', () => {
  const refused = RANGES.flatMap(([range, r]) => r.map((ip) => [range, ip] as const));
  const allowed = RANGES.flatMap(([range, , a]) => a.map((ip) => [range, ip] as const));
  it.each(refused)('%s: refuses %s', (_range, ip) => expect(isRefusedAddress(ip)).toBe(true));
  it.each(allowed)('%s: allows %s', (_range, ip) => expect(isRefusedAddress(ip)).toBe(false));
  it.each(['not-an-ip', '', '1.2.3', '::g'])('refuses the non-address %j', (s) => expect(isRefusedAddress(s)).toBe(true));
});

describe('ipv6Bytes and embeddedIpv4', () => {
  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::1.2.3.4', '1.2.3.4'],
    ['64:ff9b::102:304', '1.2.3.4'],
    ['2002:102:304:5::6', '1.2.3.4'],
    ['2606:4700::1111', null],
  ])('%s leads to %s', (ip, v4) => expect(embeddedIpv4(ipv6Bytes(ip))).toBe(v4));

  it('expands :: in every position', () => {
    expect(Array.from(ipv6Bytes('1::'))).toEqual([0, 1, ...new Array<number>(14).fill(0)]);
    expect(Array.from(ipv6Bytes('1:2:3:4:5:6:7:8'))).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  });
});
