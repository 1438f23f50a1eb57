import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../helpers.js';
import { cli } from './approvals-setup.js';

/**
 * Accepted variants: a page that alternates between two renderings (A and B) passes once both are accepted
 * (B as `page.variant-1.png`), the record naming the variant matched; `--update obsolete` keeps the variant.
 */
test('variants: an alternating page passes against either accepted rendering; --update obsolete keeps them', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-variants-'));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, d));
  const A = fixture('fixtures/images/rgb8_301x217_real.png');
  const B = fixture('fixtures/images/rgb8_301x217_fake.png');
  copyFileSync(A, path.join(root, 'base/page.png'));
  copyFileSync(A, path.join(root, 'base/other.png'));
  copyFileSync(A, path.join(root, 'cur/other.png'));
  const run = () => {
    const r = cli(root, ['batch', 'base', 'cur', '--max', 'sobel=0.0001', '--no-maps', '--json']);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    return { status: r.status, page: lines.find((l) => l.name === 'page.png'), all: lines, stderr: r.stderr };
  };
  copyFileSync(B, path.join(root, 'cur/page.png'));
  const before = run();
  assert.equal(before.status, 1, before.stderr);
  assert.equal(before.page.status, 'over', 'B against A alone: over');
  // Accept B as another variant (what the report's "accept as variant" and approve write).
  copyFileSync(B, path.join(root, 'base/page.variant-1.png'));
  const b = run();
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.page.status, 'ok');
  assert.equal(b.page.variant, 'page.variant-1.png', 'the result names the matched variant');
  assert.ok(!b.all.some((l) => l.name === 'page.variant-1.png'), 'a variant is not a pair (nor obsolete)');
  copyFileSync(A, path.join(root, 'cur/page.png'));
  const a = run();
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.page.status, 'ok');
  assert.equal(a.page.variant, undefined, 'A passes against the baseline itself');
  const u = cli(root, ['batch', 'base', 'cur', '--no-maps', '--update', 'obsolete']);
  assert.equal(u.status, 0, u.stderr);
  assert.ok(
    existsSync(path.join(root, 'base/page.variant-1.png')),
    '--update obsolete keeps the live variant',
  );
});
