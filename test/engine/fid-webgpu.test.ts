import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../../src/engine/backend.js';
import { fidFeatures } from '../../src/engine/fid.js';
import { decodeNpy } from '../../src/io/npy.js';
import { loadInception } from '../../src/io/weights/inception.js';
import { inceptionWeights } from '../../src/losses/inception.js';
import { featureErr, FID_REF } from '../losses/fid-ref.js';
import { writeSeededInception } from '../losses/seeded-inception.js';
import { fixture } from '../helpers.js';
import { WEBGPU_SKIP } from './swiftshader.js';

/**
 * FID Inception features on webgpu over SwiftShader (the software Vulkan driver of Debian's chromium-common),
 * against pytorch-fid's (fixtures/make_fid_fixtures.py) on the seeded weights: the small images of the
 * `many` set (24 x 20) at --dims 64, 1e-4 of the largest feature as on wasm and cpu. Skips, saying why,
 * without the optional webgpu packages or SwiftShader.
 */
const why = WEBGPU_SKIP;

let dir = '';
let weightsFile = '';
before(() => {
  if (why) return;
  dir = mkdtempSync(path.join(tmpdir(), 'fid-webgpu-'));
  weightsFile = path.join(dir, 'inception-seeded.safetensors');
  writeSeededInception(weightsFile);
});
after(() => dir && rmSync(dir, { recursive: true, force: true }));

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
