import type { WeightFiles } from '../../model.js';

export interface LocateOptions {
  /** --weights FILE */
  file?: string;
  /** false: never download (--no-download). */
  download: boolean;
  /** Download progress, fraction 0..1 (or NaN when the size is unknown) and bytes. */
  onProgress?: (fraction: number, bytes: number) => void;
}

/** How each weights requirement is found (or downloaded): one entry per requirement. */
const LOCATORS: { [K in keyof Required<WeightFiles>]: (o: LocateOptions) => Promise<string> } = {
  vgg19: async (o) => (await import('./vgg19.js')).locateVgg19(o),
};

/** Locates every requirement in `needs` (loss definitions' `requires`), in order. */
export async function locateWeights(needs: Iterable<string | undefined>, o: LocateOptions): Promise<WeightFiles> {
  const files: WeightFiles = {};
  for (const need of new Set(needs)) {
    if (need === undefined) continue;
    const locate = LOCATORS[need as keyof WeightFiles];
    if (!locate) throw new Error(`no locator for weights '${need}'`);
    files[need as keyof WeightFiles] = await locate(o);
  }
  return files;
}
