import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { coreYaml, type CoreYaml } from '../../../src/cluster/files.js';

const base: CoreYaml = {
  coreId: 'core-b', url: 'https://core-b.example.com/', ip: '10.0.0.12', hosting: 'eu-1', zone: null,
  raftAddress: '10.0.0.12:4002', join: ['10.0.0.11:4002'], nonVoter: true,
  platform: { registration: { invitationTokens: null }, platform: { domain: 'example.com' } },
};

describe('coreYaml (the bootstrap\'s {varDir}/cluster/core.yml)', () => {
  it('places the core\'s hosting in its zone, region and name when given (platform schema v4)', () => {
    const doc = parse(coreYaml('/var/homecore', { ...base, zone: 'ch', region: 'europe', hostingName: 'EU 1' })) as Record<string, unknown>;
    expect(doc['registration']).toEqual({ invitationTokens: null, hosting: 'eu-1', zone: 'ch', region: 'europe', hostingName: 'EU 1' });
  });

  it('leaves zone, region and name to the core\'s own config when the bundle has none (older bundles)', () => {
    const doc = parse(coreYaml('/var/homecore', base)) as Record<string, unknown>;
    expect(doc['registration']).toEqual({ invitationTokens: null, hosting: 'eu-1' });
    expect(doc['platform']).toEqual({ domain: 'example.com', mode: 'multi' });
  });
});
