/**
 * The FID Inception network's layer layout (pytorch-fid 0.3.0's `fid_inception_v3`: torchvision's
 * Inception3 with num_classes=1008, no aux logits, Mixed_5b..5d = FIDInceptionA, 6b..6e = FIDInceptionC,
 * 7b/7c = FIDInceptionE_1/_2) as its state_dict stores it. Plain data, no TensorFlow.js, so the weights
 * reader (src/io/weights/inception.ts) can check a file without loading tfjs.
 *
 * Every conv is torchvision's BasicConv2d: Conv2d(bias=False) -> BatchNorm2d(eps=0.001) -> ReLU, keys
 * `<name>.conv.weight` [cout, cin, kh, kw] and `<name>.bn.{weight,bias,running_mean,running_var}` [cout].
 */

export interface InceptionConv {
  /** Module path, e.g. `Mixed_5b.branch5x5_2`. */
  name: string;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number;
  /** Zero padding on top/bottom and left/right. */
  ph: number;
  pw: number;
}

/** --dims and the block whose output (spatially averaged) gives it, as pytorch-fid's BLOCK_INDEX_BY_DIM. */
export const FID_DIMS = [64, 192, 768, 2048] as const;
export type FidDims = (typeof FID_DIMS)[number];

/** BatchNorm2d's eps in torchvision's BasicConv2d. */
export const BN_EPS = 0.001;
/** The classifier pytorch-fid's weights carry (1008 classes: TensorFlow's 2015 Inception graph). */
export const FC_SHAPE = [1008, 2048] as const;

const c = (name: string, cin: number, cout: number, k: number | [number, number], stride = 1, pad = 0) => {
  const [kh, kw] = typeof k === 'number' ? [k, k] : k;
  const [ph, pw] = typeof k === 'number' ? [pad, pad] : [(kh - 1) / 2, (kw - 1) / 2];
  return { name, cin, cout, kh, kw, stride, ph, pw };
};

/** InceptionA(in, pool_features). */
function blockA(m: string, cin: number, pool: number): InceptionConv[] {
  return [
    c(`${m}.branch1x1`, cin, 64, 1),
    c(`${m}.branch5x5_1`, cin, 48, 1),
    c(`${m}.branch5x5_2`, 48, 64, 5, 1, 2),
    c(`${m}.branch3x3dbl_1`, cin, 64, 1),
    c(`${m}.branch3x3dbl_2`, 64, 96, 3, 1, 1),
    c(`${m}.branch3x3dbl_3`, 96, 96, 3, 1, 1),
    c(`${m}.branch_pool`, cin, pool, 1),
  ];
}

/** InceptionB(in): Mixed_6a. */
function blockB(m: string, cin: number): InceptionConv[] {
  return [
    c(`${m}.branch3x3`, cin, 384, 3, 2),
    c(`${m}.branch3x3dbl_1`, cin, 64, 1),
    c(`${m}.branch3x3dbl_2`, 64, 96, 3, 1, 1),
    c(`${m}.branch3x3dbl_3`, 96, 96, 3, 2),
  ];
}

/** InceptionC(in, channels_7x7): (1, 7) and (7, 1) convs padded (0, 3) and (3, 0). */
function blockC(m: string, cin: number, c7: number): InceptionConv[] {
  return [
    c(`${m}.branch1x1`, cin, 192, 1),
    c(`${m}.branch7x7_1`, cin, c7, 1),
    c(`${m}.branch7x7_2`, c7, c7, [1, 7]),
    c(`${m}.branch7x7_3`, c7, 192, [7, 1]),
    c(`${m}.branch7x7dbl_1`, cin, c7, 1),
    c(`${m}.branch7x7dbl_2`, c7, c7, [7, 1]),
    c(`${m}.branch7x7dbl_3`, c7, c7, [1, 7]),
    c(`${m}.branch7x7dbl_4`, c7, c7, [7, 1]),
    c(`${m}.branch7x7dbl_5`, c7, 192, [1, 7]),
    c(`${m}.branch_pool`, cin, 192, 1),
  ];
}

/** InceptionD(in): Mixed_7a. */
function blockD(m: string, cin: number): InceptionConv[] {
  return [
    c(`${m}.branch3x3_1`, cin, 192, 1),
    c(`${m}.branch3x3_2`, 192, 320, 3, 2),
    c(`${m}.branch7x7x3_1`, cin, 192, 1),
    c(`${m}.branch7x7x3_2`, 192, 192, [1, 7]),
    c(`${m}.branch7x7x3_3`, 192, 192, [7, 1]),
    c(`${m}.branch7x7x3_4`, 192, 192, 3, 2),
  ];
}

/** InceptionE(in): Mixed_7b, Mixed_7c. */
function blockE(m: string, cin: number): InceptionConv[] {
  return [
    c(`${m}.branch1x1`, cin, 320, 1),
    c(`${m}.branch3x3_1`, cin, 384, 1),
    c(`${m}.branch3x3_2a`, 384, 384, [1, 3]),
    c(`${m}.branch3x3_2b`, 384, 384, [3, 1]),
    c(`${m}.branch3x3dbl_1`, cin, 448, 1),
    c(`${m}.branch3x3dbl_2`, 448, 384, 3, 1, 1),
    c(`${m}.branch3x3dbl_3a`, 384, 384, [1, 3]),
    c(`${m}.branch3x3dbl_3b`, 384, 384, [3, 1]),
    c(`${m}.branch_pool`, cin, 192, 1),
  ];
}

/** Every BasicConv2d of the network, in forward order. */
export const INCEPTION_CONVS: readonly InceptionConv[] = [
  c('Conv2d_1a_3x3', 3, 32, 3, 2),
  c('Conv2d_2a_3x3', 32, 32, 3),
  c('Conv2d_2b_3x3', 32, 64, 3, 1, 1),
  c('Conv2d_3b_1x1', 64, 80, 1),
  c('Conv2d_4a_3x3', 80, 192, 3),
  ...blockA('Mixed_5b', 192, 32),
  ...blockA('Mixed_5c', 256, 64),
  ...blockA('Mixed_5d', 288, 64),
  ...blockB('Mixed_6a', 288),
  ...blockC('Mixed_6b', 768, 128),
  ...blockC('Mixed_6c', 768, 160),
  ...blockC('Mixed_6d', 768, 160),
  ...blockC('Mixed_6e', 768, 192),
  ...blockD('Mixed_7a', 768),
  ...blockE('Mixed_7b', 1280),
  ...blockE('Mixed_7c', 2048),
];

/** The convs a --dims needs: the stem up to the block whose output gives that many features. */
export function convsFor(dims: FidDims): readonly InceptionConv[] {
  const last = { 64: 'Conv2d_2b_3x3', 192: 'Conv2d_4a_3x3', 768: 'Mixed_6e', 2048: 'Mixed_7c' }[dims];
  let end = 0;
  INCEPTION_CONVS.forEach((x, i) => {
    if (x.name === last || x.name.startsWith(`${last}.`)) end = i;
  });
  return INCEPTION_CONVS.slice(0, end + 1);
}

/** The state_dict suffixes of one BasicConv2d (num_batches_tracked is not needed, and older files lack it). */
export const BASIC_CONV_KEYS = [
  'conv.weight',
  'bn.weight',
  'bn.bias',
  'bn.running_mean',
  'bn.running_var',
] as const;

/** One BasicConv2d's parameters as PyTorch stores them (row-major float32). */
export interface TorchBasicConv {
  name: string;
  weight: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}
