import { runWorker } from '../src/worker/run-worker.js';

await runWorker('previews');
