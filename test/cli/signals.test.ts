import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { BIN, fixture } from '../helpers.js';

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

/** Interrupts a batch at a given moment; returns its exit code. */
function interrupted(root: string, signal: NodeJS.Signals, afterMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      [
        BIN,
        'batch',
        'real',
        'fake',
        '--loss',
        'sobel,laplacian',
        '--raw',
        '--out',
        'out/maps',
        '--junit',
        'out/junit.xml',
        '--report',
        'out/report.html',
        '--json',
      ],
      { cwd: root },
    );
    p.stdout.resume();
    p.stderr.resume();
    setTimeout(() => p.kill(signal), afterMs);
    p.on('close', (code, sig) => resolve(code ?? (sig ? -1 : null)));
  });
}

test('SIGINT / SIGTERM at random moments of a batch: exit 130 / 143 and no partial file left', async () => {
  // Moments from a fixed seed, spread over start-up, the middle of the pairs and the end.
  const moments = [350, 900, 1600, 2300];
  let interruptedRuns = 0;
  for (const [i, ms] of moments.entries()) {
    const root = mkdtempSync(path.join(tmpdir(), 'nl-sig-'));
    for (const side of ['real', 'fake'] as const) {
      mkdirSync(path.join(root, side));
      for (let k = 0; k < 24; k++)
        copyFileSync(fixture(`fixtures/images/facade256_${side}.png`), path.join(root, side, `p${k}.png`));
    }
    const signal: NodeJS.Signals = i % 2 ? 'SIGTERM' : 'SIGINT';
    const code = await interrupted(root, signal, ms);
    if (code === 0) continue; // finished before the signal: nothing to check about interruption
    assert.equal(code, signal === 'SIGINT' ? 130 : 143, `${signal} after ${ms} ms`);
    interruptedRuns++;
    const files = allFiles(root);
    assert.deepEqual(
      files.filter((f) => f.endsWith('.tmp')),
      [],
      'temporary files left',
    );
    for (const f of files.filter((f) => f.includes(`${path.sep}out${path.sep}`))) {
      if (f.endsWith('.png'))
        assert.doesNotThrow(() => PNG.sync.read(readFileSync(f)), `${f} is a whole PNG`);
      if (f.endsWith('.npy')) assert.equal(statSync(f).size, 128 + 256 * 256 * 4, `${f} is a whole .npy`);
      if (f.endsWith('.xml'))
        assert.ok(new XMLParser().parse(readFileSync(f, 'utf8')).testsuites, `${f} is whole XML`);
      if (f.endsWith('.html')) assert.match(readFileSync(f, 'utf8'), /<\/html>\s*$/, `${f} is a whole page`);
    }
  }
  assert.ok(interruptedRuns >= 2, `only ${interruptedRuns} runs were interrupted mid-way`);
});
