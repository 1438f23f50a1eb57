import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.js';

/** A weights file that is not what it should be. */
const bad = (message: string) => new UserError(message, 'BAD_WEIGHTS');
import { LPIPS_CHANNELS, TRUNK_CONVS, TRUNK_NAMES, type LpipsNet } from '../../losses/trunk-layout.js';
import type { TorchConv } from '../../losses/vgg-layout.js';
import { featureKeys, openCheckpoint } from './checkpoint.js';

/**
 * Readers for LPIPS's weights (issue 12): the trunk (torchvision's `alexnet-owt-7be5be79.pth` or
 * `vgg16-397923af.pth`, or any state_dict in their layout: `features.N.*`, `N.*` or `module.features.N.*`)
 * and the lpips package's 1x1 linear layers (`weights/v0.1/{alex,vgg}.pth`: `lin{l}.model.1.weight`
 * [1, C_l, 1, 1]). Each file's index is checked before any tensor is read; a wrong architecture is refused.
 */

/** The trunk's convs from a torchvision checkpoint, after checking that it is that architecture. */
export async function loadTrunk(file: string, net: LpipsNet): Promise<TorchConv[]> {
  const arch = TRUNK_NAMES[net];
  const label = `${arch} weights ${file}`;
  const ck = await openCheckpoint(file, label);
  try {
    const keys = featureKeys(ck.tensors.keys());
    const specs = TRUNK_CONVS[net];
    const stray = [...keys.keys()].filter((i) => !specs.some((s) => s.index === i)).sort((a, b) => a - b);
    if (stray.length) {
      throw bad(`${label}: not ${arch}: it has a layer at features.${stray[0]}, where ${arch} has none`);
    }
    return specs.map(({ index, cin, cout, k }) => {
      const e = keys.get(index);
      if (!e?.weight || !e.bias) {
        throw bad(
          `${label}: not ${arch} weights: features.${index}.${e?.weight ? 'bias' : 'weight'} missing`,
        );
      }
      const ws = ck.tensors.get(e.weight)!.shape,
        bs = ck.tensors.get(e.bias)!.shape;
      if (ws.join() !== [cout, cin, k, k].join() || bs.join() !== String(cout)) {
        throw bad(
          `${label}: not ${arch}: features.${index} has weight [${ws.join(', ')}] and bias ` +
            `[${bs.join(', ')}], expected [${cout}, ${cin}, ${k}, ${k}] and [${cout}]`,
        );
      }
      return { index, weight: ck.read(e.weight), bias: ck.read(e.bias) };
    });
  } finally {
    ck.close();
  }
}

/** The five linear layers' weights ([C_l] each) of an lpips v0.1 file for `net`. */
export async function loadLpipsLinear(file: string, net: LpipsNet): Promise<Float32Array[]> {
  const label = `LPIPS ${net} linear layers ${file}`;
  const ck = await openCheckpoint(file, label);
  try {
    return LPIPS_CHANNELS[net].map((ch, l) => {
      const key = [`lin${l}.model.1.weight`, `lin${l}.model.0.weight`].find((k) => ck.tensors.has(k));
      if (!key) throw bad(`${label}: not LPIPS linear layers: lin${l}.model.1.weight missing`);
      const shape = ck.tensors.get(key)!.shape;
      if (shape.join() !== [1, ch, 1, 1].join()) {
        throw bad(
          `${label}: not the ${net} linear layers: ${key} is [${shape.join(', ')}], expected [1, ${ch}, 1, ` +
            `1]`,
        );
      }
      const w = ck.read(key);
      if (w.some((v) => !(v >= 0))) {
        throw bad(`${label}: ${key} has negative or NaN weights (lpips trains them non-negative)`);
      }
      return w;
    });
  } finally {
    ck.close();
  }
}

/** The lpips package's v0.1 linear layers shipped with nectar-loss (BSD-2-Clause, weights/lpips/LICENSE). */
export function shippedLpipsLinear(net: LpipsNet): string {
  // dist/src/io/weights/trunks.js -> the package root
  return fileURLToPath(new URL(`../../../../weights/lpips/v0.1/${net}.pth`, import.meta.url));
}
