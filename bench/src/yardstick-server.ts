/**
 * Yardstick (a): the most trivial fastify route, `GET /hello` → `{hello, time}`, served by the same
 * number of node:cluster workers as the core's API. Usage: node yardstick-server.ts <port> <workers>.
 * The parent learns it listens from "listening" on stdout.
 */
import cluster from 'node:cluster';
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? '2');

if (cluster.isPrimary) {
  let up = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', () => {
    up += 1;
    if (up === workers) process.stdout.write('listening\n');
  });
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world', time: Date.now() / 1000 }));
  await app.listen({ port, host: '127.0.0.1' });
}
