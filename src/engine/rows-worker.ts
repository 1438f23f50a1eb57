/**
 * The rows thread (rows.ts): computes bands of a loss map from stored samples with the loss's rows module
 * (no TensorFlow.js: the thread starts in ~40 ms) and sends each back, transferred.
 */
import { parentPort } from 'node:worker_threads';
import type { RowsModule, RowsReply, RowsRequest } from './rows.js';

const port = parentPort!;
port.on('message', (m: RowsRequest) => {
  void (async () => {
    let reply: RowsReply;
    try {
      const mod = (await import(`../losses/${m.module}.js`)) as RowsModule;
      const map = mod.samplesRows(m.real, m.fake, m.ctx, m.y0, m.y1, m.from);
      reply = { id: m.id, ...(map ? { map } : {}) };
    } catch (e) {
      reply = { id: m.id, error: (e as Error).message };
    }
    port.postMessage(reply, reply.map ? [reply.map.buffer as ArrayBuffer] : []);
  })();
});
