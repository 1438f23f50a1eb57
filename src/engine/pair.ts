import { UserError } from '../errors.js';
import { decodeImage, type DecodedImage } from '../io/decode.js';
import type { FileKind } from '../io/outputs.js';
import { writeAllOrNothing } from '../io/write.js';
import type { Range } from '../losses/range.js';
import { loadLoss } from '../losses/registry.js';
import type { LossContext, LossDefinition } from '../losses/types.js';
import { vgg19Weights } from '../losses/vgg.js';

// Figures need fonts and encoders: loaded only when files are written.
const outputs = () => import('../io/outputs.js');
import type { BackendName } from './backend.js';
import { computeLosses } from './compute.js';

/** How every pair is compared and drawn (the per-pair options of the single and batch commands). */
export interface PairSettings {
  range: Range;
  scale: number | 'max';
  colormap: string;
  raw: boolean;
  /** Write files at all (false: --no-maps). */
  maps: boolean;
  resize: boolean;
  /** PNG kinds to write (--files); default heatmap, real, fake, figure. */
  files?: readonly FileKind[];
  /** Pixel limit per image (--max-pixels); default sharp's 268402689. */
  maxPixels?: number;
}

/** One image as handed to runPair: its bytes (or a checked file path, which sharp reads itself without a
 *  copy of the whole file in memory) and how messages name it. */
export interface PairInput {
  bytes: Buffer | string;
  /** `real path/to/x.png`, `fake (stdin)` */
  label: string;
  /** For the size-mismatch message. */
  name: string;
}

export interface PairOutcome {
  width: number;
  height: number;
  /** loss -> its value */
  losses: Record<string, number>;
  /** loss -> kind -> path written */
  files: Record<string, Partial<Record<FileKind, string>>>;
}

/** Weights and other parameters the losses need, made into tensors once and reused for many pairs. */
export class LossResources {
  private ctx: LossContext = {};
  /**
   * `parallelVgg`: run VGG's two images in two worker threads on this backend (the single command, where
   * the other core would idle; batches already run one pair per core).
   */
  constructor(readonly weightsFile?: string, readonly parallelVgg?: BackendName) {}
  async forLosses(names: string[]): Promise<LossContext> {
    const defs = await Promise.all(names.map(loadLoss));
    if (defs.some((d) => d?.requires === 'vgg19') && !this.ctx.vgg19 && !this.parallelVgg) {
      if (!this.weightsFile) throw new UserError('the vgg loss needs VGG19 weights');
      const { loadVgg19 } = await import('../io/weights/vgg19.js');
      this.ctx.vgg19 = vgg19Weights(await loadVgg19(this.weightsFile));
    }
    return this.ctx;
  }
  dispose(): void {
    this.ctx.vgg19?.dispose();
    this.ctx = {};
  }
}

/** Runs `f` when it is this caller's turn (a batch worker computes one pair at a time while others decode
 *  and encode); the single command runs it at once. */
export type Serialize = <T>(f: () => Promise<T>) => Promise<T>;
const atOnce: Serialize = (f) => f();

/** Decodes both images of a pair at once and checks (or, with --resize, fixes) their sizes. */
async function decodePair(real: PairInput, fake: PairInput, s: PairSettings): Promise<[DecodedImage, DecodedImage]> {
  const [a, b] = await Promise.allSettled([real, fake].map((x) => decodeImage(x.bytes, { label: x.label, maxPixels: s.maxPixels })));
  // Real's error first when both fail, so the message does not depend on which decoder finished first.
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  const r = a.value;
  let f = b.value;
  if (f.width !== r.width || f.height !== r.height) {
    if (!s.resize) throw new UserError(`size mismatch: real ${real.name} is ${r.width}x${r.height}, fake ${fake.name} is ${f.width}x${f.height} (--resize resizes fake to real's size)`);
    f = await decodeImage(fake.bytes, { label: fake.label, maxPixels: s.maxPixels, resizeTo: { width: r.width, height: r.height } });
  }
  return [r, f];
}

/**
 * Decodes a pair, checks sizes, computes every loss, and writes all files of the pair into `outDir` at once
 * (all or nothing), named `<stem>.<loss>.<kind>`. The active tfjs backend is used; no tensor survives.
 * Only the computation goes through `serialize`: decoding and encoding (sharp, on libuv's threads) of
 * other pairs can overlap it.
 */
export async function runPair(real: PairInput, fake: PairInput, losses: string[], s: PairSettings, res: LossResources, outDir: string, stem: string, serialize: Serialize = atOnce): Promise<PairOutcome> {
  const [r, f] = await decodePair(real, fake, s);
  const { out, defs, computed } = await serialize(() => computeAll(r, f, losses, s, res));
  // Every loss's files are encoded at once (sharp runs them on libuv's threads).
  const { renderFiles } = s.maps ? await outputs() : { renderFiles: undefined };
  const rendered = renderFiles
    ? (await Promise.all(defs.map(async (loss) => (await renderFiles(loss, computed.get(loss)!, r, f, stem, s)).map((file) => ({ loss: loss.name, file }))))).flat()
    : [];
  if (rendered.length) {
    const paths = writeAllOrNothing(outDir, rendered.map((x) => x.file));
    rendered.forEach((x, i) => (out.files[x.loss]![x.file.kind] = paths[i]));
  }
  return out;
}

async function computeAll(r: DecodedImage, f: DecodedImage, losses: string[], s: PairSettings, res: LossResources) {
  const ctx = await res.forLosses(losses);
  const out: PairOutcome = { width: r.width, height: r.height, losses: {}, files: {} };
  const defs = await Promise.all(losses.map(async (name) => {
    const loss = await loadLoss(name);
    if (!loss) throw new UserError(`unknown loss '${name}'`);
    return loss;
  }));
  // Filtered maps are downloaded only when a file draws them.
  const filtered = s.maps && (s.files ?? (await outputs()).PNG_KINDS).some((k) => k === 'real' || k === 'fake' || k === 'figure');
  const parallel = (l: LossDefinition) => l.requires === 'vgg19' && res.parallelVgg !== undefined && res.weightsFile !== undefined;
  // The losses run here share one upload of the pair; VGG on two threads runs on its own.
  const here = defs.filter((l) => !parallel(l));
  const computed = new Map(computeLosses(here, r, f, s.range, ctx, { map: s.maps, filtered }).map((x, i) => [here[i]!, x]));
  for (const loss of defs) {
    if (!computed.has(loss)) computed.set(loss, await (await import('./vgg-parallel.js')).vggParallel(r, f, s.range, res.parallelVgg!, res.weightsFile!, { map: s.maps }));
    out.losses[loss.name] = computed.get(loss)!.mean;
    out.files[loss.name] = {};
  }
  return { out, defs, computed };
}
