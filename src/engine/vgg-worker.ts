/**
 * One half of a parallel VGG run: a worker thread with its own backend and weights that pushes one image
 * through B1, B2, B3 and sends the three block outputs back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { tf } from '../tf.js';
import { UserError } from '../errors.js';
import { toRange } from '../losses/common.js';
import type { Range } from '../losses/range.js';
import { vgg19Weights, vggFeatures } from '../losses/vgg.js';
import { loadVgg19 } from '../io/weights/vgg19.js';
import { useBackend, type BackendName } from './backend.js';
import { unitTensor, type UnitImage } from './compute.js';

const init = workerData as { backend: BackendName; weights: string };
const port = parentPort!;
const ready = (async () => {
  await useBackend(init.backend);
  return vgg19Weights(await loadVgg19(init.weights));
})();
ready.catch(() => undefined);

port.on('message', async (m: { image: UnitImage; range: Range }) => {
  try {
    const weights = await ready;
    const H = m.image.height;
    const feats = tf.tidy(() => vggFeatures(toRange(unitTensor(m.image, 0, H), m.range), weights));
    const out = feats.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
    tf.dispose(feats);
    port.postMessage({ features: out }, out.map((f) => f.data.buffer as ArrayBuffer));
  } catch (err) {
    port.postMessage({ error: (err as Error).message, user: err instanceof UserError });
  }
  port.close();
});
