import type { Worker } from 'node:worker_threads';
import { option, UserError, type UserErrorCode } from '../errors.js';
import type { EmbedInit, EmbedReply, EmbedRequest, Feature, Range, RawImage } from '../model.js';
import { startWorker } from './threads.js';

/**
 * Embedding threads for two-stage losses (vgg): the single command sends real to one and fake to the other,
 * so both cores work (tfjs-wasm is single-threaded in Node). Each thread loads its backend and weights once;
 * they start as soon as the embedder is made, while the images decode.
 */
export class Embedder {
  private readonly workers: Worker[];
  private readonly pending = new Map<
    number,
    { resolve: (f: Feature[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;

  constructor(threads: number, init: EmbedInit) {
    this.workers = Array.from({ length: threads }, () => this.start(init));
  }

  private start(init: EmbedInit): Worker {
    const w = startWorker('./embed-worker.js', init);
    w.on('message', (m: EmbedReply) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'features') p?.resolve(m.features);
      else
        p?.reject(
          m.user
            ? new UserError([option(m.error, m.user.cli)], m.user.code as UserErrorCode)
            : new Error(m.error),
        );
    });
    w.on('error', (err) => this.failAll(err));
    return w;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** The features of one whole image, computed on the next thread in turn. */
  features(loss: string, image: RawImage, range: Range): Promise<Feature[]> {
    const id = this.nextId++;
    const w = this.workers[id % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, loss, image, range } satisfies EmbedRequest);
    });
  }

  close(): void {
    for (const w of this.workers) w.postMessage('close');
  }
}
