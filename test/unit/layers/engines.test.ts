import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * One storage interface, engines behind it (issue #14): nothing outside an engine's directory
 * reaches into it but the registry (src/storage/engine-registry.ts) and the engine's own tests
 * (test/engines/<name>/); its driver packages are imported by the running code only inside it.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const layers = JSON.parse(readFileSync(join(ROOT, 'layers.json'), 'utf8')) as {
  engines: { registry: string; packages: Record<string, string[]> };
};
const { registry, packages } = layers.engines;
const ENGINES = 'src/storage/engines';

function tsFiles(dir: string): string[] {
  if (!existsSync(join(ROOT, dir))) return [];
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const path = `${dir}/${d.name}`;
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

const STATIC = /^(?:import|export)\s(?:[^;'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
/** A string literal naming a file of an engine directory (an `importIfPresent('./engines/x/…')`). */
const ENGINE_PATH = /['"]((?:\.{1,2}\/)+(?:[\w-]+\/)*engines\/[\w-]+\/[^'"]*)['"]/g;

interface Edge {
  from: string;
  /** Repository path of a relative import, or the package name of a bare one. */
  to: string;
  relative: boolean;
}

function importsOf(file: string, source: string): Edge[] {
  const specs = new Set([...source.matchAll(STATIC), ...source.matchAll(DYNAMIC), ...source.matchAll(ENGINE_PATH)].map((m) => m[1] ?? ''));
  return [...specs].map((s) =>
    s.startsWith('.') ? { from: file, to: relative(ROOT, resolve(ROOT, dirname(file), s)), relative: true } : { from: file, to: s, relative: false },
  );
}

const within = (path: string, folder: string): boolean => path === folder || path.startsWith(`${folder}/`);

/** The engine directory a path belongs to (`postgresql` for src/storage/engines/postgresql/x.ts). */
function engineOf(path: string): string | null {
  if (!within(path, ENGINES)) return null;
  return path.slice(ENGINES.length + 1).split('/')[0] ?? null;
}

/** Edges into an engine's files from anywhere but that engine, its tests and the registry. */
function engineLeaks(edges: Edge[]): string[] {
  return edges
    .filter((e) => e.relative)
    .filter((e) => {
      const engine = engineOf(e.to);
      if (engine === null || e.from === registry) return false;
      return !within(e.from, `${ENGINES}/${engine}`) && !within(e.from, `test/engines/${engine}`);
    })
    .map((e) => `${e.from} → ${e.to}`);
}

/** Imports of an engine's packages by running code (bin/, workers/, src/) outside its directory. */
function driverLeaks(edges: Edge[]): string[] {
  return edges
    .filter((e) => !e.relative && /^(?:bin|workers|src)\//.test(e.from))
    .filter((e) =>
      Object.entries(packages).some(
        ([engine, names]) =>
          !within(e.from, `${ENGINES}/${engine}`) && names.some((n) => (n.endsWith('/') ? e.to.startsWith(n) : e.to === n || e.to.startsWith(`${n}/`))),
      ),
    )
    .map((e) => `${e.from} → ${e.to}`);
}

const files = ['bin', 'workers', 'src', 'test', 'bench'].flatMap(tsFiles).filter((f) => f !== 'test/unit/layers/engines.test.ts');
const edges = files.flatMap((from) => importsOf(from, readFileSync(join(ROOT, from), 'utf8')));
const engineDirs = readdirSync(join(ROOT, ENGINES), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('storage engines (layers.json engines)', () => {
  it('reads the imports, the engines and the registry', () => {
    expect(engineDirs).toContain('postgresql');
    expect(edges.some((e) => e.from === registry && engineOf(e.to) === 'postgresql')).toBe(true);
    expect(edges.some((e) => e.from === 'src/master/run-master.ts')).toBe(true);
  });

  it('no file outside an engine directory imports its files, except the registry and the engine\'s own tests', () => {
    expect(engineLeaks(edges)).toEqual([]);
  });

  it('no running code outside an engine directory imports its driver packages', () => {
    expect(driverLeaks(edges)).toEqual([]);
  });

  it('every engine directory has an index.ts and a line in the registry', () => {
    const source = readFileSync(join(ROOT, registry), 'utf8');
    for (const name of engineDirs) {
      expect(existsSync(join(ROOT, ENGINES, name, 'index.ts')), `${ENGINES}/${name}/index.ts`).toBe(true);
      expect(source, `registry line for ${name}`).toMatch(new RegExp(`^\\s+${name}: \\(\\) => .*'\\./engines/${name}/index\\.js'`, 'm'));
    }
  });

  it('every engine directory has a test fixture (test/engines/<name>/fixture.ts) and its line in test/engines/fixtures.ts', () => {
    const source = readFileSync(join(ROOT, 'test/engines/fixtures.ts'), 'utf8');
    for (const name of engineDirs) {
      expect(existsSync(join(ROOT, 'test/engines', name, 'fixture.ts')), `test/engines/${name}/fixture.ts`).toBe(true);
      expect(source, `fixture line for ${name}`).toMatch(new RegExp(`^\\s+${name}: \\(\\) => import\\('\\./${name}/fixture\\.js'\\)`, 'm'));
    }
  });

  it('finds a leak when there is one', () => {
    const probe = [
      ...importsOf('src/worker/x.ts', "import { PostgresEngine } from '../storage/engines/postgresql/engine.js';\nimport pg from 'pg';\n"),
      ...importsOf('test/helpers/x.ts', "const m = await import('../../src/storage/engines/mongodb/stores.js');\n"),
      ...importsOf('test/engines/mongodb/x.ts', "import { x } from '../../../src/storage/engines/postgresql/engine.js';\n"),
      ...importsOf('src/storage/engines/mongodb/x.ts', "import { y } from '../postgresql/pool.js';\nimport pg from 'pg';\n"),
      ...importsOf('test/engines/postgresql/x.ts', "import { x } from '../../../src/storage/engines/postgresql/engine.js';\n"),
      ...importsOf(registry, "  mongodb: () => importIfPresent('./engines/mongodb/index.js'),\n"),
    ];
    expect(engineLeaks(probe)).toEqual([
      'src/worker/x.ts → src/storage/engines/postgresql/engine.js',
      'test/helpers/x.ts → src/storage/engines/mongodb/stores.js',
      'test/engines/mongodb/x.ts → src/storage/engines/postgresql/engine.js',
      'src/storage/engines/mongodb/x.ts → src/storage/engines/postgresql/pool.js',
    ]);
    expect(driverLeaks(probe)).toEqual(['src/worker/x.ts → pg', 'src/storage/engines/mongodb/x.ts → pg']);
  });
});
