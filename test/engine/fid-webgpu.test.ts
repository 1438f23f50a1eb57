import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/engine/backend.js';
import { fidFeatures } from '../../src/engine/fid.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadInception } from '../../src/io/weights/inception.js';
import { inceptionWeights } from '../../src/losses/inception.js';
import { FID_REF } from '../losses/fid-ref.js';
import { writeSeededInception } from '../losses/seeded-inception.js';
import { fixture, ROOT } from '../helpers.js';

/**
 * FID Inception features on webgpu over SwiftShader (the software Vulkan driver of Debian's chromium-common),
 * against pytorch-fid's (fixtures/make_fid_fixtures.py) on the seeded weights: the small images of the
 * `many` set (24 x 20) at --dims 64, 1e-4 of the largest feature as on wasm and cpu. Skips, saying why,
 * without the optional webgpu packages or SwiftShader.
 */
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const installed = ['webgpu', '@tensorflow/tfjs-backend-webgpu'].every((p) =>
  existsSync(path.join(ROOT, 'node_modules', p, 'package.json')),
);
const why = !installed
  ? 'webgpu packages not installed (npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0)'
  : !existsSync(SWIFTSHADER)
    ? `no SwiftShader (${SWIFTSHADER}; apt-get install chromium-common libvulkan1)`
    : undefined;
if (!why) process.env.VK_ICD_FILENAMES = SWIFTSHADER;

let dir = '';
let weightsFile = '';
before(() => {
  if (why) return;
  dir = mkdtempSync(path.join(tmpdir(), 'fid-webgpu-'));
  weightsFile = path.join(dir, 'inception-seeded.safetensors');
  writeSeededInception(weightsFile);
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

/** The largest feature difference relative to the largest reference feature, per image. */
function featureErr(got: Float32Array, want: Float32Array): number {
  let diff = 0,
    scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

test('FID Inception features equal pytorch-fid (webgpu on SwiftShader, small images)', async (t) => {
  if (why) return t.skip(why);
  assert.equal(await useBackend('webgpu'), 'webgpu');
  // --dims 64 runs the network's stem only: SwiftShader needs minutes for a full pool3 pass on 2 cores.
  const cases = [{ kind: 'many', dims: 64 as const, n: 2 }];
  for (const { kind, dims, n } of cases) {
    const c = FID_REF.cases[kind];
    const ref = c.dims[String(dims)];
    const w = inceptionWeights(await loadInception(weightsFile, dims), dims);
    try {
      const got = await fidFeatures(
        c.real.slice(0, n).map((f) => fixture(`fixtures/${f}`)),
        w,
      );
      const want = decodeNpy(readFileSync(fixture(`fixtures/${ref.features.real}`))).data;
      for (let i = 0; i < n; i++) {
        const e = featureErr(got.subarray(i * dims, (i + 1) * dims), want.subarray(i * dims, (i + 1) * dims));
        assert.ok(e <= 1e-4, `${kind} ${c.real[i]} dims ${dims}: features differ by ${e} (relative)`);
      }
    } finally {
      w.dispose();
    }
  }
});
