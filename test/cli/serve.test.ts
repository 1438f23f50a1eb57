import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM, launchChromium } from '../io/browsers.js';
import { BIN } from '../helpers.js';
import { setup, sha, snapshot } from './approvals-setup.js';

/**
 * `serve` against hostile requests (raw HTTP: no client normalises the paths), then Chromium clicking
 * Accept in the served page; every refusal leaves the baselines as they were. SIGTERM stops it cleanly.
 */

interface Served {
  child: ChildProcess;
  url: URL;
  token: string;
}

async function start(root: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', 'out'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => (text += b));
  for (const end = Date.now() + 20_000; !text.includes('\n') && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 50));
  const first = text.split('\n')[0]!;
  assert.match(
    first,
    /^http:\/\/127\.0\.0\.1:[0-9]+\/\?token=[0-9a-f]{48}$/,
    'the URL, first line on stdout',
  );
  const url = new URL(first);
  return { child, url, token: url.searchParams.get('token')! };
}

/** One raw request: the path as given, byte for byte. */
async function raw(
  s: Served,
  method: string,
  p: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<{ status: number; text: string }> {
  const req = request({ host: '127.0.0.1', port: s.url.port, method, path: p, headers });
  const done = once(req, 'response');
  req.on('error', () => undefined);
  req.end(body);
  const [res] = (await done) as [import('node:http').IncomingMessage];
  let text = '';
  for await (const c of res) text += c;
  return { status: res.statusCode!, text };
}

const entry = (root: string, p: string, decision = 'accept') => {
  const hash = (side: string) =>
    existsSync(path.join(root, side, p)) ? sha(path.join(root, side, p)) : null;
  return JSON.stringify({ path: p, decision, baseline: hash('base'), current: hash('cur') });
};

test('serve: token, Origin, paths and body size refused with nothing written; accept applies; 409 after', async () => {
  const root = setup();
  symlinkSync('/etc/hostname', path.join(root, 'out/link.txt'));
  symlinkSync('/etc/hostname', path.join(root, 'base/c2.png.lnk'));
  const s = await start(root);
  try {
    const t = s.token;
    const before = snapshot(path.join(root, 'base'));
    const origin = s.url.origin;
    const ok = { 'x-nectar-loss-token': t, origin, 'content-type': 'application/json' };
    assert.equal((await raw(s, 'GET', '/')).status, 403, 'no token');
    assert.equal((await raw(s, 'GET', '/?token=0000')).status, 403, 'wrong token');
    const page = await raw(s, 'GET', `/?token=${t}`);
    assert.equal(page.status, 200);
    assert.match(page.text, /data-action="approvals"/);
    for (const p of [
      `/../../../etc/passwd?token=${t}`,
      `/%2e%2e/%2e%2e/%2e%2e/etc/passwd?token=${t}`,
      `/report-files%2f..%2f..%2f..%2fetc%2fpasswd?token=${t}`,
      `/link.txt?token=${t}`,
    ])
      assert.equal((await raw(s, 'GET', p)).status, 403, p);
    assert.equal((await raw(s, 'GET', 'http://example.com/')).status, 400, 'absolute-form request line');
    assert.equal((await raw(s, 'GET', `/?token=${t}`, { host: 'evil.example:80' })).status, 403, 'Host');
    const post = (h: Record<string, string>, b: string | Buffer) => raw(s, 'POST', '/approve', h, b);
    const good = entry(root, 'c1.png');
    assert.equal((await post({ origin }, good)).status, 403, 'no token');
    assert.equal(
      (await post({ ...ok, 'x-nectar-loss-token': 'f'.repeat(48) }, good)).status,
      403,
      'wrong token',
    );
    assert.equal((await post({ ...ok, origin: 'http://evil.example' }, good)).status, 403, 'foreign Origin');
    assert.equal((await post(ok, entry(root, '../cur/c1.png'))).status, 403, '../');
    assert.equal((await post(ok, entry(root, '/etc/passwd'))).status, 403, 'absolute');
    assert.equal((await post(ok, entry(root, 'c2.png.lnk'))).status, 403, 'symlink out');
    assert.equal((await post(ok, Buffer.alloc(2 * 1024 * 1024, 32))).status, 413, 'huge body');
    assert.deepEqual(snapshot(path.join(root, 'base')), before, 'nothing written by any refused request');
    const r = await post(ok, good);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), {
      path: 'c1.png',
      decision: 'accept',
      action: 'replaced',
      file: 'c1.png',
    });
    assert.deepEqual(
      readFileSync(path.join(root, 'base/c1.png')),
      readFileSync(path.join(root, 'cur/c1.png')),
    );
    assert.equal((await post(ok, good)).status, 409, 'the baseline moved on');
  } finally {
    s.child.kill('SIGTERM');
    const [code, signal] = (await once(s.child, 'exit')) as [number | null, string | null];
    assert.ok(code === 143 || signal === 'SIGTERM', `stopped by SIGTERM (${code}, ${signal})`);
  }
  assert.deepEqual(
    readdirSync(path.join(root, 'base')).filter((f) => f.startsWith('.')),
    [],
    'no temporary file left',
  );
});

test('serve in Chromium: clicking Accept changes the baseline on disk and the page shows it', async (t) => {
  if (!CHROMIUM) return t.skip('no chromium (apt-get install chromium)');
  const root = setup();
  const s = await start(root);
  const { browser } = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(s.url.href, { waitUntil: 'load' });
    assert.equal(
      await page.evaluate(() => document.body.dataset.images),
      await page.evaluate(() => `${document.images.length}/${document.images.length}`),
      'every image served (the token cookie)',
    );
    await page.click('tr[data-pair="n1.png"] [data-decision="accept"]');
    await page.waitForSelector('tr[data-pair="n1.png"][data-applied="accept"]', { timeout: 10_000 });
    assert.deepEqual(
      readFileSync(path.join(root, 'base/n1.png')),
      readFileSync(path.join(root, 'cur/n1.png')),
    );
  } finally {
    await browser.close();
    s.child.kill('SIGINT');
    await once(s.child, 'exit');
  }
});
