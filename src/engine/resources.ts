import { UserError } from '../errors.js';
import type { LossContext, LossDefinition } from '../losses/types.js';
import type { WeightFiles } from '../model.js';

type Requirement = keyof LossContext & keyof WeightFiles;

/** How each requirement is read from its file and made into tensors (loaded only when a loss needs it). */
const LOADERS: { [K in Requirement]: (file: string) => Promise<NonNullable<LossContext[K]>> } = {
  vgg19: async (file) => {
    const [{ loadVgg19 }, { vgg19Weights }] = await Promise.all([import('../io/weights/vgg19.js'), import('../losses/vgg.js')]);
    return vgg19Weights(await loadVgg19(file));
  },
};

/** Weights and other parameters the losses need, made into tensors once per thread and reused for every pair. */
export class LossResources {
  private ctx: LossContext = {};
  constructor(private readonly files: WeightFiles = {}) {}

  /** The context these losses need, loading what is missing. */
  async contextFor(losses: readonly LossDefinition[]): Promise<LossContext> {
    for (const loss of losses) {
      const need = loss.requires as Requirement | undefined;
      if (!need || this.ctx[need]) continue;
      const file = this.files[need];
      if (!file) throw new UserError(`the ${loss.name} loss needs ${need} weights`);
      this.ctx[need] = await LOADERS[need](file);
    }
    return this.ctx;
  }

  dispose(): void {
    for (const r of Object.values(this.ctx)) r?.dispose();
    this.ctx = {};
  }
}
