/**
 * The LPIPS trunks' layer layout as torchvision stores it (`alexnet().features`, `vgg16().features`) and the
 * lpips package cuts it (lpips/pretrained_networks.py): plain data, no TensorFlow.js, so that the weights
 * reader (src/io/weights/trunks.ts) can check a file without loading tfjs.
 */

export type LpipsNet = 'alex' | 'vgg';

/** One conv: torchvision `features` index, channels, square kernel size, stride and zero padding. */
export interface TrunkConv {
  index: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

/**
 * A step of the trunk: a conv (+ ReLU) by its features index, a max-pool, or a tap (one of the 5 outputs).
 */
export type TrunkStep = { conv: number } | { pool: { size: number; stride: number } } | 'tap';

const c = (index: number, cin: number, cout: number, k = 3, stride = 1, pad = 1): TrunkConv => ({
  index,
  cin,
  cout,
  k,
  stride,
  pad,
});

/**
 * AlexNet (torchvision, "one weird trick" variant): 5 convs; pools MaxPool2d(3, 2) after relu1, relu2, relu5.
 */
export const ALEXNET_CONVS: readonly TrunkConv[] = [
  c(0, 3, 64, 11, 4, 2),
  c(3, 64, 192, 5, 1, 2),
  c(6, 192, 384),
  c(8, 384, 256),
  c(10, 256, 256),
];

/** VGG16 (configuration D): 13 3x3 convs with padding 1; MaxPool2d(2, 2) at features 4, 9, 16, 23, 30. */
export const VGG16_CONVS: readonly TrunkConv[] = [
  c(0, 3, 64),
  c(2, 64, 64),
  c(5, 64, 128),
  c(7, 128, 128),
  c(10, 128, 256),
  c(12, 256, 256),
  c(14, 256, 256),
  c(17, 256, 512),
  c(19, 512, 512),
  c(21, 512, 512),
  c(24, 512, 512),
  c(26, 512, 512),
  c(28, 512, 512),
];

export const TRUNK_CONVS: Record<LpipsNet, readonly TrunkConv[]> = { alex: ALEXNET_CONVS, vgg: VGG16_CONVS };

/** Architecture names for messages. */
export const TRUNK_NAMES: Record<LpipsNet, string> = { alex: 'AlexNet', vgg: 'VGG16' };

const P3 = { pool: { size: 3, stride: 2 } } as const;
const P2 = { pool: { size: 2, stride: 2 } } as const;
const cv = (...ix: number[]): TrunkStep[] => ix.map((conv) => ({ conv }));

/**
 * lpips' slices: alex relu1 = features[0:2], relu2 = [2:5], relu3 = [5:8], relu4 = [8:10], relu5 = [10:12];
 * vgg relu1_2 = [0:4], relu2_2 = [4:9], relu3_3 = [9:16], relu4_3 = [16:23], relu5_3 = [23:30].
 */
export const TRUNK_PLAN: Record<LpipsNet, readonly TrunkStep[]> = {
  alex: [...cv(0), 'tap', P3, ...cv(3), 'tap', P3, ...cv(6), 'tap', ...cv(8), 'tap', ...cv(10), 'tap'],
  vgg: [
    ...cv(0, 2),
    'tap',
    P2,
    ...cv(5, 7),
    'tap',
    P2,
    ...cv(10, 12, 14),
    'tap',
    P2,
    ...cv(17, 19, 21),
    'tap',
    P2,
    ...cv(24, 26, 28),
    'tap',
  ],
};

/** Channels of the five taps (lpips' `chns`), i.e. of the linear layers lin0..lin4. */
export const LPIPS_CHANNELS: Record<LpipsNet, readonly number[]> = {
  alex: [64, 192, 384, 256, 256],
  vgg: [64, 128, 256, 512, 512],
};

/** lpips v0.1 ScalingLayer: x' = (x - shift) / scale per RGB channel (float32 in the package). */
export const LPIPS_SHIFT = [-0.03, -0.088, -0.188] as const;
export const LPIPS_SCALE = [0.458, 0.448, 0.45] as const;
