/**
 * A batch worker thread: loads its own tfjs backend (tfjs-wasm threads do not run in Node, so pairs run in
 * parallel one per worker) and its weights once, then compares the pairs it is sent with the same runPair
 * as the single command. It may hold two pairs at once (the pool decides): their computations run one at a
 * time, in arrival order, while the other pair is decoded or encoded by sharp on libuv's threads.
 * Protocol: WorkerRequest in, WorkerReply out (src/model.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cliText } from '../errors.js';
import { readPairInputs } from '../io/input.js';
import type { Job, WorkerInit, WorkerReply, WorkerRequest } from '../model.js';
import { useBackend } from './backend.js';
import { runPair, type PairRunner, type Serialize } from './pair.js';
import { LossResources } from './resources.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const reply = (m: WorkerReply) => port.postMessage(m);

// One computation at a time, first come first served.
let turn: Promise<unknown> = Promise.resolve();
const serialize: Serialize = (f) => {
  const run = turn.then(f);
  turn = run.catch(() => undefined);
  return run;
};
const runner: PairRunner = {
  losses: init.losses,
  compute: init.compute,
  draw: init.draw,
  resources: new LossResources(init.compute.weights),
  serialize,
};

try {
  reply({ type: 'ready', backend: await useBackend(init.compute.backend) });
} catch (err) {
  reply({ type: 'fatal', message: (err as Error).message });
}

async function compare(job: Job): Promise<WorkerReply> {
  const t0 = performance.now();
  try {
    const [real, fake] = await readPairInputs(job.pair.real, job.pair.fake);
    const comparison = await runPair(
      { bytes: real, label: `real ${job.pair.real}`, name: job.pair.real },
      { bytes: fake, label: `fake ${job.pair.fake}`, name: job.pair.fake },
      job,
      runner,
    );
    return { type: 'done', id: job.id, comparison, ms: performance.now() - t0 };
  } catch (err) {
    return {
      type: 'failed',
      id: job.id,
      // Batch workers serve the CLI: a failed pair is reported in its words (flags, not options).
      error: cliText(err),
      ms: performance.now() - t0,
    };
  }
}

port.on('message', (m: WorkerRequest) => {
  if (m.type === 'close') {
    runner.resources.dispose();
    port.close();
    return;
  }
  // compare() settles with a result in every case (its errors become the job's error), so nothing is lost.
  void compare(m.job).then(reply);
});
