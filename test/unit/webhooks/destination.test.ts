import { describe, expect, it } from 'vitest';
import { AllowedHosts, isRefusedAddress, refuseUrl } from '../../../src/webhooks/destination.js';
import { signatureHeader, verifySignature } from '../../../src/webhooks/signature.js';

describe('isRefusedAddress', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1',
    '100.127.255.255', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fc00::1', 'fd00:ec2::254', 'fe80::1', '::ffff:127.0.0.1',
    '::ffff:7f00:1', 'ff02::1', 'not-an-ip',
  ])('refuses %s', (ip) => expect(isRefusedAddress(ip)).toBe(true));

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2001:4860:4860::8888', '1.1.1.1'])('accepts %s', (ip) =>
    expect(isRefusedAddress(ip)).toBe(false),
  );
});

describe('refuseUrl', () => {
  const allowed = new AllowedHosts(['127.0.0.1', 'Intranet.Example', '[::1]']);
  it.each<[string, boolean]>([
    ['http://127.0.0.1:3000/x', false],
    ['http://intranet.example/x', false],
    ['http://[::1]:80/x', false],
    ['http://127.0.0.2/x', true],
    ['http://[fe80::1]/x', true],
    ['https://93.184.215.14/x', false],
    ['file:///etc/passwd', true],
    ['ftp://example.com/x', true],
  ])('%s refused: %s', (url, refused) => expect(refuseUrl(new URL(url), allowed) !== null).toBe(refused));
});

describe('signatures', () => {
  it('verifies its own header and refuses another body, secret or an old timestamp', () => {
    const now = Math.floor(Date.now() / 1000);
    const h = signatureHeader('whsec_a', now, '{"messages":[]}');
    expect(h).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature('whsec_a', h, '{"messages":[]}', now)).toBe(true);
    expect(verifySignature('whsec_a', h, '{"messages":[1]}', now)).toBe(false);
    expect(verifySignature('whsec_b', h, '{"messages":[]}', now)).toBe(false);
    expect(verifySignature('whsec_a', h, '{"messages":[]}', now + 301)).toBe(false);
  });
});
