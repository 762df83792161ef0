#!/usr/bin/env node
// bin/bootstrap.js: cluster bootstrap commands (docs/operations.md). A thin launcher: it runs the
// built dist/bin/bootstrap-cli.js on the project's Node 22, re-executing itself under that Node
// when started by another one. `bin/setup` builds dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'bin', 'bootstrap-cli.js');
const node22 = join(root, 'node_modules', '.bin', 'node');
if (process.versions.node.split('.')[0] !== '22') {
  if (!existsSync(node22)) {
    console.error('bootstrap: Node 22 not found in node_modules: run bin/setup first');
    process.exit(1);
  }
  const r = spawnSync(node22, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (!existsSync(entry)) {
  console.error('bootstrap: dist/ is not built: run bin/setup first');
  process.exit(1);
}
await import(entry);
