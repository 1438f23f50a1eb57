import { TRUNK_CONVS, type LpipsNet } from '../../src/losses/trunk-layout.js';
import type { TorchConv } from '../../src/losses/vgg-layout.js';

/**
 * The seeded stand-in trunks of fixtures/make_metric_fixtures.py, recomputed from the formula in its header
 * (VGG16's file, ~59 MB, is not committed):
 *   h(i, s) = lowbias32((i + s * 0x9E3779B9) mod 2^32), u = h / 2^32
 *   weight[i] = float32((u - 0.5) * sqrt(24 / fan_in)), s = 2 * index + 1;  bias[i] = float32((u - 0.5) *
 * 0.2), s = 2 * index + 2
 */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

export function seeded(n: number, s: number, scale: number): Float32Array {
  const base = Number((BigInt(s) * 0x9e3779b9n) % 2n ** 32n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (lowbias32((base + i) >>> 0) / 2 ** 32 - 0.5) * scale;
  return out;
}

export function seededTrunk(net: LpipsNet): TorchConv[] {
  return TRUNK_CONVS[net].map(({ index, cin, cout, k }) => ({
    index,
    weight: seeded(cout * cin * k * k, 2 * index + 1, Math.sqrt(24 / (cin * k * k))),
    bias: seeded(cout, 2 * index + 2, 0.2),
  }));
}
