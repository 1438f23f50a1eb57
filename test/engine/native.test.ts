import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture, REFERENCE, relErr, ROOT } from '../helpers.js';

/**
 * The real tfjs-node packages cannot install here (their install script downloads libtensorflow), so these
 * tests put stand-ins on NODE_PATH to exercise how they are found, loaded and explained: one that registers a
 * `tensorflow` backend (the cpu kernels under that name) and one that fails like a missing libtensorflow.
 */
function fakePackage(root: string, name: string, body: string) {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '4.22.0', main: 'index.js' }),
  );
  writeFileSync(path.join(dir, 'index.js'), body);
}

const WORKING = `
const tf = require('@tensorflow/tfjs-core');
const cpu = require('@tensorflow/tfjs-backend-cpu');
for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
tf.registerBackend('tensorflow', () => new cpu.MathBackendCPU(), 3);
`;
const BROKEN = `throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/lib/napi-v8/tfjs_binding.node');`;

function run(nodePath: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: {
      ...process.env,
      NODE_PATH: `${nodePath}${path.delimiter}${path.join(ROOT, 'node_modules')}`,
      LD_LIBRARY_PATH: '',
    },
    cwd: mkdtempSync(path.join(tmpdir(), 'nl-native-')),
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test('a loadable tfjs-node-gpu is used first by auto, and `backends` says when CUDA libraries are missing', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-fake-'));
  fakePackage(root, '@tensorflow/tfjs-node-gpu', WORKING);
  const c = REFERENCE.cases.gray8;
  const r = run(root, ['sobel', fixture(c.real), fixture(c.fake), '--json', '--no-maps']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.backend, 'tensorflow');
  assert.ok(relErr(j.mean, c.losses.sobel.unit.mean) <= 1e-5);
  const b = run(root, ['backends', '--json']);
  const all = JSON.parse(b.stdout) as { package: string; loaded: boolean; detail: string }[];
  const list = all.filter((x) => x.package.startsWith('@tensorflow/tfjs-node'));
  assert.equal(list[0].loaded, true);
  if (
    !/libcudart/.test((spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout as string | null) ?? '')
  ) {
    assert.match(
      list[0].detail,
      /libcudart\.so\.11\.0 and libcudnn\.so\.8 not found: TensorFlow silently computes on the CPU/,
    );
  }
  assert.match(list[1].detail, /tfjs-node-gpu was loaded first/);
});

test('a tfjs-node whose libtensorflow is missing is explained, and auto falls back to wasm', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-fake-'));
  fakePackage(root, '@tensorflow/tfjs-node', BROKEN);
  const b = run(root, ['backends', '--json']);
  assert.equal(b.code, 0, b.stderr);
  const list = (JSON.parse(b.stdout) as { package: string; loaded: boolean; detail: string }[]).filter((x) =>
    x.package.startsWith('@tensorflow/tfjs-node'),
  );
  assert.equal(list[0].detail, 'not installed');
  assert.equal(list[1].loaded, false);
  assert.match(list[1].detail, /^libtensorflow missing or broken/);
  const c = REFERENCE.cases.gray8;
  const r = run(root, ['l1', fixture(c.real), fixture(c.fake), '--json', '--no-maps']);
  assert.equal(JSON.parse(r.stdout).backend, 'wasm');
  const t = run(root, ['l1', fixture(c.real), fixture(c.fake), '--backend', 'tensorflow']);
  assert.equal(t.code, 2);
  assert.equal(t.stdout, '');
  assert.match(t.stderr, /^nectar-loss: backend tensorflow is not available: .*libtensorflow missing/);
});
