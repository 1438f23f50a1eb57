import type { WeightFiles } from '../../model.js';
import { ALEXNET_HUB, VGG16_HUB, VGG19_HUB } from './env.js';

export interface LocateOptions {
  /** --weights FILE (vgg19) */
  file?: string;
  /** --alexnet-weights, --vgg16-weights: the LPIPS trunks. */
  alexnet?: string;
  vgg16?: string;
  /** false: never download (--no-download). */
  download: boolean;
  /** Download progress, fraction 0..1 (or NaN when the size is unknown) and bytes. */
  onProgress?: (fraction: number, bytes: number) => void;
}

/** How each weights requirement is found (or downloaded): one entry per requirement. */
const LOCATORS: { [K in keyof Required<WeightFiles>]: (o: LocateOptions) => Promise<string> } = {
  vgg19: async (o) => (await import('./vgg19.js')).locateHub(VGG19_HUB, o),
  'lpips-alex': async (o) => (await import('./vgg19.js')).locateHub(ALEXNET_HUB, { ...o, file: o.alexnet }),
  'lpips-vgg': async (o) => (await import('./vgg19.js')).locateHub(VGG16_HUB, { ...o, file: o.vgg16 }),
};

/** Locates every requirement in `needs` (loss definitions' `requires`), in order. */
export async function locateWeights(
  needs: Iterable<string | undefined>,
  o: LocateOptions,
): Promise<WeightFiles> {
  const files: WeightFiles = {};
  for (const need of new Set(needs)) {
    if (need === undefined) continue;
    const locate = LOCATORS[need as keyof WeightFiles] as ((o: LocateOptions) => Promise<string>) | undefined;
    if (!locate) throw new Error(`no locator for weights '${need}'`);
    files[need as keyof WeightFiles] = await locate(o);
  }
  return files;
}
