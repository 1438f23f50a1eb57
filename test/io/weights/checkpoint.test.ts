import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../src/errors.js';
import { openCheckpoint } from '../../../src/io/weights/checkpoint.js';
import { loadVgg19 } from '../../../src/io/weights/vgg19.js';
import { fixture } from '../../helpers.js';
import { vgg19Shapes, writeFullSizeLegacy } from './fullsize.js';

const W = (f: string) => fixture(`fixtures/weights/${f}`);
const LAYOUTS = ['vgg19-zip.pth', 'vgg19-legacy.pth', 'vgg19-legacy-v1.pth', 'vgg19.safetensors'];
const tmp = () => mkdtempSync(path.join(tmpdir(), 'nl-w-'));

test('every layout (zip, legacy, legacy with _rebuild_tensor, safetensors) reads the same seven convs', async () => {
  const ref = await loadVgg19(W('vgg19-zip.pth'));
  assert.equal(ref.length, 7);
  for (const f of LAYOUTS.slice(1)) {
    const got = await loadVgg19(W(f));
    for (let i = 0; i < 7; i++) {
      assert.ok(
        Buffer.from(got[i].weight.buffer).equals(Buffer.from(ref[i].weight.buffer)),
        `${f} conv ${i} weight`,
      );
      assert.ok(
        Buffer.from(got[i].bias.buffer).equals(Buffer.from(ref[i].bias.buffer)),
        `${f} conv ${i} bias`,
      );
    }
  }
  const ck = await openCheckpoint(W('vgg19-legacy-v1.pth'));
  assert.equal(ck.format, 'legacy');
  assert.deepEqual(
    [...ck.tensors.keys()].sort(),
    vgg19Shapes()
      .map(([k]) => k)
      .sort(),
  );
  // Expanded one-element storages (stride 0) read as their full shape.
  assert.deepEqual(ck.tensors.get('classifier.6.bias')!.shape, [1000]);
  assert.equal(ck.read('classifier.6.bias').length, 1000);
  ck.close();
});

test('a full-size (548 MiB) checkpoint is read by seeking: only the needed tensors are touched', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'vgg19-full.pth');
    const { bytes } = await writeFullSizeLegacy(file, W('vgg19-zip.pth'));
    assert.ok(bytes > 548 * 2 ** 20, `${bytes} bytes`);
    const before = process.memoryUsage().rss;
    const convs = await loadVgg19(file);
    const grew = (process.memoryUsage().rss - before) / 2 ** 20;
    assert.equal(convs.length, 7);
    assert.ok(grew < 64, `RSS grew ${grew.toFixed(1)} MB reading a 548 MiB file`);
    const ref = await loadVgg19(W('vgg19-zip.pth'));
    assert.deepEqual(Array.from(convs[6].weight.subarray(0, 50)), Array.from(ref[6].weight.subarray(0, 50)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Expects a UserError whose message matches. */
async function refuses(file: string, pattern: RegExp) {
  await assert.rejects(
    loadVgg19(file),
    (e: unknown) => e instanceof UserError && pattern.test(e.message) && !/\n/.test(e.message),
  );
}

test('not VGG19, truncated, garbage, or a pickle naming a global outside the allow-list: clear errors', async () => {
  await refuses(W('vgg16-zip.pth'), /not VGG19: it has a layer at features\.17.*VGG16/);
  const dir = tmp();
  const legacy = readFileSync(W('vgg19-legacy.pth'));
  const cut = path.join(dir, 'cut.pth');
  writeFileSync(cut, legacy.subarray(0, legacy.length >> 1));
  await refuses(cut, /truncated/);
  const zip = readFileSync(W('vgg19-zip.pth'));
  writeFileSync(cut, zip.subarray(0, zip.length - 100));
  await refuses(cut, /not a readable zip|corrupt|truncated/);
  const st = readFileSync(W('vgg19.safetensors'));
  writeFileSync(cut, st.subarray(0, st.length - 4));
  await refuses(cut, /truncated/);
  const junk = path.join(dir, 'junk.pth');
  writeFileSync(junk, Buffer.from('just some text, not a checkpoint at all'));
  await refuses(junk, /not a PyTorch \(\.pth\) or safetensors file/);
  // pickle: PROTO 2, GLOBAL os.system, 'echo pwned', TUPLE1, REDUCE, STOP — nothing may run.
  const evil = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cos\nsystem\n', 'latin1'),
    Buffer.from([0x58, 10, 0, 0, 0]),
    Buffer.from('echo pwned'),
    Buffer.from([0x85, 0x52, 0x2e]),
  ]);
  const mal = path.join(dir, 'evil.pth');
  writeFileSync(mal, evil);
  await refuses(mal, /refusing to load: the pickle names os\.system/);
  // The same inside a legacy checkpoint's object pickle (after a valid magic, protocol and sys_info).
  const head = Buffer.from([
    0x80, 0x02, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x4d,
    0xe9, 0x03, 0x2e, 0x80, 0x02, 0x7d, 0x2e,
  ]);
  writeFileSync(mal, Buffer.concat([head, evil]));
  await refuses(mal, /refusing to load: the pickle names os\.system/);
  await refuses(path.join(dir, 'missing.pth'), /no such file/);
  rmSync(dir, { recursive: true, force: true });
});
