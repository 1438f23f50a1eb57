import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/engine/backend.js';
import { computeLosses } from '../../src/engine/compute.js';
import { recycleMaps, setPointwiseKernels } from '../../src/losses/host.js';
import { hostFilterSamples } from '../../src/losses/filter-host.js';
import { loadLoss } from '../../src/losses/registry.js';

let s = 5;
const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;

/** Random samples, and a copy with ~10% of them changed (a screenshot pair: most pixels equal). */
function pair(W: number, H: number, max: number) {
  const Arr = max === 255 ? Uint8Array : Uint16Array;
  const a = { width: W, height: H, max, samples: new Arr(W * H * 3).map(() => rnd() * (max + 1)) };
  const near = { ...a, samples: a.samples.map((v) => (rnd() < 0.1 ? rnd() * (max + 1) : v)) };
  const other = { width: W, height: H, max, samples: new Arr(W * H * 3).map(() => rnd() * (max + 1)) };
  return [
    [a, near],
    [a, other],
  ] as const;
}

test('sobel and laplacian from stored samples (WebAssembly kernel) equal the tfjs-wasm ops bit for bit: 8- and 16-bit, unit and signed, folded and unfolded widths, masks', async () => {
  await useBackend('wasm');
  // Widths fold 8, 4 or 2 columns into channels on wasm (kernels.ts), or none (odd: sobel only).
  for (const [W, H] of [
    [64, 9],
    [40, 13],
    [23, 17],
    [31, 4],
    [6, 5],
    [18, 11],
    [1280, 3],
  ] as const)
    for (const max of [255, 65535])
      for (const [a, b] of pair(W, H, max))
        for (const name of W % 2 ? ['sobel'] : ['sobel', 'laplacian'])
          for (const range of ['unit', 'signed'] as const)
            for (const mask of [undefined, Uint8Array.from({ length: W * H }, (_, i) => (i % 7 ? 1 : 0))]) {
              const loss = (await loadLoss(name))!;
              const opt = { filtered: false, mask };
              const label = `${name} ${W}x${H} ${max} ${range}${mask ? ' masked' : ''}`;
              assert.ok(hostFilterSamples(a, b, range, name as 'sobel'), `${label}: the kernel applies`);
              setPointwiseKernels('wasm', false);
              let ops;
              try {
                ops = (await computeLosses([loss], a, b, range, {}, opt))[0]!;
              } finally {
                setPointwiseKernels('wasm', true);
              }
              const direct = (await computeLosses([loss], a, b, range, {}, opt))[0]!;
              assert.deepEqual(direct.map, ops.map, label);
              assert.equal(direct.value, ops.value, label);
            }
});

test('the filter kernel steps aside where the filtered maps are drawn, and off tfjs-wasm', async () => {
  await useBackend('wasm');
  const [[a, b]] = pair(16, 8, 255);
  const loss = (await loadLoss('sobel'))!;
  const out = (await computeLosses([loss], a, b, 'unit', {}, { filtered: true }))[0]!;
  assert.ok(out.filtered, 'the strips give the filtered maps');
  const [[c, d]] = pair(15, 8, 255);
  assert.equal(hostFilterSamples(c, d, 'unit', 'laplacian'), undefined, 'an odd width: the ops');
  await useBackend('cpu');
  try {
    assert.equal(hostFilterSamples(a, b, 'unit', 'sobel'), undefined);
  } finally {
    await useBackend('wasm');
  }
});

test('maps handed back after a pair (recycleMaps) are reused by the next kernel call, overwritten; views are not kept', async () => {
  await useBackend('wasm');
  const [[a, b], [c, d]] = pair(16, 8, 255);
  const first = hostFilterSamples(a, b, 'unit', 'sobel')!;
  const want = Float32Array.from(hostFilterSamples(c, d, 'unit', 'sobel')!);
  recycleMaps([first, new Float32Array(new ArrayBuffer(16 * 8 * 4 + 8), 8, 16 * 8)]);
  const again = hostFilterSamples(c, d, 'unit', 'sobel')!;
  assert.equal(again, first, 'the recycled array is handed out again');
  assert.deepEqual(again, want, 'with the new pair’s map in it');
  const next = hostFilterSamples(c, d, 'unit', 'sobel')!;
  assert.notEqual(next, again, 'a view into a larger buffer was not kept; nothing else was spare');
});
