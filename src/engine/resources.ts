import { UserError } from '../errors.js';
import type { LossContext, LossDefinition } from '../losses/types.js';
import type { WeightFiles } from '../model.js';

type Requirement = keyof LossContext & keyof WeightFiles;

/** How each requirement is read from its file and made into tensors (loaded only when a loss needs it). */
const LOADERS: { [K in Requirement]: (file: string) => Promise<NonNullable<LossContext[K]>> } = {
  vgg19: async (file) => {
    const [{ loadVgg19 }, { vgg19Weights }] = await Promise.all([
      import('../io/weights/vgg19.js'),
      import('../losses/vgg.js'),
    ]);
    return vgg19Weights(await loadVgg19(file));
  },
  'lpips-alex': (file) => lpipsLoader('alex', file),
  'lpips-vgg': (file) => lpipsLoader('vgg', file),
};

/**
 * An LPIPS net: its torchvision trunk from `file`, the lpips package's v0.1 linear layers shipped with
 * nectar-loss.
 */
async function lpipsLoader(net: 'alex' | 'vgg', file: string) {
  const [{ loadTrunk, loadLpipsLinear, shippedLpipsLinear }, { lpipsWeights }] = await Promise.all([
    import('../io/weights/trunks.js'),
    import('../losses/lpips.js'),
  ]);
  const [convs, lins] = await Promise.all([
    loadTrunk(file, net),
    loadLpipsLinear(shippedLpipsLinear(net), net),
  ]);
  return lpipsWeights(net, convs, lins);
}

/**
 * Weights and other parameters the losses need, made into tensors once per thread and reused for every pair.
 */
export class LossResources {
  private ctx: LossContext = {};
  /** Loads under way, so that a second caller waits for the first load instead of starting another. */
  private loading = new Map<Requirement, Promise<unknown>>();
  private disposed = false;
  constructor(private readonly files: WeightFiles = {}) {}

  /** The context these losses need, loading what is missing. */
  async contextFor(losses: readonly LossDefinition[]): Promise<LossContext> {
    for (const loss of losses) {
      const need = loss.requires;
      if (!need || this.ctx[need]) continue;
      const file = this.files[need];
      if (!file) throw new UserError(`the ${loss.name} loss needs ${need} weights`, 'NO_WEIGHTS');
      if (!this.loading.has(need))
        this.loading.set(
          need,
          LOADERS[need](file).then((r) => this.keep(need, r)),
        );
      await this.loading.get(need);
    }
    return this.ctx;
  }

  /** Keeps a loaded resource, or frees it when dispose() came first. */
  private keep(need: Requirement, r: { dispose(): void }): void {
    if (this.disposed) r.dispose();
    else (this.ctx as Record<Requirement, unknown>)[need] = r;
  }

  dispose(): void {
    this.disposed = true;
    for (const r of Object.values(this.ctx) as ({ dispose(): void } | undefined)[]) r?.dispose();
    this.ctx = {};
  }
}
