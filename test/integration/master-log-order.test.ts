import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/util/project-root.js';

/**
 * The master's last log lines before process.exit stay in order (issue #17: the Docker drain test
 * once saw `stopped` ahead of `sidecar:rqlited sidecar stopped`). With pino's default asynchronous
 * stream, the exit flush writes its buffer ahead of a write still in flight, reordering or losing
 * lines (27 of 60 runs of this pattern here); the master's logger writes synchronously. Runs the
 * built logger (dist/, as the master does) in a child whose stdout is a pipe, like a container's.
 */
const SCRIPT = `
import { createLogger } from ${JSON.stringify(join(projectRoot(), 'dist', 'src', 'logging', 'logger.js'))};
const log = createLogger({ level: 'info', role: 'master', sync: process.argv[1] === 'sync' });
const pad = 'x'.repeat(2000);
for (let i = 0; i < 20; i++) log.info({ pad }, 'line ' + i);
await new Promise((r) => setImmediate(r));
log.info('sidecar stopped');
log.info('stopped');
process.exit(0);
`;

function runOnce(mode: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', () => resolve(out.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { msg: string }).msg)));
  });
}

describe('master log lines at exit', () => {
  it('a synchronous logger writes every line, in order, before process.exit', async () => {
    const expected = [...Array.from({ length: 20 }, (_, i) => `line ${i}`), 'sidecar stopped', 'stopped'];
    for (let i = 0; i < 15; i++) expect(await runOnce('sync')).toEqual(expected);
  });
});
