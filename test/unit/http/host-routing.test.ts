import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { rewriteForHost } from '../../../src/http/host-routing.js';

const subdomain = loadConfig({
  env: { HOMECORE_PLATFORM__DNS_LESS: 'false', HOMECORE_PLATFORM__DOMAIN: 'example.test', HOMECORE_CORE__ID: 'core-a' },
});
const dnsLess = loadConfig({ env: {} });

describe('rewriteForHost', () => {
  it.each([
    ['user host gets the /{username} prefix', 'alice.example.test', '/events?limit=1', '/alice/events?limit=1'],
    ['user host root', 'alice.example.test:443', '/', '/alice/'],
    ['reg host maps to /reg', 'reg.example.test', '/users', '/reg/users'],
    ['reg host keeps an explicit /reg path', 'reg.example.test', '/reg/service/info', '/reg/service/info'],
    ['access host maps to the access-request base', 'access.example.test', '/access/abc', '/reg/access/abc'],
    ['the core own name is not a user', 'core-a.example.test', '/ready', '/ready'],
    ['health stays on any host', 'alice.example.test', '/health', '/health'],
    ['other domains are untouched', 'alice.other.test', '/events', '/events'],
    ['nested labels are not users', 'a.b.example.test', '/x', '/x'],
  ])('%s', (_n, host, url, expected) => {
    expect(rewriteForHost(host, url, subdomain)).toBe(expected);
  });

  it('never rewrites in dnsLess mode', () => {
    expect(rewriteForHost('alice.example.test', '/events', dnsLess)).toBe('/events');
  });
});
