import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { clusterProblems } from './multi-rules.js';
import { mailMfaProblems } from './mail-mfa-rules.js';
import { accountFieldProblems } from '../domain/system-streams.js';
import { ConfigSchema, type Config } from './schema.js';
import { projectRoot } from '../util/project-root.js';
import { deepFreeze, deepMerge, isPlainObject, type PlainObject } from '../util/objects.js';

export const ENV_PREFIX = 'HOMECORE_';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Override file (`--config`); falls back to env HOMECORE_CONFIG. */
  configFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

// ajv-formats is CommonJS: under nodenext its default import is `module.exports`, whose `.default` is the plugin.
const addFormats = addFormatsModule.default;
let compiled: ValidateFunction<Config> | null = null;

/**
 * Compiled at the first validation, not at import: it costs a few hundred ms of CPU, and workers,
 * which import this module too, take the configuration the master validated (workerConfig).
 */
function validator(): ValidateFunction<Config> {
  if (compiled === null) {
    // Run once per process: ajv's code optimisation passes cost more than they would ever save.
    const ajv = new Ajv({ allErrors: true, strict: true, code: { optimize: false } });
    addFormats(ajv, ['uri', 'ipv4']);
    compiled = ajv.compile<Config>(ConfigSchema);
  }
  return compiled;
}

/**
 * The variable through which the master hands its loaded, validated configuration to the workers
 * it forks (src/master/worker-pool.ts): master and workers then run on the very same values, and
 * workers skip the schema compilation and file reads. Not a config key (envOverrides skips it).
 */
export const WORKER_CONFIG_ENV = `${ENV_PREFIX}WORKER_CONFIG`;

/** The configuration handed over by the master, or null when this process was not forked by one. */
export function workerConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> | null {
  const json = env[WORKER_CONFIG_ENV];
  return json === undefined || json === '' ? null : deepFreeze(JSON.parse(json) as Config);
}

/** `cluster.apiWorkers` ← HOMECORE_CLUSTER__API_WORKERS. */
export function envKeyToPath(key: string): string[] {
  return key
    .slice(ENV_PREFIX.length)
    .split('__')
    .map((seg) => seg.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
}

/** JSON-schema types the config key at `path` accepts ('null' left out); [] for an unknown key. */
function schemaTypesAt(path: string[]): string[] {
  let node: unknown = ConfigSchema;
  for (const seg of path) {
    node = (node as { properties?: Record<string, unknown> }).properties?.[seg];
    if (node === undefined) return [];
  }
  const types = (s: unknown): string[] => {
    const { type, anyOf } = s as { type?: unknown; anyOf?: unknown[] };
    if (Array.isArray(anyOf)) return anyOf.flatMap(types);
    return typeof type === 'string' ? [type] : [];
  };
  return types(node).filter((t) => t !== 'null');
}

const takesOnlyStrings = (path: string[]): boolean => {
  const types = schemaTypesAt(path);
  return types.length > 0 && types.every((t) => t === 'string');
};

export function envOverrides(env: NodeJS.ProcessEnv): { overrides: PlainObject; problems: string[] } {
  const overrides: PlainObject = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || key === `${ENV_PREFIX}CONFIG` || key === WORKER_CONFIG_ENV || raw === undefined) continue;
    const path = envKeyToPath(key);
    if (path.some((p) => p.length === 0)) {
      problems.push(`${key}: malformed variable name`);
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(raw);
    } catch {
      value = raw;
    }
    // YAML reads `2026112202` or `123456` as a number: for a key that only takes strings (service.serial,
    // a password) that failed validation with "must be string", so keep the variable's text instead.
    if ((typeof value === 'number' || typeof value === 'boolean') && takesOnlyStrings(path)) value = raw;
    let node = overrides;
    for (const seg of path.slice(0, -1)) {
      const next = node[seg];
      const child = isPlainObject(next) ? next : {};
      node[seg] = child;
      node = child;
    }
    node[path[path.length - 1] as string] = value;
  }
  return { overrides, problems };
}

function readYamlFile(file: string, problems: string[]): PlainObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return {};
  }
  try {
    const doc: unknown = parseYaml(text);
    if (doc === null || doc === undefined) return {};
    if (!isPlainObject(doc)) {
      problems.push(`${file}: top level must be a mapping`);
      return {};
    }
    return doc;
  } catch (err) {
    problems.push(`${file}: YAML syntax error: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
}

export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replaceAll('/', '.');
    if (e.keyword === 'additionalProperties') {
      return `${where === '(root)' ? '' : `${where}.`}${String(e.params['additionalProperty'])}: unknown key`;
    }
    if (e.keyword === 'anyOf' || e.keyword === 'const') return `${where}: ${e.message ?? 'invalid'}`;
    return `${where}: ${e.message ?? 'invalid'}`;
  }).filter((line, i, all) => all.indexOf(line) === i);
}

/** Validates a merged raw object. Returns every problem found, not just the first. */
export function validateConfig(raw: unknown): { config?: Config; problems: string[] } {
  const validate = validator();
  if (validate(raw)) return { config: raw, problems: [] };
  // anyOf branches produce one line per failed branch; keep the useful ones.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'type' || !e.schemaPath.includes('anyOf'));
  return { problems: formatAjvErrors(errors.length > 0 ? errors : validate.errors) };
}

/** Cross-key rules the schema cannot express. */
function checkRules(config: Config): string[] {
  const problems: string[] = [];
  const raftPort = Number(config.platformDb.rqlited.raftAddress.split(':')[1]);
  const ports = [config.http.apiPort, config.http.hfsPort, config.http.previewsPort, config.platformDb.rqlited.httpPort, raftPort];
  if (config.storages.postgresql.embedded) ports.push(config.storages.postgresql.port);
  const mongo = config.storages.mongodb;
  if (config.storages.engine === 'mongodb' && mongo.url === null) ports.push(mongo.ferretdb.port, mongo.ferretdb.debugPort);
  const dup = ports.filter((p, i) => p !== 0 && ports.indexOf(p) !== i);
  if (dup.length > 0) {
    problems.push(`ports: ${dup.join(', ')} used twice (http.*Port, platformDb.rqlited httpPort/raftAddress, embedded storages.postgresql.port)`);
  }
  const rb = config.platformDb.rqlited.restartBackoff;
  if (rb.maxMs < rb.initialMs) problems.push('platformDb.rqlited.restartBackoff: maxMs must be ≥ initialMs');
  if (config.cluster.restartBackoff.maxMs < config.cluster.restartBackoff.initialMs) {
    problems.push('cluster.restartBackoff: maxMs must be ≥ initialMs');
  }
  if (!config.storages.postgresql.embedded && config.storages.postgresql.password === null) {
    problems.push('storages.postgresql.password: required with an external PostgreSQL (embedded: false)');
  }
  if (!config.platform.publicUrl.endsWith('/')) problems.push('platform.publicUrl: must end with "/"');
  if (config.dns.enabled && config.platform.domain === null) problems.push('dns.enabled: needs platform.domain (the zone it answers for)');
  if (config.core.url !== null && !config.core.url.endsWith('/')) problems.push('core.url: must end with "/"');
  problems.push(...clusterProblems(config));
  problems.push(...mailMfaProblems(config));
  if (config.storages.postgresql.embedded && config.storages.postgresql.hosts.length > 0) {
    problems.push('storages.postgresql.hosts: a host list needs an external PostgreSQL (embedded: false)');
  }
  problems.push(...accountFieldProblems(config.systemStreams.account));
  return problems;
}

/**
 * `{varDir}/cluster/core.yml`, written by `bin/bootstrap.js init` and `bin/start --bootstrap`: this
 * core's cluster identity. It sits between default.yml and the operator's own file and variables,
 * which win. It may not move the var dir it lives in.
 */
export function clusterConfigFile(varDir: string): string {
  return join(varDir, 'cluster', 'core.yml');
}

function clusterLayer(merged: PlainObject, cwd: string, problems: string[]): PlainObject {
  const paths = merged['paths'];
  const varDir = isPlainObject(paths) && typeof paths['varDir'] === 'string' ? paths['varDir'] : null;
  if (varDir === null) return {};
  const file = clusterConfigFile(resolve(cwd, varDir));
  if (!existsSync(file)) return {};
  const layer = readYamlFile(file, problems);
  if ('paths' in layer) problems.push(`${file}: may not set paths`);
  return layer;
}

/** The var dir the configuration would use, without validating anything (the bootstrap writes there first). */
export function peekVarDir(options: LoadOptions = {}): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const ignored: string[] = [];
  const overrideFile = options.configFile ?? env[`${ENV_PREFIX}CONFIG`];
  const merged = deepMerge(
    deepMerge(readYamlFile(join(projectRoot(), 'config', 'default.yml'), ignored), overrideFile ? readYamlFile(resolve(cwd, overrideFile), ignored) : {}),
    envOverrides(env).overrides,
  );
  const paths = merged['paths'];
  return resolve(cwd, isPlainObject(paths) && typeof paths['varDir'] === 'string' ? paths['varDir'] : 'var');
}

/** Loads, validates and freezes the configuration. Throws ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const defaults = readYamlFile(join(projectRoot(), 'config', 'default.yml'), problems);
  const overrideFile = options.configFile ?? env[`${ENV_PREFIX}CONFIG`];
  const override = overrideFile !== undefined && overrideFile !== '' ? readYamlFile(resolve(cwd, overrideFile), problems) : {};
  const fromEnv = envOverrides(env);
  problems.push(...fromEnv.problems);
  let merged = deepMerge(deepMerge(defaults, override), fromEnv.overrides);
  const cluster = clusterLayer(merged, cwd, problems);
  if (Object.keys(cluster).length > 0) merged = deepMerge(deepMerge(deepMerge(defaults, cluster), override), fromEnv.overrides);

  const { config, problems: schemaProblems } = validateConfig(merged);
  problems.push(...schemaProblems);
  if (config === undefined) throw new ConfigError(problems);
  resolvePaths(config, cwd);
  problems.push(...checkRules(config));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function resolvePaths(config: Config, cwd: string): void {
  config.paths.varDir = resolve(cwd, config.paths.varDir);
  if (config.platformDb.rqlited.binary !== null) {
    config.platformDb.rqlited.binary = resolve(cwd, config.platformDb.rqlited.binary);
  }
  const tls = config.platformDb.tls;
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const file = tls[key];
    if (file !== null) tls[key] = resolve(cwd, file);
  }
}
