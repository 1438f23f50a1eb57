import { lossTraits } from '../losses/registry.js';

/**
 * The stderr line for losses that draw nothing although files were asked for (ms-ssim has no per-pixel
 * map), said once per run; undefined with --no-maps or when every loss draws.
 */
export function maplessNote(losses: readonly string[], maps: boolean): string | undefined {
  const mapless = losses.filter((l) => lossTraits(l).mapless);
  if (!maps || !mapless.length) return undefined;
  const [what, has] = mapless.length === 1 ? [mapless[0], 'has'] : [mapless.join(', '), 'have'];
  return (
    `nectar-loss: ${what} ${has} no per-pixel map, so no heatmap or figure is written for it ` +
    `(--no-maps silences this)\n`
  );
}
