import { BlockList, isIP } from 'node:net';

/**
 * The address ranges a webhook may not reach without an `webhooks.allowedHosts` entry (issue #5, and
 * #16 hole 6). IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4)
 * are judged by the IPv4 address they lead to; tunnels whose far end cannot be read from the address
 * (Teredo, local-use NAT64) are refused whole. Documentation ranges (TEST-NET-*, 2001:db8::/32) are
 * not refused: never routed, they reach nothing, and tests use them as "public but silent".
 */
const IPV4_REFUSED: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, 169.254.169.254 cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

const IPV6_REFUSED: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): whatever the embedding, inside the operator's network
  ['100::', 64], // discard-only
  ['2001::', 32], // Teredo: the far end is obfuscated in the address
  ['fc00::', 7], // unique local, fd00:ec2::254 (AWS metadata) included
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
];

const V4 = new BlockList();
for (const [net, bits] of IPV4_REFUSED) V4.addSubnet(net, bits, 'ipv4');
// Its own list: a BlockList also matches IPv4 addresses against IPv4-mapped IPv6 rules and back.
const V6 = new BlockList();
for (const [net, bits] of IPV6_REFUSED) V6.addSubnet(net, bits, 'ipv6');

/** The 16 bytes of an IPv6 address (a valid one: checked with isIP first). */
export function ipv6Bytes(address: string): Uint8Array {
  let text = address.replace(/%.*$/, '').toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

const dotted = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
const zero = (b: Uint8Array, from: number, to: number): boolean => b.slice(from, to).every((x) => x === 0);

/** The IPv4 address an IPv6 address leads to, when it embeds one; null otherwise. */
export function embeddedIpv4(b: Uint8Array): string | null {
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return dotted(b, 12); // ::ffff:a.b.c.d (mapped)
  if (zero(b, 0, 12)) return dotted(b, 12); // ::a.b.c.d (compatible; :: and ::1 are refused above)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(b, 4, 12)) return dotted(b, 12); // NAT64 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return dotted(b, 2); // 6to4 2002:AABB:CCDD::/48
  return null;
}

/** True for an address a webhook may not reach without an allowedHosts entry (and for a non-address). */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return V4.check(address, 'ipv4');
  if (family !== 6) return true;
  if (V6.check(address, 'ipv6')) return true;
  const v4 = embeddedIpv4(ipv6Bytes(address));
  return v4 !== null && V4.check(v4, 'ipv4');
}
