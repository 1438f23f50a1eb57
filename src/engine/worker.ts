/**
 * A batch worker thread: loads its own tfjs backend (tfjs-wasm threads do not run in Node, so pairs run in
 * parallel one per worker), then compares the pairs it is sent with the same runPair as the single command.
 * It may hold two pairs at once (the pool decides): their computations run one at a time, in arrival order,
 * while the other pair is decoded or encoded by sharp on libuv's threads, so the core is not left idle.
 * Messages: in {id, pair, outDir, stem}; out {id, outcome} or {id, error, user}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { useBackend, type BackendName } from './backend.js';
import { LossResources, runPair, type PairSettings, type Serialize } from './pair.js';
import { readInput } from '../io/input.js';
import type { Pair } from '../io/pairs.js';

export interface WorkerInit {
  backend: BackendName;
  settings: PairSettings;
  losses: string[];
  weights?: string;
}
export interface WorkerJob {
  id: number;
  pair: Pair;
  outDir: string;
  stem: string;
}

const init = workerData as WorkerInit;
const port = parentPort!;
const resources = new LossResources(init.weights);

try {
  const backend = await useBackend(init.backend);
  port.postMessage({ ready: true, backend });
} catch (err) {
  port.postMessage({ fatal: (err as Error).message });
}

// One computation at a time, first come first served.
let turn: Promise<unknown> = Promise.resolve();
const serialize: Serialize = (f) => {
  const run = turn.then(f);
  turn = run.catch(() => undefined);
  return run;
};

port.on('message', async (job: WorkerJob | 'close') => {
  if (job === 'close') {
    resources.dispose();
    port.close();
    return;
  }
  const t0 = performance.now();
  try {
    const [real, fake] = await Promise.all([readInput(job.pair.real, 'real'), readInput(job.pair.fake, 'fake')]);
    const outcome = await runPair(
      { bytes: real, label: `real ${job.pair.real}`, name: job.pair.real },
      { bytes: fake, label: `fake ${job.pair.fake}`, name: job.pair.fake },
      init.losses, init.settings, resources, job.outDir, job.stem, serialize,
    );
    port.postMessage({ id: job.id, outcome, ms: performance.now() - t0 });
  } catch (err) {
    port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err), user: err instanceof UserError, ms: performance.now() - t0 });
  }
});
