import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { checksRaftClients, joinedMarker, rqlitedArgs, rqliteNodeId } from '../../../src/master/rqlited.js';

const dir = mkdtempSync(join(tmpdir(), 'homecore-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const f of ['ca.crt', 'node.crt', 'node.key']) writeFileSync(join(dir, f), 'x');

const multi = (extra: Record<string, string> = {}) =>
  loadConfig({
    env: {
      HOMECORE_PATHS__VAR_DIR: join(dir, 'var'), HOMECORE_PLATFORM__MODE: 'multi', HOMECORE_PLATFORM__DOMAIN: 'example.com',
      HOMECORE_CORE__ID: 'core-b', HOMECORE_CORE__URL: 'https://core-b.example.com/', HOMECORE_CORE__IP: '10.0.0.12',
      HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: '0.0.0.0:4002', HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADVERTISED_ADDRESS: '10.0.0.12:4002',
      HOMECORE_PLATFORM_DB__TLS__CA_FILE: join(dir, 'ca.crt'), HOMECORE_PLATFORM_DB__TLS__CERT_FILE: join(dir, 'node.crt'),
      HOMECORE_PLATFORM_DB__TLS__KEY_FILE: join(dir, 'node.key'), ...extra,
    },
  });

const flag = (args: string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};

describe('rqlited command line', () => {
  it('single core: HTTP on loopback, -auth when given, no TLS and no join flags', () => {
    const args = rqlitedArgs(loadConfig({ env: { HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: '127.0.0.1:4002' } }), { authFile: '/x/auth.json' });
    expect(flag(args, '-http-addr')).toBe('127.0.0.1:4001');
    expect(flag(args, '-auth')).toBe('/x/auth.json');
    expect(flag(args, '-join-as')).toBe('homecore');
    expect(args.filter((a) => /^-(node|http)-(cert|key|ca-cert|verify-client)$|^-join$/.test(a))).toEqual([]);
  });

  it('clones of one core: each its own node id; a single-mode clone joins the first one (issue #13)', () => {
    const env = { HOMECORE_PATHS__VAR_DIR: join(dir, 'clone-var'), HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: '127.0.0.12:4002' };
    const plain = loadConfig({ env });
    expect(flag(rqlitedArgs(plain), '-node-id')).toBe('single');
    const a = loadConfig({ env: { ...env, HOMECORE_CORE__CLONE_ID: 'a' } });
    const b = loadConfig({ env: { ...env, HOMECORE_CORE__CLONE_ID: 'b', HOMECORE_PLATFORM_DB__RQLITED__JOIN: '[127.0.0.11:4002]', HOMECORE_PLATFORM_DB__RQLITED__NON_VOTER: 'true' } });
    expect([rqliteNodeId(a), rqliteNodeId(b)]).toEqual(['single.a', 'single.b']);
    expect(flag(rqlitedArgs(a), '-node-id')).toBe('single.a');
    expect(rqlitedArgs(a)).not.toContain('-join');
    const joining = rqlitedArgs(b);
    expect(flag(joining, '-node-id')).toBe('single.b');
    expect(flag(joining, '-join')).toBe('127.0.0.11:4002');
    expect(joining).toContain('-raft-non-voter');
    // Without a clone id a single core never joins anything: the configuration says so.
    expect(() => loadConfig({ env: { ...env, HOMECORE_PLATFORM_DB__RQLITED__JOIN: '[127.0.0.11:4002]' } })).toThrow(/or by a clone/);
  });

  it('multi: separate Raft bind and advertised addresses, mutual TLS on both ports', () => {
    const args = rqlitedArgs(multi());
    expect(flag(args, '-raft-addr')).toBe('0.0.0.0:4002');
    expect(flag(args, '-raft-adv-addr')).toBe('10.0.0.12:4002');
    expect(flag(args, '-http-addr')).toBe('127.0.0.1:4001');
    for (const f of ['-node-verify-client', '-http-verify-client']) expect(args).toContain(f);
    expect(flag(args, '-node-ca-cert')).toBe(join(dir, 'ca.crt'));
    expect(flag(args, '-http-cert')).toBe(join(dir, 'node.crt'));
  });

  it('joins (as a non-voter by default) only until this node is a confirmed member', () => {
    const config = multi({ HOMECORE_PLATFORM_DB__RQLITED__JOIN: '[10.0.0.11:4002]', HOMECORE_PLATFORM_DB__RQLITED__NON_VOTER: 'true' });
    const first = rqlitedArgs(config);
    expect(flag(first, '-join')).toBe('10.0.0.11:4002');
    expect(first).toContain('-raft-non-voter');
    expect(rqlitedArgs(config, { join: ['10.0.0.13:4002'], voter: true })).not.toContain('-raft-non-voter');
    mkdirSync(join(dir, 'var', 'rqlite'), { recursive: true });
    writeFileSync(joinedMarker(config), 'x');
    const later = rqlitedArgs(config);
    expect(later).not.toContain('-join');
    expect(later).not.toContain('-raft-non-voter');
  });
});

describe('which rqlited may run a multi-core platform', () => {
  it.each([
    ['8.43.4', true], ['8.43.3', true], ['8.44.0', true], ['8.43.2', false], ['8.26.8', false], ['9.4.5', false], ['10.0.0', false],
  ])('%s → %s', (version, safe) => {
    expect(checksRaftClients(version)).toBe(safe);
  });
});
