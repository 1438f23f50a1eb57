/**
 * The rows thread (rows.ts): computes bands of a loss map from stored samples with the loss's rows module
 * (no TensorFlow.js: the thread starts in ~40 ms) and sends each back, transferred.
 */
import { parentPort } from 'node:worker_threads';
import type { RowsModule, RowsReply, RowsRequest, RowsWarm } from './rows.js';

const port = parentPort!;
const load = async (name: string) => (await import(`../losses/${name}.js`)) as RowsModule;

port.on('message', (m: RowsRequest | RowsWarm) => {
  if ('warm' in m) {
    void load(m.warm).then(
      (mod) => mod.warmUp?.(),
      () => undefined,
    );
    return;
  }
  void (async () => {
    let reply: RowsReply;
    try {
      const map = (await load(m.module)).samplesRows(m.real, m.fake, m.ctx, m.y0, m.y1, m.from);
      reply = { id: m.id, ...(map ? { map } : {}) };
    } catch (e) {
      reply = { id: m.id, error: (e as Error).message };
    }
    port.postMessage(reply, reply.map ? [reply.map.buffer as ArrayBuffer] : []);
  })();
});
