/**
 * Heatmap colour maps. `gray` writes a one-channel PNG (the docs' look); the others are d3-scale-chromatic's
 * perceptual maps (matplotlib's magma, viridis, inferno, plasma, cividis, and Google's turbo), sampled at 256
 * levels into an RGB lookup table.
 */
const INTERPOLATORS = {
  magma: 'interpolateMagma',
  viridis: 'interpolateViridis',
  inferno: 'interpolateInferno',
  plasma: 'interpolatePlasma',
  turbo: 'interpolateTurbo',
  cividis: 'interpolateCividis',
} as const;

export const COLORMAPS = ['gray', ...Object.keys(INTERPOLATORS)];

/** 256 x RGB lookup table, or null for gray. d3 is loaded only when a colour map is used. */
export async function colormapLut(name: string): Promise<Uint8Array | null> {
  if (name === 'gray') return null;
  if (!(name in INTERPOLATORS)) throw new Error(`unknown colormap ${name}`);
  const key = INTERPOLATORS[name as keyof typeof INTERPOLATORS];
  const [chromatic, { rgb }] = await Promise.all([import('d3-scale-chromatic'), import('d3-color')]);
  const f = chromatic[key];
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = rgb(f(i / 255));
    lut[i * 3] = Math.round(c.r);
    lut[i * 3 + 1] = Math.round(c.g);
    lut[i * 3 + 2] = Math.round(c.b);
  }
  return lut;
}
