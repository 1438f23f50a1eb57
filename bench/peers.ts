/**
 * The peer tools of the screenshot workload, each as one whole process over the pairs of two folders, each
 * writing a diff PNG per pair (as nectar-loss writes a heatmap):
 *   node dist/bench/peers.js odiff <realDir> <fakeDir> <outDir>       odiff-bin's Node API (its server)
 *   node dist/bench/peers.js pixelmatch <realDir> <fakeDir> <outDir>  pixelmatch + pngjs
 * Prints one JSON line: {"differ": n, "pairs": n}.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** The part of odiff-bin's Node API the bench uses. */
interface OdiffServer {
  compare(a: string, b: string, diff: string): Promise<{ match: boolean }>;
  stop(): void;
}

/**
 * odiff-bin 4.5.0, installed by `npm run bench` into .bench-peers/ (scripts/install-bench-peers.sh), not as
 * a dev dependency: the registry this project installs from lacks its other platforms' optional packages,
 * so no lock file can hold them and `npm ci` refuses the lock.
 */
function loadOdiff(): { ODiffServer: new () => OdiffServer } {
  const peers = path.resolve(
    path.dirname(new URL(import.meta.url).pathname),
    '../../.bench-peers/package.json',
  );
  return createRequire(peers)('odiff-bin') as { ODiffServer: new () => OdiffServer };
}

async function odiff(names: string[], real: string, fake: string, out: string): Promise<number> {
  const { ODiffServer } = loadOdiff();
  const server = new ODiffServer();
  let differ = 0;
  try {
    for (const n of names) {
      const r = await server.compare(path.join(real, n), path.join(fake, n), path.join(out, n));
      if (!r.match) differ++;
    }
  } finally {
    server.stop();
  }
  return differ;
}

async function pixelmatch(names: string[], real: string, fake: string, out: string): Promise<number> {
  const match = (await import('pixelmatch')).default;
  const { PNG } = require('pngjs') as typeof import('pngjs');
  let differ = 0;
  for (const n of names) {
    const a = PNG.sync.read(readFileSync(path.join(real, n)));
    const b = PNG.sync.read(readFileSync(path.join(fake, n)));
    const diff = new PNG({ width: a.width, height: a.height });
    if (match(a.data, b.data, diff.data, a.width, a.height, { threshold: 0.1 }) > 0) differ++;
    writeFileSync(path.join(out, n), PNG.sync.write(diff));
  }
  return differ;
}

const [tool, real, fake, out] = process.argv.slice(2);
if (!tool || !real || !fake || !out) throw new Error('usage: peers.js odiff|pixelmatch <real> <fake> <out>');
const names = readdirSync(real)
  .filter((n) => n.endsWith('.png'))
  .sort();
const differ = await (tool === 'odiff' ? odiff : pixelmatch)(names, real, fake, out);
console.log(JSON.stringify({ differ, pairs: names.length }));
