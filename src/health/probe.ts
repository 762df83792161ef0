import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../util/project-root.js';

/**
 * The liveness probe a container runtime runs every few seconds (Dockerfile HEALTHCHECK,
 * `dist/bin/healthcheck.js`): GET /health on this core's API port, where the configuration says it
 * listens. It reads only `http.bindAddress` and `http.apiPort`, with the loader's precedence
 * (config/default.yml → HOMECORE_CONFIG file → HOMECORE_HTTP__* variables, values as YAML scalars),
 * without the schema validation: compiling it costs ~10× a bare Node start, on every probe.
 * test/unit/health/probe.test.ts checks the result against loadConfig().
 */
export interface HealthTarget { bindAddress: string; apiPort: number }

function httpOf(file: string): Partial<Record<'bindAddress' | 'apiPort', unknown>> {
  const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
  const http: unknown = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['http'] : undefined;
  return typeof http === 'object' && http !== null ? (http as Record<string, unknown>) : {};
}

export function healthTarget(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): HealthTarget {
  const layers = [httpOf(join(projectRoot(), 'config', 'default.yml'))];
  const file = env['HOMECORE_CONFIG'];
  if (file !== undefined && file !== '') layers.push(httpOf(resolve(cwd, file)));
  const fromEnv: Partial<Record<'bindAddress' | 'apiPort', unknown>> = {};
  const bind = env['HOMECORE_HTTP__BIND_ADDRESS'];
  const port = env['HOMECORE_HTTP__API_PORT'];
  if (bind !== undefined) fromEnv.bindAddress = parseYaml(bind);
  if (port !== undefined) fromEnv.apiPort = parseYaml(port);
  layers.push(fromEnv);
  const merged = Object.assign({}, ...layers) as Partial<Record<'bindAddress' | 'apiPort', unknown>>;
  if (typeof merged.bindAddress !== 'string' || typeof merged.apiPort !== 'number') {
    throw new Error('http.bindAddress / http.apiPort missing or invalid (bin/check-config tells more)');
  }
  return { bindAddress: merged.bindAddress, apiPort: merged.apiPort };
}

export function healthUrl(target: HealthTarget): string {
  const bind = target.bindAddress;
  // A wildcard bind is reachable on loopback; a specific address only on itself.
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  return `http://${host.includes(':') ? `[${host}]` : host}:${target.apiPort}/health`;
}

/** true when `url` answers 2xx within `timeoutMs`. */
export function probe(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}
