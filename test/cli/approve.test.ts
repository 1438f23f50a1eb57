import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, launchChromium } from '../io/browsers.js';
import { cli, setup, sha, snapshot } from './approvals-setup.js';

/**
 * Approvals end to end: a two-folder batch writes its report; decisions made in the report (Debian's
 * chromium, driven by puppeteer-core) are downloaded as approvals.json; `approve` applies exactly those, byte
 * for byte, and refuses (one line, exit 2, nothing changed) hashes that moved on, paths that leave the
 * baseline folder, approvals of another report.
 */

/** approvals.json written by hand from the files (the hashes computed here, with node:crypto). */
function approvals(root: string, pairs: { path: string; decision: string }[], report = 'x') {
  const hash = (side: string, p: string) => {
    const f = path.join(root, side, p);
    return existsSync(f) ? sha(f) : null;
  };
  const file = path.join(root, `approvals-${Math.random().toString(16).slice(2)}.json`);
  const entries = pairs.map((p) => ({ ...p, baseline: hash('base', p.path), current: hash('cur', p.path) }));
  writeFileSync(
    file,
    JSON.stringify({
      nectarLossApprovals: 1,
      report,
      baselineDir: path.join(root, 'base'),
      currentDir: path.join(root, 'cur'),
      pairs: entries,
    }),
  );
  return file;
}

/** A refusal: exit 2, one line on stderr matching `why`, nothing on stdout, the baselines as they were. */
function refuses(root: string, args: string[], why: RegExp): void {
  const before = snapshot(path.join(root, 'base'));
  const r = cli(root, ['approve', ...args]);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, why);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.deepEqual(snapshot(path.join(root, 'base')), before, 'nothing changed');
}

test('approve: replace, write, remove, variant and reject, all or nothing; --dry-run and --json', () => {
  const root = setup();
  const base = (p: string) => path.join(root, 'base', p);
  const cur = (p: string) => path.join(root, 'cur', p);
  const orig = { c3: sha(base('c3.png')), c4: sha(base('sub/c4.png')) };
  const file = approvals(root, [
    { path: 'c1.png', decision: 'accept' },
    { path: 'n1.png', decision: 'accept' },
    { path: 'o1.png', decision: 'accept' },
    { path: 'c3.png', decision: 'reject' },
    { path: 'sub/c4.png', decision: 'variant' },
  ]);
  const dry = cli(root, ['approve', file, '--dry-run', '--json']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.deepEqual(JSON.parse(dry.stdout).counts, {
    replaced: 1,
    written: 1,
    removed: 1,
    variant: 1,
    left: 1,
  });
  assert.ok(existsSync(base('o1.png')) && !existsSync(base('n1.png')), 'the dry run changed nothing');
  const r = cli(root, ['approve', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dryRun, false);
  assert.deepEqual(
    out.changes.map((c: { file: string; action: string }) => `${c.action} ${c.file}`),
    ['replaced c1.png', 'written n1.png', 'removed o1.png', 'left c3.png', 'variant sub/c4.variant-1.png'],
  );
  assert.deepEqual(readFileSync(base('c1.png')), readFileSync(cur('c1.png')));
  assert.deepEqual(readFileSync(base('n1.png')), readFileSync(cur('n1.png')));
  assert.ok(!existsSync(base('o1.png')));
  assert.equal(sha(base('c3.png')), orig.c3, 'rejected: left');
  assert.equal(sha(base('sub/c4.png')), orig.c4, 'a variant leaves the baseline');
  assert.deepEqual(readFileSync(base('sub/c4.variant-1.png')), readFileSync(cur('sub/c4.png')));
  assert.deepEqual(
    readdirSync(base('')).filter((f) => f.startsWith('.')),
    [],
    'no temporary file or stash left',
  );
  refuses(root, [file], /c1\.png: the baseline changed since the report/);
});

test('approve refuses paths out of the baseline folder, hashes that moved on, another report', () => {
  const root = setup();
  const outside = mkdtempSync(path.join(tmpdir(), 'nl-outside-'));
  copyFileSync(path.join(root, 'cur/c1.png'), path.join(outside, 'x.png'));
  symlinkSync(outside, path.join(root, 'base/link'));
  mkdirSync(path.join(root, 'cur/link'));
  copyFileSync(path.join(root, 'cur/c1.png'), path.join(root, 'cur/link/x.png'));
  const one = (p: string) =>
    approvals(root, [
      { path: 'c2.png', decision: 'accept' },
      { path: p, decision: 'accept' },
    ]);
  refuses(root, [one('../cur/c1.png')], /leaves the baseline folder/);
  refuses(root, [one('/etc/passwd')], /leaves the baseline folder/);
  refuses(root, [one('link/x.png')], /leaves the baseline folder \(symlink\)/);
  refuses(root, [one('sub/../../x.png')], /leaves the baseline folder/);
  const moved = approvals(root, [
    { path: 'c2.png', decision: 'accept' },
    { path: 'c1.png', decision: 'accept' },
  ]);
  copyFileSync(path.join(root, 'cur/c2.png'), path.join(root, 'cur/c1.png'));
  refuses(root, [moved], /c1\.png: the current image changed since the report/);
  const report = path.join(root, 'out/report.html');
  refuses(
    root,
    [approvals(root, [{ path: 'c2.png', decision: 'accept' }], 'other'), '--report', report],
    /another report/,
  );
  writeFileSync(path.join(root, 'bad.json'), '{"nectarLossApprovals": 2}');
  refuses(root, [path.join(root, 'bad.json')], /not approvals\.json/);
});

test('approve: a refusal found after the images were staged leaves no temporary file and no new folder', () => {
  const root = setup();
  mkdirSync(path.join(root, 'cur/deep/er'), { recursive: true });
  copyFileSync(path.join(root, 'cur/n1.png'), path.join(root, 'cur/deep/er/n2.png'));
  // Every entry but the last is staged (read, hashed, written beside its baseline) before the last's
  // variant without a baseline is refused; n2.png's folders do not exist in base/ until staged.
  const file = approvals(root, [
    { path: 'c1.png', decision: 'accept' },
    { path: 'deep/er/n2.png', decision: 'accept' },
    { path: 'sub/c4.png', decision: 'accept' },
    { path: 'n1.png', decision: 'variant' },
  ]);
  refuses(root, [file], /n1\.png: only a changed pair/);
  assert.ok(!existsSync(path.join(root, 'base/deep')), 'the folders made for the staged copy are gone');
  assert.deepEqual(
    readdirSync(path.join(root, 'base'), { recursive: true }).filter((f) => /(^|\/)\./.test(String(f))),
    [],
  );
});

/** Polls `f` until it returns true (at most 10 s). */
async function until(f: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (await f()) return;
  assert.fail(`timed out waiting for ${what}`);
}

test('in Chromium: decide in the report, reload, download approvals; approve applies exactly those', async (t) => {
  if (!CHROMIUM) return t.skip('no chromium (apt-get install chromium)');
  const root = setup();
  const base = (p: string) => path.join(root, 'base', p);
  const cur = (p: string) => path.join(root, 'cur', p);
  const before = snapshot(path.join(root, 'base'));
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${path.join(root, 'out/report.html')}`, { waitUntil: 'load' });
    const click = (pair: string, d: string) => page.click(`tr[data-pair="${pair}"] [data-decision="${d}"]`);
    await click('c1.png', 'accept');
    await click('c2.png', 'accept');
    // The keyboard: with the `new` filter, j selects the first decidable row shown and a accepts it; u undoes
    // the last decision (c3's reject), made again after.
    await page.click('[data-filter="new"]');
    await page.keyboard.press('j');
    await page.keyboard.press('a');
    await page.click('[data-filter="all"]');
    await click('c3.png', 'reject');
    await page.keyboard.press('u');
    assert.equal(await page.$eval('tr[data-pair="c3.png"]', (e) => e.getAttribute('data-decided')), null);
    await click('c3.png', 'reject');
    await page.reload({ waitUntil: 'load' });
    const decided = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('tr[data-decided]')]
        .map((tr) => `${tr.dataset.pair} ${tr.dataset.decided}`)
        .sort(),
    );
    assert.deepEqual(
      decided,
      ['c1.png accept', 'c2.png accept', 'c3.png reject', 'n1.png accept'],
      'kept across a reload',
    );
    assert.match(
      await page.$eval('[data-counter]', (e) => e.textContent),
      /^4 of 6 decided: 3 accepted, 0 as variants, 1 rejected$/,
    );
    const dl = mkdtempSync(path.join(tmpdir(), 'nl-dl-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dl });
    await page.click('[data-action="approvals"]');
    const file = path.join(dl, 'approvals.json');
    await until(() => existsSync(file), 'the download');
    assert.deepEqual(errors, []);
    const a = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(Object.keys(a), ['nectarLossApprovals', 'report', 'baselineDir', 'currentDir', 'pairs']);
    assert.deepEqual(
      a.pairs.find((p: { path: string }) => p.path === 'c1.png'),
      { path: 'c1.png', decision: 'accept', baseline: before['c1.png'], current: sha(cur('c1.png')) },
    );
    const r = cli(root, ['approve', file, '--report', path.join(root, 'out/report.html')]);
    assert.equal(r.status, 0, r.stderr);
    for (const p of ['c1.png', 'c2.png', 'n1.png'])
      assert.deepEqual(readFileSync(base(p)), readFileSync(cur(p)), p);
    const after = snapshot(path.join(root, 'base'));
    for (const p of ['c1.png', 'c2.png', 'n1.png']) delete after[p];
    const { ['c1.png']: _a, ['c2.png']: _b, ...rest } = before;
    assert.deepEqual(after, rest, 'nothing else changed');
    refuses(root, [file], /c[12]\.png: the baseline changed since the report/);
  } finally {
    await browser.close();
  }
});
