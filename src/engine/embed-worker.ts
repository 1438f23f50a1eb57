/**
 * An embedding thread: its own backend and weights (loaded once), pushing whole images through a two-stage
 * loss's network (vgg) and sending the features back, transferred rather than copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tf } from '../tf.js';
import { UserError } from '../errors.js';
import { toRange } from '../losses/common.js';
import { loadLoss } from '../losses/registry.js';
import type { BackendName, EmbedReply, EmbedRequest, WeightFiles } from '../model.js';
import { useBackend } from './backend.js';
import { LossResources } from './resources.js';
import { unitTensor } from './upload.js';

const init = workerData as { backend: BackendName; weights: WeightFiles };
const port = parentPort!;
const resources = new LossResources(init.weights);
const ready = useBackend(init.backend);
ready.catch(() => undefined);

async function embed(m: EmbedRequest): Promise<EmbedReply> {
  await ready;
  const loss = await loadLoss(m.loss);
  if (!loss?.embed) throw new Error(`${m.loss} is not a two-stage loss`);
  const ctx = await resources.contextFor([loss]);
  const feats = tf.tidy(() => loss.embed!(toRange(unitTensor(m.image, 0, m.image.height), m.range), ctx));
  const features = feats.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
  tf.dispose(feats);
  return { type: 'features', id: m.id, features };
}

port.on('message', (m: EmbedRequest | 'close') => {
  if (m === 'close') {
    resources.dispose();
    port.close();
    return;
  }
  embed(m).then(
    (reply) => port.postMessage(reply, reply.type === 'features' ? reply.features.map((f) => f.data.buffer as ArrayBuffer) : []),
    (err: unknown) => port.postMessage({ type: 'failed', id: m.id, error: err instanceof Error ? err.message : String(err), user: err instanceof UserError } satisfies EmbedReply),
  );
});
