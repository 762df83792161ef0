import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, envKeyToPath, envOverrides, loadConfig, validateConfig } from '../../../src/config/index.js';

/** loadConfig with only the given variables: never the developer's real environment. */
const load = (env: Record<string, string> = {}, configFile?: string, cwd?: string) =>
  loadConfig({ env, configFile, ...(cwd === undefined ? {} : { cwd }) });

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const tmp = mkdtempSync(join(tmpdir(), 'homecore-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeYaml(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe('loadConfig: defaults', () => {
  it('loads config/default.yml alone and it validates', () => {
    const config = load();
    expect(config.core.id).toBe('single');
    expect(config.http.apiPort).toBe(3000);
    expect(config.cluster.apiWorkers).toBe(2);
    expect(config.storages.engine).toBe('postgresql');
    expect(config.platform.mode).toBe('single');
    expect(config.platform.domain).toBeNull();
    expect(config.logging.level).toBe('info');
    // the raw merged object passes the schema on its own as well
    expect(validateConfig(structuredClone(config)).problems).toEqual([]);
  });

  it('resolves paths.varDir against cwd', () => {
    expect(load({}, undefined, '/srv/core').paths.varDir).toBe('/srv/core/var');
    expect(load({ HOMECORE_PATHS__VAR_DIR: '/abs/var' }, undefined, '/srv/core').paths.varDir).toBe('/abs/var');
  });

  it('deep-freezes the result', () => {
    const config = load();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cluster.restartBackoff)).toBe(true);
    expect(Object.isFrozen(config.storages.postgresql)).toBe(true);
    expect(() => {
      (config.cluster.restartBackoff as { maxMs: number }).maxMs = 1;
    }).toThrow(TypeError);
    expect(config.cluster.restartBackoff.maxMs).toBe(30000);
  });

  it('each call returns an independent object (no shared frozen state between loads)', () => {
    const a = load({ HOMECORE_CLUSTER__API_WORKERS: '3' });
    const b = load();
    expect(a.cluster.apiWorkers).toBe(3);
    expect(b.cluster.apiWorkers).toBe(2);
  });
});

describe('loadConfig: validation reports every problem', () => {
  it('lists several bad values at once', () => {
    const problems = problemsOf(() =>
      load({
        HOMECORE_HTTP__API_PORT: 'x',
        HOMECORE_CLUSTER__API_WORKERS: '0',
        HOMECORE_HTTP__NOT_A_KEY: '1',
        HOMECORE_LOGGING__LEVEL: 'loud',
      }),
    );
    expect(problems.some((p) => p.startsWith('http.apiPort:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('cluster.apiWorkers:') && p.includes('>= 1'))).toBe(true);
    expect(problems).toContain('http.notAKey: unknown key');
    expect(problems.some((p) => p.startsWith('logging.level:'))).toBe(true);
    // no line about keys that are fine
    expect(problems.some((p) => p.startsWith('http.hfsPort'))).toBe(false);
  });

  it('the ConfigError message lists each problem on its own line', () => {
    try {
      load({ HOMECORE_HTTP__API_PORT: 'x', HOMECORE_CLUSTER__API_WORKERS: '0' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const lines = (err as Error).message.split('\n').filter((l) => l.startsWith('  - '));
      expect(lines.length).toBe((err as ConfigError).problems.length);
      expect(lines.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('rejects an unknown top-level key and a wrong enum', () => {
    const problems = problemsOf(() => load({ HOMECORE_NOPE: '1', HOMECORE_STORAGES__ENGINE: 'sqlite' }));
    expect(problems).toContain('nope: unknown key');
    expect(problems.some((p) => p.startsWith('storages.engine:'))).toBe(true);
  });

  it('validateConfig on a non-object reports instead of throwing', () => {
    expect(validateConfig(42).problems.length).toBeGreaterThan(0);
    expect(validateConfig(42).config).toBeUndefined();
  });
});

describe('environment overrides', () => {
  it('maps variable names to config paths', () => {
    expect(envKeyToPath('HOMECORE_CLUSTER__API_WORKERS')).toEqual(['cluster', 'apiWorkers']);
    expect(envKeyToPath('HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT')).toEqual(['platformDb', 'rqlited', 'httpPort']);
    expect(envKeyToPath('HOMECORE_LOGGING__LEVEL')).toEqual(['logging', 'level']);
  });

  it('reads values as YAML scalars', () => {
    const { overrides, problems } = envOverrides({
      HOMECORE_CLUSTER__API_WORKERS: '4',
      HOMECORE_PLATFORM__DOMAIN: 'null',
      HOMECORE_CLUSTER__PREVIEWS_WORKER: 'false',
      HOMECORE_CORE__ID: 'core-7',
      HOMECORE_CONFIG: '/ignored.yml',
      OTHER_VAR: 'x',
    });
    expect(problems).toEqual([]);
    expect(overrides).toEqual({
      cluster: { apiWorkers: 4, previewsWorker: false },
      platform: { domain: null },
      core: { id: 'core-7' },
    });
  });

  it('reports malformed variable names', () => {
    expect(envOverrides({ HOMECORE_CLUSTER____X: '1' }).problems).toEqual(['HOMECORE_CLUSTER____X: malformed variable name']);
    expect(problemsOf(() => load({ HOMECORE_CLUSTER____X: '1' }))).toContain('HOMECORE_CLUSTER____X: malformed variable name');
  });

  it('typed values reach the loaded config', () => {
    const config = load({ HOMECORE_CLUSTER__API_WORKERS: '4', HOMECORE_PLATFORM__DOMAIN: 'null', HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: '4101' });
    expect(config.cluster.apiWorkers).toBe(4);
    expect(config.platform.domain).toBeNull();
    expect(config.platformDb.rqlited.httpPort).toBe(4101);
  });

  it('a numeric-looking value for a string key stays a string', () => {
    // service.serial defaults to '2026112201'; bumping it through the environment must work.
    const config = load({ HOMECORE_SERVICE__SERIAL: '2026112202', HOMECORE_STORAGES__POSTGRESQL__PASSWORD: '123456' });
    expect(config.service.serial).toBe('2026112202');
    expect(config.storages.postgresql.password).toBe('123456');
    // ...but a string key still refuses structured values
    expect(problemsOf(() => load({ HOMECORE_SERVICE__SERIAL: '[1, 2]' })).some((p) => p.startsWith('service.serial:'))).toBe(true);
  });
});

describe('override file', () => {
  it('is merged over the defaults, and the environment wins over it', () => {
    const file = writeYaml('override.yml', 'cluster:\n  apiWorkers: 3\n  hfsWorkers: 0\nhttp:\n  apiPort: 3100\n');
    const fromFile = load({}, file);
    expect(fromFile.cluster.apiWorkers).toBe(3);
    expect(fromFile.cluster.hfsWorkers).toBe(0);
    expect(fromFile.http.apiPort).toBe(3100);
    // keys absent from the file keep their defaults (deep merge, not replace)
    expect(fromFile.cluster.previewsWorker).toBe(true);
    expect(fromFile.cluster.restartBackoff.initialMs).toBe(500);

    const withEnv = load({ HOMECORE_CLUSTER__API_WORKERS: '5' }, file);
    expect(withEnv.cluster.apiWorkers).toBe(5);
    expect(withEnv.http.apiPort).toBe(3100);
  });

  it('is found through HOMECORE_CONFIG and resolved against cwd', () => {
    writeYaml('via-env.yml', 'logging:\n  level: debug\n');
    expect(load({ HOMECORE_CONFIG: 'via-env.yml' }, undefined, tmp).logging.level).toBe('debug');
  });

  it('an explicit file beats HOMECORE_CONFIG', () => {
    const a = writeYaml('a.yml', 'logging:\n  level: error\n');
    writeYaml('b.yml', 'logging:\n  level: trace\n');
    expect(load({ HOMECORE_CONFIG: join(tmp, 'b.yml') }, a).logging.level).toBe('error');
  });

  it('an empty file changes nothing', () => {
    expect(load({}, writeYaml('empty.yml', '')).http.apiPort).toBe(3000);
  });

  it('reports a missing file, a syntax error and a non-mapping top level', () => {
    expect(problemsOf(() => load({}, join(tmp, 'missing.yml')))).toEqual([`${join(tmp, 'missing.yml')}: cannot be read (ENOENT)`]);
    expect(problemsOf(() => load({}, writeYaml('bad.yml', 'http: [unclosed\n')))[0]).toMatch(/YAML syntax error/);
    expect(problemsOf(() => load({}, writeYaml('list.yml', '- a\n- b\n')))).toEqual([`${join(tmp, 'list.yml')}: top level must be a mapping`]);
  });

  it('file and environment problems are reported together', () => {
    const file = writeYaml('bad-values.yml', 'http:\n  apiPort: 70000\n');
    const problems = problemsOf(() => load({ HOMECORE_CLUSTER__HFS_WORKERS: '-1' }, file));
    expect(problems.some((p) => p.startsWith('http.apiPort:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('cluster.hfsWorkers:'))).toBe(true);
  });
});

describe('cross-key rules', () => {
  it('rejects two ports that are the same', () => {
    const problems = problemsOf(() => load({ HOMECORE_HTTP__HFS_PORT: '3000' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ports: 3000 used twice/);
    expect(problemsOf(() => load({ HOMECORE_PLATFORM_DB__RQLITED__HTTP_PORT: '3001' }))[0]).toMatch(/^ports: 3001/);
    // The Raft port and the embedded PostgreSQL port count too.
    expect(problemsOf(() => load({ HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: '127.0.0.1:3000' }))[0]).toMatch(/^ports: 3000/);
    expect(problemsOf(() => load({ HOMECORE_STORAGES__POSTGRESQL__PORT: '4001' }))[0]).toMatch(/^ports: 4001/);
    // An external PostgreSQL is another host's port: no clash.
    const external = { HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false', HOMECORE_STORAGES__POSTGRESQL__PASSWORD: 'pw-of-the-server' };
    expect(load({ HOMECORE_STORAGES__POSTGRESQL__PORT: '4001', ...external }).storages.postgresql.port).toBe(4001);
  });

  it('ships no database password: null by default, required for an external PostgreSQL (issue #16)', () => {
    expect(load({}).storages.postgresql.password).toBeNull();
    expect(problemsOf(() => load({ HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false' }))).toContain(
      'storages.postgresql.password: required with an external PostgreSQL (embedded: false)',
    );
  });

  it('storages.postgresql.hosts: "host:port" items, only with an external PostgreSQL (issue #13)', () => {
    const external = { HOMECORE_STORAGES__POSTGRESQL__EMBEDDED: 'false', HOMECORE_STORAGES__POSTGRESQL__PASSWORD: 'pw' };
    expect(load({ ...external, HOMECORE_STORAGES__POSTGRESQL__HOSTS: '[db1:5432, "10.0.0.2:5433"]' }).storages.postgresql.hosts).toEqual(['db1:5432', '10.0.0.2:5433']);
    expect(problemsOf(() => load({ HOMECORE_STORAGES__POSTGRESQL__HOSTS: '[db1:5432]' }))).toContain(
      'storages.postgresql.hosts: a host list needs an external PostgreSQL (embedded: false)',
    );
    expect(problemsOf(() => load({ ...external, HOMECORE_STORAGES__POSTGRESQL__HOSTS: '[db1]' })).join('\n')).toMatch(/storages\.postgresql\.hosts/);
    expect(load({}).migrations.autoRun).toBe(true);
  });

  it('hashes passwords at a lowered priority by default; scryptNice is a nice value (0–19)', () => {
    expect(load({}).cluster.scryptNice).toBe(10);
    expect(load({ HOMECORE_CLUSTER__SCRYPT_NICE: '0' }).cluster.scryptNice).toBe(0);
    expect(problemsOf(() => load({ HOMECORE_CLUSTER__SCRYPT_NICE: '20' }))[0]).toMatch(/^cluster.scryptNice/);
  });

  it('rejects an rqlited restart backoff whose max is below its initial delay', () => {
    const problems = problemsOf(() => load({ HOMECORE_PLATFORM_DB__RQLITED__RESTART_BACKOFF__MAX_MS: '10' }));
    expect(problems).toContain('platformDb.rqlited.restartBackoff: maxMs must be ≥ initialMs');
  });

  it('allows several ports set to 0 (OS-assigned)', () => {
    const config = load({ HOMECORE_HTTP__API_PORT: '0', HOMECORE_HTTP__HFS_PORT: '0', HOMECORE_HTTP__PREVIEWS_PORT: '0' });
    expect(config.http.hfsPort).toBe(0);
  });

  it('requires a trailing slash on platform.publicUrl and core.url', () => {
    expect(problemsOf(() => load({ HOMECORE_PLATFORM__PUBLIC_URL: 'https://pryv.example.com' }))).toEqual([
      'platform.publicUrl: must end with "/"',
    ]);
    expect(problemsOf(() => load({ HOMECORE_CORE__URL: 'https://c1.example.com' }))).toEqual(['core.url: must end with "/"']);
    expect(load({ HOMECORE_CORE__URL: 'https://c1.example.com/' }).core.url).toBe('https://c1.example.com/');
  });

  it('requires the whole cluster identity in multi mode, listing each missing key', () => {
    expect(problemsOf(() => load({ HOMECORE_PLATFORM__MODE: 'multi' })).sort()).toEqual([
      'core.ip: required when platform.mode is multi',
      "core.url: required when platform.mode is multi (this core's public URL, slash-terminated)",
      'platform.domain: required when platform.mode is multi',
      'platformDb.tls.caFile: required when platform.mode is multi (run bin/bootstrap.js init, or bin/start --bootstrap)',
      'platformDb.tls.certFile: required when platform.mode is multi (run bin/bootstrap.js init, or bin/start --bootstrap)',
      'platformDb.tls.keyFile: required when platform.mode is multi (run bin/bootstrap.js init, or bin/start --bootstrap)',
    ]);
  });

  it('accepts a complete multi-mode config and checks addresses and files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'homecore-tls-'));
    for (const f of ['ca.crt', 'node.crt', 'node.key']) writeFileSync(join(dir, f), 'x');
    const multi = {
      HOMECORE_PLATFORM__MODE: 'multi', HOMECORE_PLATFORM__DOMAIN: 'pryv.example.com', HOMECORE_CORE__ID: 'core-a',
      HOMECORE_CORE__URL: 'https://core-a.pryv.example.com/', HOMECORE_CORE__IP: '10.0.0.11',
      HOMECORE_PLATFORM_DB__TLS__CA_FILE: join(dir, 'ca.crt'), HOMECORE_PLATFORM_DB__TLS__CERT_FILE: join(dir, 'node.crt'),
      HOMECORE_PLATFORM_DB__TLS__KEY_FILE: join(dir, 'node.key'),
    };
    try {
      expect(load(multi).platform.mode).toBe('multi');
      expect(problemsOf(() => load({ ...multi, HOMECORE_PLATFORM_DB__RQLITED__RAFT_ADDRESS: '0.0.0.0:4002', HOMECORE_CORE__IP: 'core-a' }))).toEqual([
        'core.ip: "core-a" is not an IP address',
        'platformDb.rqlited.raftAdvertisedAddress: required when raftAddress binds 0.0.0.0 (the address other cores dial)',
      ]);
      expect(problemsOf(() => load({ ...multi, HOMECORE_PLATFORM_DB__RQLITED__NON_VOTER: 'true', HOMECORE_PLATFORM_DB__TLS__KEY_FILE: join(dir, 'nope.key') }))).toEqual([
        'platformDb.rqlited.nonVoter: a non-voter can only join an existing cluster: platformDb.rqlited.join is empty',
        `platformDb.tls.keyFile: ${join(dir, 'nope.key')} does not exist`,
      ]);
      expect(problemsOf(() => load({ ...multi, HOMECORE_PLATFORM_DB__TLS__VERIFY_CLIENT: 'false' }))).toEqual(['platformDb.tls.verifyClient: must be equal to constant']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses join settings outside multi mode', () => {
    expect(problemsOf(() => load({ HOMECORE_PLATFORM_DB__RQLITED__JOIN: '[10.0.0.1:4002]' }))).toEqual(['platformDb.rqlited.join: only used when platform.mode is multi, or by a clone (core.cloneId)']);
  });

  it('runs the mongodb engine on the embedded FerretDB without a url (its ports checked), and maxMs ≥ initialMs', () => {
    expect(load({ HOMECORE_STORAGES__ENGINE: 'mongodb' }).storages.mongodb.url).toBeNull();
    expect(problemsOf(() => load({ HOMECORE_STORAGES__ENGINE: 'mongodb', HOMECORE_STORAGES__MONGODB__FERRETDB__PORT: '3000' }))[0]).toMatch(/^ports: 3000 used twice/);
    expect(problemsOf(() => load({ HOMECORE_STORAGES__ENGINE: 'mongodb', HOMECORE_STORAGES__MONGODB__URL: 'http://x' }))[0]).toMatch(/storages\.mongodb\.url/);
    expect(problemsOf(() => load({ HOMECORE_CLUSTER__RESTART_BACKOFF__MAX_MS: '100' }))).toEqual([
      'cluster.restartBackoff: maxMs must be ≥ initialMs',
    ]);
  });

  it('lists every broken rule at once', () => {
    const problems = problemsOf(() =>
      load({ HOMECORE_HTTP__HFS_PORT: '3000', HOMECORE_PLATFORM__PUBLIC_URL: 'https://x.example.com', HOMECORE_PLATFORM__MODE: 'multi' }),
    );
    expect(problems).toHaveLength(8);
  });
});

describe('{varDir}/cluster/core.yml (written by the bootstrap)', () => {
  it('sits between default.yml and the operator\'s file and variables, and may not move the var dir', () => {
    const varDir = mkdtempSync(join(tmpdir(), 'homecore-layer-'));
    try {
      mkdirSync(join(varDir, 'cluster'));
      writeFileSync(join(varDir, 'cluster', 'core.yml'), 'core: { id: core-b, ip: 10.0.0.12 }\nregistration: { hosting: eu-1, zone: eu }\n');
      const config = load({ HOMECORE_PATHS__VAR_DIR: varDir, HOMECORE_REGISTRATION__ZONE: 'ch' });
      expect([config.core.id, config.core.ip, config.registration.hosting, config.registration.zone]).toEqual(['core-b', '10.0.0.12', 'eu-1', 'ch']);
      const file = writeYaml('layer-override.yml', 'core: { id: core-x }\n');
      expect(load({ HOMECORE_PATHS__VAR_DIR: varDir }, file).core.id).toBe('core-x');
      writeFileSync(join(varDir, 'cluster', 'core.yml'), 'paths: { varDir: /elsewhere }\n');
      expect(problemsOf(() => load({ HOMECORE_PATHS__VAR_DIR: varDir }))).toEqual([`${join(varDir, 'cluster', 'core.yml')}: may not set paths`]);
    } finally {
      rmSync(varDir, { recursive: true, force: true });
    }
  });
});
