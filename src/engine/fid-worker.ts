/**
 * An FID feature thread: loads its backend and the Inception weights once, then computes the features of
 * the batches of files it is sent (decoding them itself) and sends them back, transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../errors.js';
import type { FidDims } from '../losses/inception-layout.js';
import { useBackend } from './backend.js';
import { fidFeatures } from './fid.js';
import type { FidWorkerInit, FidWorkerReply, FidWorkerRequest } from './fid-pool.js';

const init = workerData as FidWorkerInit;
const port = parentPort!;
const ready = (async () => {
  await useBackend(init.backend as 'auto');
  const { loadInception } = await import('../io/weights/inception.js');
  const { inceptionWeights } = await import('../losses/inception.js');
  return inceptionWeights(await loadInception(init.weights, init.dims as FidDims), init.dims as FidDims);
})();
ready.catch(() => undefined);

async function compute(m: FidWorkerRequest): Promise<FidWorkerReply> {
  const features = await fidFeatures(m.files, await ready);
  return { type: 'features', id: m.id, features };
}

port.on('message', (m: FidWorkerRequest | 'close') => {
  if (m === 'close') {
    void ready.then((w) => w.dispose()).finally(() => port.close());
    return;
  }
  compute(m).then(
    (reply) =>
      port.postMessage(reply, reply.type === 'features' ? [reply.features.buffer as ArrayBuffer] : []),
    (err: unknown) =>
      port.postMessage({
        type: 'failed',
        id: m.id,
        error: err instanceof Error ? err.message : String(err),
        user: err instanceof UserError,
      } satisfies FidWorkerReply),
  );
});
