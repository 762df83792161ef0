import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The house keeps its floors (issue #9): every file imports only its own layer or the layers below,
 * in the order written once in layers.json (storage engines: engines.test.ts).
 * TypeScript 7 ships no compiler API, so imports are read with the two shapes the code uses (plain
 * ESM: `import … from '…'` / `export … from '…'` at the start of a line, and `import('…')`).
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const config = JSON.parse(readFileSync(join(ROOT, 'layers.json'), 'utf8')) as { layers: string[][] };

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const path = `${dir}/${d.name}`;
    if (d.isDirectory()) return tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

const STATIC = /^(?:import|export)\s(?:[^;'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of a file, as paths from the repository root. */
function importsOf(file: string, source: string): string[] {
  const specs = [...source.matchAll(STATIC), ...source.matchAll(DYNAMIC)].map((m) => m[1] ?? '');
  return specs.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)));
}

/** The layer index of a path (0 = top), by its longest matching folder; -1 outside every layer. */
function layerOf(path: string): number {
  let best = -1;
  let bestLength = -1;
  config.layers.forEach((folders, index) => {
    for (const folder of folders) {
      if ((path === folder || path.startsWith(`${folder}/`)) && folder.length > bestLength) {
        best = index;
        bestLength = folder.length;
      }
    }
  });
  return best;
}

const files = ['bin', 'workers', 'src'].flatMap(tsFiles);
const edges = files.flatMap((from) => importsOf(from, readFileSync(join(ROOT, from), 'utf8')).map((to) => ({ from, to })));

describe('layers (layers.json)', () => {
  it('reads the imports of the source tree', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.from === 'src/http/app.ts')).toBe(true);
  });

  it('places every source file in a layer', () => {
    expect(files.filter((f) => layerOf(f) === -1)).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    const upward = edges
      .filter((e) => layerOf(e.to) !== -1 && layerOf(e.to) < layerOf(e.from))
      .map((e) => `${e.from} → ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('has every layer in the diagram of docs/architecture.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const diagram = doc.slice(doc.indexOf('## Layers'), doc.indexOf('## Request path'));
    const folders = config.layers.flat().map((f) => `${f.replace(/^src\//, '')}/`);
    expect(folders.filter((f) => !diagram.includes(` ${f}`))).toEqual([]);
  });

  it('resolves every relative import of test/ and bench/ (tsc checks src/ only)', () => {
    const exists = (path: string): boolean => existsSync(join(ROOT, path)) || existsSync(join(ROOT, path.replace(/\.js$/, '.ts')));
    const missing = ['test', 'bench']
      .flatMap(tsFiles)
      .flatMap((from) => importsOf(from, readFileSync(join(ROOT, from), 'utf8')).map((to) => ({ from, to })))
      .filter((e) => !/layers\/(?:imports|engines)\.test\.ts$/.test(e.from) && !exists(e.to))
      .map((e) => `${e.from} → ${e.to}`);
    expect(missing).toEqual([]);
  });

  it('finds an upward import when there is one', () => {
    const probe = importsOf('src/storage/x.ts', "import type { Services } from '../api/context.js';\n");
    expect(probe).toEqual(['src/api/context.js']);
    expect(layerOf('src/api/context.js')).toBeLessThan(layerOf('src/storage/x.ts'));
  });
});
