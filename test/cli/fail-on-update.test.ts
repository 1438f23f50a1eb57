import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers.js';
import { cli } from './approvals-setup.js';

/** `batch --update changed --fail-on-update` (playwright #30199): baselines written, the run still exits 1. */
test('--fail-on-update: the changed baseline is replaced byte for byte, listed, and the run exits 1', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-fou-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, d));
  const img = (n: string) => fixture(`fixtures/images/${n}`);
  copyFileSync(img('rgb8_301x217_real.png'), path.join(root, 'base/a.png'));
  copyFileSync(img('rgb8_301x217_fake.png'), path.join(root, 'cur/a.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'base/same.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'cur/same.png'));
  const args = ['batch', 'base', 'cur', '--max', 'sobel=0.0001', '--no-maps', '--update', 'changed'];
  const r = cli(root, [...args, '--fail-on-update', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines
      .filter((l) => !l.summary)
      .map((l) => [l.name, l.status, l.updated])
      .sort(),
    [
      ['a.png', 'over', 'changed'],
      ['same.png', 'ok', undefined],
    ],
  );
  assert.equal(lines.at(-1).exit, 1);
  assert.equal(lines.at(-1).updated, 1);
  assert.deepEqual(readFileSync(path.join(root, 'base/a.png')), readFileSync(path.join(root, 'cur/a.png')));
  const again = cli(root, [...args, '--fail-on-update']);
  assert.equal(again.status, 0, 'nothing left to update: the next run passes');
  const usage = cli(root, ['batch', 'base', 'cur', '--fail-on-update']);
  assert.equal(usage.status, 2);
  assert.equal(usage.stdout, '');
  assert.match(usage.stderr, /^nectar-loss: --fail-on-update needs --update/);
});

/** failOnUpdate as a config key: an update run exits 1; a run without --update ignores it (no usage error). */
test('failOnUpdate in nectar-loss.config.json: --update changed exits 1, a plain batch run exits 0', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-fou-config-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, d));
  const img = (n: string) => fixture(`fixtures/images/${n}`);
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'base/same.png'));
  copyFileSync(img('gray8_64x48_real.png'), path.join(root, 'cur/same.png'));
  writeFileSync(path.join(root, 'nectar-loss.config.json'), JSON.stringify({ failOnUpdate: true }));
  const args = ['batch', 'base', 'cur', '--max', 'sobel=0.0001', '--no-maps'];
  assert.equal(cli(root, args).status, 0, 'no --update: the config key does not apply');
  copyFileSync(img('rgb8_301x217_real.png'), path.join(root, 'base/a.png'));
  copyFileSync(img('rgb8_301x217_fake.png'), path.join(root, 'cur/a.png'));
  const r = cli(root, [...args, '--update', 'changed']);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(readFileSync(path.join(root, 'base/a.png')), readFileSync(path.join(root, 'cur/a.png')));
});
