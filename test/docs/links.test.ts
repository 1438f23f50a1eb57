/**
 * Every relative link and image in README.md and docs/**\/*.md names a file that exists, and every #anchor a
 * heading of its target page as GitHub slugs it; the README stays a newcomer's page (at most 300 lines).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchors, links, markdownFiles, read, ROOT, slug } from './markdown.js';

test("GitHub's slugs, worked out by hand", () => {
  assert.equal(
    slug('Baselines: new images, obsolete baselines and `--update`'),
    'baselines-new-images-obsolete-baselines-and---update',
  );
  assert.equal(slug('ꟻLIP: `flip`'), 'ꟻlip-flip');
  assert.equal(
    slug("Ranges: `unit` and `signed`, and NectarGAN's logged values"),
    'ranges-unit-and-signed-and-nectargans-logged-values',
  );
  assert.equal(slug('Precision (issue 20)'), 'precision-issue-20');
  assert.equal(slug('nectar-loss batch'), 'nectar-loss-batch');
  assert.equal(slug('In-process API: `compareImages`'), 'in-process-api-compareimages');
  assert.equal(slug('snake_case [a link](x.md)'), 'snake_case-a-link');
  const dup = anchors('# A\n## Same\n### Same\n```\n# not a heading\n```\n<a id="x"></a>');
  assert.deepEqual([...dup].sort(), ['a', 'same', 'same-1', 'x']);
});

test('the link finder sees links and images, not code', () => {
  const found = links('[a](b.md#c) and ![p](d.png) `[e](f.md)`\n```\n[g](h.md)\n```\n[i](j.md "title")');
  assert.deepEqual(
    found.map((l) => l.target),
    ['b.md#c', 'd.png', 'j.md'],
  );
});

test('README.md is at most 300 lines', () => {
  const lines = read('README.md').replace(/\n$/, '').split('\n').length;
  assert.ok(lines <= 300, `README.md has ${lines} lines; move detail into a docs/ page (at most 300)`);
});

test('every relative link and #anchor in README.md and docs/ resolves', () => {
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (rel: string) => {
    if (!anchorCache.has(rel)) anchorCache.set(rel, anchors(read(rel)));
    return anchorCache.get(rel)!;
  };
  const broken: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    for (const { target, line } of links(read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: …
      checked++;
      const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
      const relPath = decodeURIComponent(rawPath.split('?')[0]);
      const dest = relPath ? path.posix.normalize(path.posix.join(path.posix.dirname(file), relPath)) : file;
      const where = `${file}:${line}: ${target}`;
      if (dest.startsWith('..') || !existsSync(path.join(ROOT, dest))) {
        broken.push(`${where} (no such file: ${dest})`);
        continue;
      }
      if (anchor === undefined) continue;
      if (statSync(path.join(ROOT, dest)).isDirectory() || !dest.endsWith('.md'))
        broken.push(`${where} (an anchor into something that is not a Markdown page)`);
      else if (!anchorsOf(dest).has(decodeURIComponent(anchor)))
        broken.push(`${where} (no heading of ${dest} has the slug #${anchor})`);
    }
  }
  assert.ok(checked > 100, `only ${checked} relative links found: is the finder broken?`);
  assert.deepEqual(broken, []);
});
