import { createReadStream } from 'node:fs';
import { Tokenizer, TokenType } from '@streamparser/json';

/**
 * NectarGAN's `loss_log.json` (its LossManager's `export_base_log` and `_dump_to_log`):
 * `{"LOSSMANAGER_LOG": {"device", "dataroot", "dataset_length", "experiment",
 * "loss_functions": {"G_GAN": {"loss": [...], "weights": [...]}, ...}}}`, one value per training iteration
 * and loss, logged after weighting (`loss_value * lambda`), with the lambda beside it.
 */

/** One logged loss, per epoch, and its iteration-level values decimated for drawing. */
export interface LossSeries {
  name: string;
  /** `G` or `D` by NectarGAN's naming (`G_L1`, `D_real`); `other` for a loss named otherwise. */
  group: 'G' | 'D' | 'other';
  epochs: number[];
  /** Per epoch: mean, min, max of the logged values (float64, as numpy over Python's floats). */
  mean: number[];
  min: number[];
  max: number[];
  /** Per epoch: the mean logged weight (lambda), null when the loss logged none. */
  weight: (number | null)[];
  /** Per epoch: how many values were logged (fewer than an epoch's iterations: a partial epoch). */
  iterations: number[];
  /** Every value, as min/max buckets of `bucket` consecutive iterations (at most MAX_BUCKETS of them). */
  envelope: { bucket: number; lo: number[]; hi: number[] };
  /** How many values were logged in all. */
  values: number;
}

export interface TrainingLog {
  datasetLength: number;
  iterationsPerEpoch: number;
  /** The epoch of the log's first value (load_epoch + 1 after a continued train, else 1). */
  firstEpoch: number;
  losses: LossSeries[];
}

/** The log is not (yet) whole: NectarGAN is rewriting it. Worth a retry. */
export class IncompleteLog extends Error {}
/** The log is not a NectarGAN loss log, or not JSON. Not worth a retry. */
export class BadLog extends Error {}

/** Drawing keeps at most this many min/max buckets per loss: a faithful envelope at any log size. */
export const MAX_BUCKETS = 2048;

/** Per-epoch statistics and the drawing envelope of one series of values, accumulated as they stream. */
class Accumulator {
  readonly epochs = new Map<number, { sum: number; min: number; max: number; n: number }>();
  bucket = 1;
  lo: number[] = [];
  hi: number[] = [];
  n = 0;
  constructor(
    private readonly perEpoch: number,
    private readonly first: number,
  ) {}
  add(v: number): void {
    const e = this.first + Math.floor(this.n / this.perEpoch);
    const s = this.epochs.get(e);
    if (s) {
      s.sum += v;
      s.min = Math.min(s.min, v);
      s.max = Math.max(s.max, v);
      s.n++;
    } else this.epochs.set(e, { sum: v, min: v, max: v, n: 1 });
    const b = Math.floor(this.n / this.bucket);
    if (b === this.lo.length) {
      this.lo.push(v);
      this.hi.push(v);
    } else {
      this.lo[b] = Math.min(this.lo[b]!, v);
      this.hi[b] = Math.max(this.hi[b]!, v);
    }
    this.n++;
    if (this.lo.length > MAX_BUCKETS && this.n % (this.bucket * 2) === 0) this.halve();
  }
  /** Merges neighbouring buckets: the envelope keeps every extreme at half the resolution. */
  private halve(): void {
    const lo: number[] = [],
      hi: number[] = [];
    for (let i = 0; i < this.lo.length; i += 2) {
      lo.push(Math.min(this.lo[i]!, this.lo[i + 1] ?? Infinity));
      hi.push(Math.max(this.hi[i]!, this.hi[i + 1] ?? -Infinity));
    }
    this.lo = lo;
    this.hi = hi;
    this.bucket *= 2;
  }
}

interface Frame {
  array: boolean;
  key?: string;
  awaitingKey: boolean;
}

/** Where the tokenizer is: the stack of containers and, in objects, the current key. */
class LogWalker {
  readonly stack: Frame[] = [];
  tokens = 0;
  datasetLength?: number;
  readonly values = new Map<string, Accumulator>();
  readonly weights = new Map<string, Accumulator>();
  constructor(
    private readonly batchSize: number,
    private readonly firstEpoch: number,
  ) {}

  token(token: TokenType, value: unknown): void {
    const top = this.stack.at(-1);
    this.tokens++;
    if (token === TokenType.LEFT_BRACE || token === TokenType.LEFT_BRACKET) {
      this.stack.push({
        array: token === TokenType.LEFT_BRACKET,
        awaitingKey: token === TokenType.LEFT_BRACE,
      });
    } else if (token === TokenType.RIGHT_BRACE || token === TokenType.RIGHT_BRACKET) this.stack.pop();
    else if (token === TokenType.COMMA) {
      if (top && !top.array) top.awaitingKey = true;
    } else if (token === TokenType.STRING && top && !top.array && top.awaitingKey) {
      top.key = value as string;
      top.awaitingKey = false;
    } else if (token === TokenType.NUMBER) this.number(value as number);
  }

  private number(v: number): void {
    const s = this.stack;
    if (s[0]?.key !== 'LOSSMANAGER_LOG') return;
    if (s.length === 2 && s[1]!.key === 'dataset_length') this.datasetLength = v;
    if (s.length !== 5 || s[1]!.key !== 'loss_functions' || !s[4]!.array) return;
    const kind = s[3]!.key === 'loss' ? this.values : s[3]!.key === 'weights' ? this.weights : undefined;
    if (!kind) return;
    const name = s[2]!.key!;
    let acc = kind.get(name);
    if (!acc) {
      if (this.datasetLength === undefined)
        throw new BadLog('no LOSSMANAGER_LOG.dataset_length before the logged values');
      acc = new Accumulator(this.perEpoch(), this.firstEpoch);
      kind.set(name, acc);
    }
    acc.add(v);
  }

  /** NectarGAN's DataLoader keeps the last partial batch (drop_last=False): ceil(length / batch size). */
  perEpoch(): number {
    return Math.max(1, Math.ceil(this.datasetLength! / this.batchSize));
  }
}

/**
 * Streams a loss log in bounded memory (the tokenizer's chunk, and per loss its per-epoch statistics and
 * at most MAX_BUCKETS envelope buckets). Epochs: the `i`-th value (from 0) of a loss belongs to epoch
 * `firstEpoch + floor(i / ceil(dataset_length / batchSize))`. Throws IncompleteLog for a prefix of a log
 * (NectarGAN is rewriting it), BadLog for anything else that is not a loss log.
 */
export async function readLossLog(file: string, batchSize: number, firstEpoch: number): Promise<TrainingLog> {
  const walker = new LogWalker(batchSize, firstEpoch);
  const tokenizer = new Tokenizer({ numberBufferSize: 64 });
  let failure: Error | undefined;
  tokenizer.onToken = ({ token, value }) => walker.token(token, value);
  tokenizer.onError = (err) => (failure ??= err);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    tokenizer.write(chunk as Buffer);
    if (failure) throw failure instanceof BadLog ? failure : new BadLog(`not JSON (${failure.message})`);
  }
  if (walker.tokens === 0) throw new IncompleteLog('the log is empty');
  if (walker.stack.length > 0 || !tokenizer.isEnded) {
    if (walker.stack.length > 0 || failure) throw new IncompleteLog('the log ends before its last bracket');
    tokenizer.end();
  }
  if (walker.datasetLength === undefined) throw new BadLog('no LOSSMANAGER_LOG.dataset_length');
  return {
    datasetLength: walker.datasetLength,
    iterationsPerEpoch: walker.perEpoch(),
    firstEpoch,
    losses: [...walker.values].map(([name, acc]) => series(name, acc, walker.weights.get(name))),
  };
}

function series(name: string, acc: Accumulator, weights: Accumulator | undefined): LossSeries {
  const epochs = [...acc.epochs.keys()].sort((a, b) => a - b);
  const stat = (f: (s: { sum: number; min: number; max: number; n: number }) => number) =>
    epochs.map((e) => f(acc.epochs.get(e)!));
  return {
    name,
    group: name.startsWith('G_') ? 'G' : name.startsWith('D_') ? 'D' : 'other',
    epochs,
    mean: stat((s) => s.sum / s.n),
    min: stat((s) => s.min),
    max: stat((s) => s.max),
    weight: epochs.map((e) => {
      const w = weights?.epochs.get(e);
      return w ? w.sum / w.n : null;
    }),
    iterations: stat((s) => s.n),
    envelope: { bucket: acc.bucket, lo: acc.lo, hi: acc.hi },
    values: acc.n,
  };
}
