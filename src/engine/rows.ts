import { availableParallelism } from 'node:os';
import { isMainThread, type Worker } from 'node:worker_threads';
import { hostKernelsActive } from '../losses/host.js';
import type { LossContext, LossDefinition } from '../losses/types.js';
import type { RawImage } from '../model.js';
import { startWorker } from './threads.js';

/**
 * A loss map from stored samples in two bands of rows at once: the top band on a worker thread (its
 * module's `samplesRows`, no TensorFlow.js), the bottom one here, for losses with a `rowsModule` (flip) on
 * images of at least ROWS_MIN_PIXELS, when this is the main thread and the machine has two cores or more
 * (a batch's workers already fill them). The thread starts once (warmRows, before the images decode) and
 * stays, unreferenced, for later pairs.
 */
export const ROWS_MIN_PIXELS = 2 ** 18;

/** A band for the worker: both images' sample rows from `from`, the output rows y0 ... y1 - 1. */
export interface RowsRequest {
  id: number;
  module: string;
  real: RawImage;
  fake: RawImage;
  ctx: LossContext;
  y0: number;
  y1: number;
  from: number;
}
export type RowsReply = { id: number; map?: Float32Array; error?: string };
/** Sent first: the module to load and warm. */
export type RowsWarm = { warm: string };

/** What a rows module exports (LossDefinition.rowsModule). */
export type RowsModule = {
  samplesRows(
    real: RawImage,
    fake: RawImage,
    ctx: LossContext,
    y0: number,
    y1: number,
    from: number,
    into?: Float32Array,
  ): Float32Array | undefined;
  /** Runs the kernel on a small input, so that the thread has its optimized code by the first pair. */
  warmUp?(): void;
};

export async function rowsModule(name: string): Promise<RowsModule> {
  const file = `../losses/${name}.js`; // a variable: the CommonJS build require()s it as it is
  return (await import(file)) as RowsModule;
}

let worker: Worker | undefined;
const waiting = new Map<number, (r: RowsReply) => void>();
let nextId = 0;

function parallel(): boolean {
  return isMainThread && availableParallelism() > 1;
}

let warmedHere = false;

/**
 * Starts the rows thread when one of `losses` will use it, and warms the kernel there and here (call it
 * once the images are decoding: both overlap the decoding).
 */
export function warmRows(losses: LossDefinition[]): void {
  const module = losses.find((l) => l.rowsModule)?.rowsModule;
  if (!module || !parallel()) return;
  if (!warmedHere) {
    warmedHere = true;
    // On a later turn: the decoding has started by then.
    void rowsModule(module).then(
      (m) => setImmediate(() => m.warmUp?.()),
      () => undefined,
    );
  }
  if (worker) return;
  const w = startWorker('./rows-worker.js', undefined);
  w.on('message', (r: RowsReply) => {
    waiting.get(r.id)?.({ ...r });
    waiting.delete(r.id);
  });
  const fail = (why: string) => {
    for (const [id, done] of waiting) done({ id, error: why });
    waiting.clear();
    if (worker === w) worker = undefined;
  };
  w.on('error', (e) => fail(e.message));
  w.on('exit', () => fail('the rows thread exited'));
  // After the listeners (adding one refers the thread again): the thread does not keep the process alive.
  w.unref();
  w.postMessage({ warm: module } satisfies RowsWarm);
  worker = w;
}

/** Rows y0 ... y1 - 1 of both images (with `halo` rows more on each side, where there are). */
function band(x: RawImage, y0: number, y1: number, halo: number): { image: RawImage; from: number } {
  const from = Math.max(0, y0 - halo),
    to = Math.min(x.height, y1 + halo),
    row = x.width * 3;
  return { image: { ...x, samples: x.samples.slice(from * row, to * row) }, from };
}

/** The band's map from the worker (undefined where it failed: the caller computes it here). */
function remote(req: RowsRequest): Promise<Float32Array | undefined> {
  const w = worker!;
  w.ref();
  return new Promise<RowsReply>((resolve) => {
    waiting.set(req.id, resolve);
    w.postMessage(req, [req.real.samples.buffer as ArrayBuffer, req.fake.samples.buffer as ArrayBuffer]);
  }).then((r) => {
    if (!waiting.size) w.unref();
    return r.map;
  });
}

/**
 * The loss's `fromSamples` map (shift tolerance 0) in two bands, the top one on the worker, or undefined
 * where this does not apply (then the caller runs `fromSamples` whole). `halo`: the rows of context.
 */
export async function rowsInBands(
  loss: LossDefinition,
  real: RawImage,
  fake: RawImage,
  ctx: LossContext,
  halo: number,
): Promise<Float32Array | undefined> {
  const { width: W, height: H } = real;
  if (!loss.rowsModule || !parallel() || W * H < ROWS_MIN_PIXELS || H < 4 * halo) return undefined;
  if (!hostKernelsActive()) return undefined;
  warmRows([loss]);
  if (!worker) return undefined;
  const mod = await rowsModule(loss.rowsModule);
  const split = Math.floor(H / 2);
  const [r, f] = [band(real, 0, split, halo), band(fake, 0, split, halo)];
  const req = { id: nextId++, module: loss.rowsModule, ctx, y0: 0, y1: split, from: 0 };
  const top = remote({ ...req, real: r.image, fake: f.image });
  const map = new Float32Array(W * H);
  if (!mod.samplesRows(real, fake, ctx, split, H, 0, map.subarray(split * W))) return undefined;
  const upper = await top;
  if (upper) map.set(upper);
  else mod.samplesRows(real, fake, ctx, 0, split, 0, map);
  return map;
}
