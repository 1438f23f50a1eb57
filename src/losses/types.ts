import type * as tf from '@tensorflow/tfjs-core';
import type { LpipsWeights } from './lpips-types.js';
import type { RawImage, Range } from '../model.js';

/**
 * Images enter every loss as float32 NHWC tensors: [N, H, W, C] or a single [H, W, C] image, C >= 3
 * (only the first three channels are read, as NectarGAN's VGG path does with `[:, :3]`).
 * Values are in the caller's range: unit [0, 1] or NectarGAN's training range [-1, 1].
 */
export type Image = tf.Tensor3D | tf.Tensor4D;

/** What every loss returns. All tensors are new; the caller owns them (tf.tidy or dispose). */
export interface LossResult {
  /** Per-pixel loss map, [H, W] for a single image or [N, H, W] for a batch. */
  map: tf.Tensor;
  /** mean(map): the scalar NectarGAN's module returns with reduction='mean'. Differentiable. */
  mean: tf.Scalar;
  /**
   * The filtered images the docs' figures show below real and fake (shape of `map`), if the loss has them.
   */
  filtered?: { real: tf.Tensor; fake: tf.Tensor };
  /**
   * When the loss is not mean(map): maps whose means add up to the loss (vgg: each block's channel-mean
   * |difference| at its own resolution). Callers can then sum in float64 rather than trust a float32
   * reduction over millions of elements.
   */
  terms?: tf.Tensor[];
}

/**
 * The seven VGG19 convs as tfjs tensors: kernels [3, 3, in, out] (transposed from PyTorch's [out, in, 3, 3]).
 */
export interface Vgg19Weights {
  convs: { kernel: tf.Tensor4D; bias: tf.Tensor1D }[];
  dispose(): void;
}

/** Parameters a loss needs beyond the two images (loaded by the caller: losses do no I/O). */
export interface LossContext {
  vgg19?: Vgg19Weights;
  'lpips-alex'?: LpipsWeights;
  'lpips-vgg'?: LpipsWeights;
  /** The images' value range L: 1 for [0, 1], 2 for [-1, 1] (ssim, ms-ssim, psnr, flip). */
  dataRange?: number;
  /** Pixels per degree of visual angle (flip; default model.ts's DEFAULT_PPD). */
  ppd?: number;
}

/**
 * How a per-pixel loss becomes shift-tolerant (shift.ts): the filtered image F it compares, the power of
 * the per-channel difference, and (for figures) how F is shown.
 */
export interface ShiftSpec {
  /** F(x): [N,H,W,C] from an image (or a gray one, for grayOnly losses). */
  filter(x: Image): tf.Tensor4D;
  power: 1 | 2;
  /** The filtered maps for figures, from F (laplacian: |lap|); absent: F itself. */
  shown?: (f: tf.Tensor4D) => tf.Tensor4D;
  /** Set when the figures show filtered maps (the loss's filterLabel). */
  filterLabel?: string;
}

/** One loss: its math plus the names its figure uses. */
export interface LossDefinition {
  /** CLI and registry name, e.g. `sobel`. */
  name: string;
  /** Caption title, e.g. `Sobel` for `Sobel Heatmap - Mean: 0.365425`. */
  title: string;
  /** Suffix of the filtered-map labels (`y_real_sobel`); absent when the loss has no filtered maps. */
  filterLabel?: string;
  /**
   * For local losses: how many pixels of context each output pixel reads on every side (3x3 filters: 1;
   * per-pixel losses: 0). The engine may then compute the map in strips overlapping by this much. Absent
   * for losses that are not local (vgg), which always run on whole images.
   */
  halo?: number;
  /**
   * Equal images give an all-zero map (and so the value `fromMean(0)`), on the active backend, with or
   * without a shift tolerance: the engine then skips the computation (a function: only on the backends it
   * says). A test checks each claim against the computed map.
   */
  zeroWhenEqual?: true | (() => boolean);
  /**
   * The halo when it depends on the context (flip: its filters' radius grows with ppd); `halo` is then the
   * halo at the default context.
   */
  haloFor?: (ctx?: LossContext) => number;
  /** The heatmap's colour map when --colormap is not given (flip: magma, as FLIP's tool draws); else gray. */
  colormap?: string;
  /**
   * True when `compute` reads its images only through gray(x) (sobel, laplacian): it then also takes
   * one-channel images as already gray, and the engine computes gray once for all such losses of a pair.
   */
  grayOnly?: boolean;
  /**
   * The value grows with similarity (ssim, ms-ssim, psnr); the map still shows dissimilarity (bright =
   * differs).
   */
  higherIsBetter?: true;
  /**
   * What the per-pixel map holds when it is not the value's own quantity (a similarity, whose map shows
   * dissimilarity): figures caption the map by it (`1 − SSIM map, mean 0.378`) and the value apart.
   */
  mapTitle?: string;
  /** The value's unit in captions (psnr: `dB`). */
  unit?: string;
  /**
   * The heatmap scale when none is given (--scale), for data range L (psnr: 0.01·L², white where a pixel's
   * squared error is a hundredth of L², i.e. its error a tenth of the range); absent: DEFAULTS.draw.scale.
   */
  heatScale?: (dataRange: number) => number;
  /**
   * How the engine turns the float64 mean of the map into the value, when it is not the mean itself: `crop`
   * leaves that many border pixels out of the mean (ssim's 5), `fromMean(mean, L)` maps it (ssim: 1 - mean;
   * psnr: 10 log10(L² / mean)).
   */
  value?: {
    crop?: number;
    fromMean?: (mean: number, dataRange: number) => number;
    /**
     * The mean is a float32 running sum of the map in row-major order divided by the pixel count in float32,
     * as FLIP's tool pools it (flip), instead of the float64 mean.
     */
    float32Sum?: true;
  };
  /** The value is `mean` alone and there is no per-pixel map (ms-ssim): no files, no mask. */
  mapless?: true;
  /** The shorter side an image needs at least (ssim: 11, the window; ms-ssim: 161, four halvings of it). */
  minSide?: number;
  /**
   * The map straight from two whole images' stored samples (shift tolerance k), by a host kernel, with no
   * tensor made: the same float32 map the tensors give, bit for bit, or undefined where it does not apply
   * (then the engine computes as usual). l1, l2, psnr (shift-host.ts), ssim (ssim-host.ts); flip
   * (flip-host.ts: FLIP's C++ order of operations, not the ops' bits).
   */
  fromSamples?(
    real: RawImage,
    fake: RawImage,
    range: Range,
    k: number,
    ctx?: LossContext,
  ): Float32Array | undefined;
  /**
   * `fromSamples` bounds its own memory (flip: it runs in bands of rows), so the engine calls it for images
   * of any size; without it, only for images up to one strip.
   */
  samplesAnySize?: true;
  /**
   * A module of src/losses (its name, e.g. `flip-host`) that loads no TensorFlow.js and exports
   * `samplesRows(real, fake, ctx, y0, y1, from)`: rows y0 ... y1 - 1 of the `fromSamples` map, from samples
   * that start at row `from`. The engine then computes a band of rows on a worker thread (engine/rows.ts).
   */
  rowsModule?: string;
  /** Present when --shift-tolerance applies to this loss. */
  shift?: ShiftSpec;
  /** Weights `compute` needs in its context, if any (a key of LossContext). */
  requires?: 'vgg19' | 'lpips-alex' | 'lpips-vgg';
  compute(real: Image, fake: Image, ctx?: LossContext): LossResult;
  /**
   * Two-stage losses (vgg): compute = compareEmbeddings(embed(real), embed(fake)). The engine may then run
   * the two embeddings on two threads. `embed` returns tensors the caller owns; `compareEmbeddings` gives
   * `terms` whose float64 means add up to the loss, and `map` at the input size h x w (withMap false: a
   * scalar placeholder, for a caller that wants only the value).
   */
  embed?(x: Image, ctx?: LossContext): tf.Tensor4D[];
  compareEmbeddings?(
    real: tf.Tensor4D[],
    fake: tf.Tensor4D[],
    h: number,
    w: number,
    single: boolean,
    withMap?: boolean,
  ): LossResult;
}
