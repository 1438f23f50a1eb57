import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { DEFAULTS, type Kind, type RawImage, type Region } from '../../src/model.js';
import { describePair } from '../../src/engine/decide/describe.js';
import { setMapScan } from '../../src/losses/map-scan.js';

/** The committed rendered pairs (fixtures/regions/*): a PNG as 8-bit RGB (alpha dropped), pngjs decoding. */
export function loadRgb(file: string): RawImage {
  const png = PNG.sync.read(readFileSync(file));
  const samples = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) samples.set(png.data.subarray(i * 4, i * 4 + 3), i * 3);
  return { width: png.width, height: png.height, samples, max: 255 };
}

/** The l1 map by hand: per pixel, the mean over channels of |real - fake| / 255. */
export function l1Map(r: RawImage, f: RawImage): Float32Array {
  const m = new Float32Array(r.width * r.height);
  for (let i = 0; i < m.length; i++) {
    let s = 0;
    for (let c = 0; c < 3; c++) s += Math.abs(r.samples[i * 3 + c]! - f.samples[i * 3 + c]!);
    m[i] = s / 765;
  }
  return m;
}

/** describePair on the l1 map with the default region settings; `mapScan` false: the TypeScript rules. */
export function describeL1(
  real: RawImage,
  fake: RawImage,
  mapScan = true,
): { kind: Kind; regions: Region[] } {
  setMapScan(mapScan);
  try {
    const map = l1Map(real, fake);
    return describePair({ loss: 'l1', map, real, fake, range: 'unit', shift: 0, settings: DEFAULTS.regions });
  } finally {
    setMapScan(true);
  }
}
