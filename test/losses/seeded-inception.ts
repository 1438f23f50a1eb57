import { writeFileSync } from 'node:fs';
import { INCEPTION_CONVS, type TorchBasicConv } from '../../src/losses/inception-layout.js';

/**
 * The seeded stand-in FID Inception weights of fixtures/make_fid_fixtures.py, recomputed from the formula in
 * its header (the real network's 23.9M parameters, ~95 MB, are not committed):
 *   s = FNV-1a 32 of the state_dict key, v = lowbias32((s + i) mod 2^32) / 2^32 - 0.5
 *   conv.weight v sqrt(24 / fan_in); bn.weight 1 + 0.2 v; bn.bias, running_mean 0.2 v; running_var 1 + 0.5 v;
 *   fc.weight 0.01 v; fc.bias 0 (each rounded once to float32).
 */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

function fnv(key: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(key, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function seeded(key: string, n: number, f: (v: number) => number): Float32Array {
  const s = fnv(key);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(lowbias32((s + i) >>> 0) / 2 ** 32 - 0.5);
  return out;
}

export function seededInception(): TorchBasicConv[] {
  return INCEPTION_CONVS.map(({ name, cin, cout, kh, kw }) => {
    const scale = Math.sqrt(24 / (cin * kh * kw));
    return {
      name,
      weight: seeded(`${name}.conv.weight`, cout * cin * kh * kw, (v) => v * scale),
      gamma: seeded(`${name}.bn.weight`, cout, (v) => 1 + v * 0.2),
      beta: seeded(`${name}.bn.bias`, cout, (v) => v * 0.2),
      mean: seeded(`${name}.bn.running_mean`, cout, (v) => v * 0.2),
      variance: seeded(`${name}.bn.running_var`, cout, (v) => 1 + v * 0.5),
    };
  });
}

/**
 * Writes the seeded network as a safetensors file in pytorch-fid's state_dict layout (every BasicConv2d's
 * conv/bn tensors and fc.weight [1008, 2048], fc.bias [1008]); `fcClasses` other than 1008 makes a file
 * that must be refused. The fc values are zeros (never used for features).
 */
export function writeSeededInception(file: string, fcClasses = 1008): void {
  const tensors: [string, number[], Float32Array][] = [];
  for (const c of seededInception()) {
    const spec = INCEPTION_CONVS.find((x) => x.name === c.name)!;
    tensors.push([`${c.name}.conv.weight`, [spec.cout, spec.cin, spec.kh, spec.kw], c.weight]);
    tensors.push([`${c.name}.bn.weight`, [spec.cout], c.gamma]);
    tensors.push([`${c.name}.bn.bias`, [spec.cout], c.beta]);
    tensors.push([`${c.name}.bn.running_mean`, [spec.cout], c.mean]);
    tensors.push([`${c.name}.bn.running_var`, [spec.cout], c.variance]);
  }
  tensors.push(['fc.weight', [fcClasses, 2048], new Float32Array(fcClasses * 2048)]);
  tensors.push(['fc.bias', [fcClasses], new Float32Array(fcClasses)]);
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [k, shape, data] of tensors) {
    header[k] = { dtype: 'F32', shape, data_offsets: [off, off + data.byteLength] };
    off += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  const body = Buffer.concat(tensors.map(([, , d]) => Buffer.from(d.buffer, d.byteOffset, d.byteLength)));
  writeFileSync(file, Buffer.concat([head, Buffer.from(json), body]));
}
