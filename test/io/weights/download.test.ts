import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, fixture, relErr } from '../../helpers.js';

/**
 * Downloading VGG19 weights, against a local HTTP server on 127.0.0.1 (no other network is used): the file
 * name's `-<hex>.` must prefix the SHA-256 (torch.hub's rule), the file lands in $TORCH_HOME/hub/checkpoints
 * only when complete and verified, and nothing is left behind otherwise.
 */
const WEIGHTS = readFileSync(fixture('fixtures/weights/vgg19-zip.pth'));
const PREFIX = createHash('sha256').update(WEIGHTS).digest('hex').slice(0, 8);
const REF = JSON.parse(readFileSync(fixture('fixtures/reference/vgg.json'), 'utf8')).cases.gray8;
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    if (req.url === `/good/vgg19-${PREFIX}.pth`) {
      res.writeHead(200, { 'content-length': WEIGHTS.length });
      res.end(WEIGHTS);
    } else if (req.url === '/bad/vgg19-00000000.pth') {
      res.writeHead(200, { 'content-length': WEIGHTS.length });
      res.end(WEIGHTS);
    } else if (req.url === `/drop/vgg19-${PREFIX}.pth`) {
      res.writeHead(200, { 'content-length': WEIGHTS.length });
      res.write(WEIGHTS.subarray(0, WEIGHTS.length >> 1), () => res.socket?.destroy());
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      cwd: mkdtempSync(path.join(tmpdir(), 'nl-dl-')),
    });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const pairArgs = ['vgg', fixture(REF.real), fixture(REF.fake), '--no-maps'];

test('right hash: downloaded into $TORCH_HOME/hub/checkpoints, then used from there', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'nl-torch-'));
  const r = await cli(pairArgs, {
    TORCH_HOME: home,
    NECTAR_LOSS_VGG19_URL: `${base}/good/vgg19-${PREFIX}.pth`,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(relErr(Number(r.stdout), REF.vgg.unit.mean) <= 1e-4);
  const dir = path.join(home, 'hub', 'checkpoints');
  assert.deepEqual(readdirSync(dir), [`vgg19-${PREFIX}.pth`]);
  assert.ok(readFileSync(path.join(dir, `vgg19-${PREFIX}.pth`)).equals(WEIGHTS));
  // Cached: a second run needs no server and no download.
  const again = await cli([...pairArgs, '--no-download'], {
    TORCH_HOME: home,
    NECTAR_LOSS_VGG19_URL: `http://127.0.0.1:9/vgg19-${PREFIX}.pth`,
  });
  assert.equal(again.code, 0, again.stderr);
});

test('wrong hash: exit 2, nothing kept', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'nl-torch-'));
  const r = await cli(pairArgs, {
    TORCH_HOME: home,
    NECTAR_LOSS_VGG19_URL: `${base}/bad/vgg19-00000000.pth`,
  });
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /SHA-256 .* expected it to start with 00000000/);
  assert.deepEqual(readdirSync(path.join(home, 'hub', 'checkpoints')), []);
});

test('connection dropped mid-transfer: exit 2, nothing left', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'nl-torch-'));
  const r = await cli(pairArgs, {
    TORCH_HOME: home,
    NECTAR_LOSS_VGG19_URL: `${base}/drop/vgg19-${PREFIX}.pth`,
  });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /broke off|ended after/);
  assert.deepEqual(readdirSync(path.join(home, 'hub', 'checkpoints')), []);
});

test('no network, or downloading forbidden: exit 2 naming the file, the URL and where to put it', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'nl-torch-'));
  // A port that was just free: the connection is refused, as without a network.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const url = `http://127.0.0.1:${port}/vgg19-${PREFIX}.pth`;
  const r = await cli(pairArgs, { TORCH_HOME: home, NECTAR_LOSS_VGG19_URL: url });
  assert.equal(r.code, 2);
  const file = path.join(home, 'hub', 'checkpoints', `vgg19-${PREFIX}.pth`);
  assert.ok(r.stderr.includes(url) && r.stderr.includes(file), r.stderr);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  assert.match(r.stderr, /ECONNREFUSED/);
  const off = await cli([...pairArgs, '--no-download'], { TORCH_HOME: home });
  assert.equal(off.code, 2);
  assert.match(
    off.stderr,
    /downloading is off: download https:\/\/download\.pytorch\.org\/models\/vgg19-dcbb9e9d\.pth and put it at .*vgg19-dcbb9e9d\.pth, or pass --weights FILE/,
  );
  const env = await cli(pairArgs, { TORCH_HOME: home, NECTAR_LOSS_NO_DOWNLOAD: '1' });
  assert.equal(env.code, 2);
  assert.equal(existsSync(file), false);
});

test('--weights, $NECTAR_LOSS_VGG19_WEIGHTS, and XDG_CACHE_HOME as torch.hub resolves it', async () => {
  const a = await cli(
    [...pairArgs, '--weights', fixture('fixtures/weights/vgg19.safetensors'), '--range', 'signed'],
    {},
  );
  assert.equal(a.code, 0, a.stderr);
  assert.ok(relErr(Number(a.stdout), REF.vgg.signed.mean) <= 1e-4);
  const b = await cli(pairArgs, {
    NECTAR_LOSS_VGG19_WEIGHTS: fixture('fixtures/weights/vgg19-legacy-v1.pth'),
  });
  assert.equal(b.code, 0, b.stderr);
  const c = await cli([...pairArgs, '--weights', '/nonexistent/vgg19.pth'], {});
  assert.equal(c.code, 2);
  assert.match(c.stderr, /VGG19 weights \/nonexistent\/vgg19\.pth: no such file/);
  const xdg = mkdtempSync(path.join(tmpdir(), 'nl-xdg-'));
  const d = await cli([...pairArgs, '--no-download'], { TORCH_HOME: '', XDG_CACHE_HOME: xdg });
  assert.equal(d.code, 2);
  assert.ok(d.stderr.includes(path.join(xdg, 'torch', 'hub', 'checkpoints', 'vgg19-dcbb9e9d.pth')), d.stderr);
  const v16 = await cli([...pairArgs, '--weights', fixture('fixtures/weights/vgg16-zip.pth')], {});
  assert.equal(v16.code, 2);
  assert.match(v16.stderr, /not VGG19/);
});
