import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { BIN } from '../helpers.js';

/** A white W x H page; the fake has a black rectangle at BOX (known by construction). */
const W = 64,
  H = 48;
const BOX = { x: 20, y: 12, width: 10, height: 6 };

function page(withBox: boolean): Buffer {
  const png = new PNG({ width: W, height: H });
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const inside = withBox && x >= BOX.x && x < BOX.x + BOX.width && y >= BOX.y && y < BOX.y + BOX.height;
      png.data.set(inside ? [0, 0, 0, 255] : [255, 255, 255, 255], (y * W + x) * 4);
    }
  return PNG.sync.write(png);
}

function pair(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-boxes-'));
  for (const side of ['real', 'fake']) mkdirSync(path.join(root, side));
  writeFileSync(path.join(root, 'real/page.png'), page(false));
  writeFileSync(path.join(root, 'fake/page.png'), page(true));
  return root;
}

function cli(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return r;
}

/** The pixels of a heatmap that are exactly cyan (0, 255, 255), as "x,y". */
function cyan(file: string): Set<string> {
  const png = PNG.sync.read(readFileSync(file));
  const out = new Set<string>();
  for (let i = 0; i < W * H; i++) {
    const [r, g, b] = png.data.subarray(i * 4, i * 4 + 3);
    if (r === 0 && g === 255 && b === 255) out.add(`${i % W},${(i / W) | 0}`);
  }
  return out;
}

/** A gray heatmap's levels by "x,y" (pngjs gives RGBA; r = g = b). */
function grays(file: string): { colorType: number; at: (p: string) => number } {
  const png = PNG.sync.read(readFileSync(file));
  const at = (p: string) => {
    const [x, y] = p.split(',').map(Number);
    return png.data[(y! * W + x!) * 4]!;
  };
  return { colorType: png.colorType, at };
}

/** The 1-px outline just outside BOX: from (x-1, y-1) to (x+width, y+height), worked out by hand. */
function outline(): Set<string> {
  const out = new Set<string>();
  const [x0, y0, x1, y1] = [BOX.x - 1, BOX.y - 1, BOX.x + BOX.width, BOX.y + BOX.height];
  for (let x = x0; x <= x1; x++) out.add(`${x},${y0}`).add(`${x},${y1}`);
  for (let y = y0; y <= y1; y++) out.add(`${x0},${y}`).add(`${x1},${y}`);
  return out;
}

test('region boxes: the single command outlines the changed region on its heatmap, 1 px cyan just outside its box (magma)', () => {
  const root = pair();
  for (const colormap of ['magma', 'inferno']) {
    const r = cli(root, [
      'l1',
      'real/page.png',
      'fake/page.png',
      '--colormap',
      colormap,
      '--out',
      `out-${colormap}`,
      '--json',
    ]);
    const rec = JSON.parse(r.stdout) as {
      regions: { x: number; y: number; width: number; height: number }[];
    };
    assert.deepEqual(
      rec.regions.map(({ x, y, width, height }) => ({ x, y, width, height })),
      [BOX],
    );
    const px = cyan(path.join(root, `out-${colormap}`, 'page.l1.heatmap.png'));
    // The outline is 12 px wide (10 + 2) and 8 high (6 + 2): 2 * 12 + 2 * 8 - 4 corners counted twice = 36.
    assert.equal(outline().size, 36);
    assert.deepEqual([...px].sort(), [...outline()].sort());
  }
});

test('region boxes: a gray heatmap stays 8-bit gray, its outline dashed white and black 2 px at a time', () => {
  const root = pair();
  cli(root, ['l1', 'real/page.png', 'fake/page.png', '--files', 'heatmap', '--out', 'g']);
  cli(root, [
    'l1',
    'real/page.png',
    'fake/page.png',
    '--files',
    'heatmap',
    '--out',
    'n',
    '--no-region-boxes',
  ]);
  const g = grays(path.join(root, 'g/page.l1.heatmap.png')),
    n = grays(path.join(root, 'n/page.l1.heatmap.png'));
  assert.equal(g.colorType, 0, '8-bit grayscale');
  // The dash by hand: white where (x + y) mod 4 is 2 or 3, black where 0 or 1.
  for (const p of outline()) {
    const [x, y] = p.split(',').map(Number);
    assert.equal(g.at(p), (x! + y!) % 4 >= 2 ? 255 : 0, p);
  }
  // Off the outline the heatmap is the one drawn without boxes; inside the box the change stays white.
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      if (!outline().has(`${x},${y}`)) assert.equal(g.at(`${x},${y}`), n.at(`${x},${y}`));
  assert.equal(g.at(`${BOX.x},${BOX.y}`), 255);
});

test('region boxes: batch outlines them in --files heatmap by default; --no-region-boxes and --no-regions draw none', () => {
  const root = pair();
  cli(root, [
    'batch',
    'real',
    'fake',
    '--loss',
    'l1',
    '--files',
    'heatmap',
    '--colormap',
    'magma',
    '--out',
    'a',
  ]);
  assert.deepEqual([...cyan(path.join(root, 'a/page.l1.heatmap.png'))].sort(), [...outline()].sort());
  cli(root, [
    'batch',
    'real',
    'fake',
    '--loss',
    'l1',
    '--regions',
    '--no-region-boxes',
    '--colormap',
    'magma',
    '--out',
    'b',
  ]);
  assert.equal(cyan(path.join(root, 'b/page.l1.heatmap.png')).size, 0);
  cli(root, ['batch', 'real', 'fake', '--loss', 'l1', '--no-regions', '--colormap', 'magma', '--out', 'c']);
  assert.equal(cyan(path.join(root, 'c/page.l1.heatmap.png')).size, 0);
  // --regions asks for the default.
  cli(root, ['batch', 'real', 'fake', '--loss', 'l1', '--regions', '--colormap', 'magma', '--out', 'e']);
  assert.deepEqual([...cyan(path.join(root, 'e/page.l1.heatmap.png'))].sort(), [...outline()].sort());
  // The config key does what the flag does.
  writeFileSync(path.join(root, 'nectar-loss.config.json'), JSON.stringify({ regionBoxes: false }));
  cli(root, ['l1', 'real/page.png', 'fake/page.png', '--colormap', 'magma', '--out', 'd']);
  assert.equal(cyan(path.join(root, 'd/page.l1.heatmap.png')).size, 0);
});

test('config regions: false does what --no-regions does, in batch and compareImages; --regions overrides it', async () => {
  const root = pair();
  const records = (args: string[]) =>
    cli(root, ['batch', 'real', 'fake', '--loss', 'l1', '--json', '--no-maps', ...args])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name?: string; kind?: string; regions?: unknown[] })
      .filter((r) => r.name !== undefined);
  const [on] = records([]);
  assert.equal(on!.kind, 'content');
  assert.equal(on!.regions!.length, 1);
  writeFileSync(path.join(root, 'nectar-loss.config.json'), JSON.stringify({ regions: false }));
  const [off] = records([]);
  assert.equal('kind' in off! || 'regions' in off!, false, JSON.stringify(off));
  const [flag] = records(['--regions']);
  assert.deepEqual([flag!.kind, flag!.regions], [on!.kind, on!.regions]);
  // An allow-list or a region gate with regions off: one line, exit 2, nothing on stdout.
  const refused = spawnSync(process.execPath, [BIN, 'batch', 'real', 'fake', '--max', 'regions=0'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(refused.status, 2);
  assert.equal(refused.stdout, '');
  assert.equal(
    refused.stderr,
    'nectar-loss: the gate regions judges changed regions: drop --no-regions (or regions: false in the config)\n',
  );
  // The library reads the same config (found from the working directory, here named).
  const { compareImages } = await import('../../src/engine/session.js');
  const config = path.join(root, 'nectar-loss.config.json');
  const lib = await compareImages(path.join(root, 'real/page.png'), path.join(root, 'fake/page.png'), {
    loss: 'l1',
    diff: 'never',
    config,
  });
  assert.equal(lib.regions, undefined);
  const asked = await compareImages(path.join(root, 'real/page.png'), path.join(root, 'fake/page.png'), {
    loss: 'l1',
    diff: 'never',
    config,
    regions: true,
  });
  assert.equal(asked.kind, 'content');
});

test("GitHub annotation: a pair over a threshold names its first region's box in the title", () => {
  const root = pair();
  const r = spawnSync(
    process.execPath,
    [BIN, 'batch', 'real', 'fake', '--loss', 'l1', '--max', 'regions=0', '--no-maps'],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: root, GITHUB_STEP_SUMMARY: '' },
    },
  );
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('::error'));
  // BOX is 10×6 at (20,12); `:` and `,` in a property are escaped (%3A, %2C) as the runner reads them.
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /^::error file=fake\/page\.png,title=nectar-loss%3A page\.png%3A [a-z ]+ in 1 region%2C 10×6 at \(20%2C12\)::regions 1 > 0$/,
  );
});
