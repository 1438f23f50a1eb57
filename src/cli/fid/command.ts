import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKEND_NAMES } from '../../model.js';
import type { FidCliOptions } from './types.js';

/**
 * `nectar-loss fid` and `nectar-loss kid` (issue 30): the options only; the work is in run.ts, loaded when a
 * command runs, so `--help` loads no TensorFlow.js.
 */

const DIMS = [64, 192, 768, 2048];

function parseDims(v: string): number {
  const n = Number(v);
  if (!DIMS.includes(n)) throw new InvalidArgumentError(`expected one of ${DIMS.join(', ')}.`);
  return n;
}

function parseCount(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}.`);
    return n;
  };
}

/** numpy's RandomState takes a seed in [0, 2^32 - 1]. */
function parseSeed(v: string): number {
  const n = parseCount(0)(v);
  if (n > 0xffffffff) throw new InvalidArgumentError('expected an integer from 0 to 4294967295.');
  return n;
}

function parseShard(v: string): { index: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = Number(m?.[1]),
    total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total)
    throw new InvalidArgumentError('expected i/n with 1 <= i <= n, e.g. 2/4.');
  return { index, total };
}

/** Options both commands take. */
function common(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--dims <d>', 'Inception features: 64, 192, 768 or 2048 (pool3)')
        .default(2048)
        .argParser(parseDims),
    )
    .option('--json', 'print one JSON object')
    .option(
      '--inception-weights <file>',
      "pytorch-fid's pt_inception-2015-12-05-6726825d.pth (or its layout)",
    )
    .option('--no-download', 'never download the Inception weights')
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_NAMES).default('auto'))
    .option('--shard <i/n>', 'compute only every n-th image (the i-th share); needs --results', parseShard)
    .option('--results <file>', "write this shard's sufficient statistics here, for `nectar-loss merge`")
    .option('--no-cache', 'neither read nor write the per-image feature cache');
}

type Run = (paths: string[], o: FidCliOptions, metric: 'fid' | 'kid') => Promise<number>;

/** Registers `fid` and `kid` on `program`; `exit` turns a non-zero code into the CLI's exit. */
export function fidCommands(program: Command, exit: (code: number) => void): void {
  const run: Run = async (paths, o, metric) => (await import('./run.js')).runMetric(paths, o, metric);
  common(
    program
      .command('fid')
      .description(
        'Fréchet Inception Distance of two image folders (or pytorch-fid .npz statistics), as pytorch-fid',
      )
      .argument('<paths...>', 'real and fake folders or .npz files; one folder with --save-stats'),
  )
    .option(
      '--save-stats <file.npz>',
      "write the folder's mu and sigma (float64) as pytorch-fid --save-stats",
    )
    .option(
      '--bootstrap <k>',
      'also a 95% percentile interval over k resamples of the fake set',
      parseCount(2),
    )
    .option('--seed <s>', 'seed of the bootstrap resamples (default 2020)', parseCount(0))
    .action(async (paths: string[], o: FidCliOptions) => exit(await run(paths, o, 'fid')));
  common(
    program
      .command('kid')
      .description(
        'Kernel Inception Distance of two image folders, as torch-fidelity (mean and std over subsets)',
      )
      .argument('<paths...>', 'real and fake folders'),
  )
    .option('--subset-size <n>', 'images per subset (default 1000; capped at the smaller set)', parseCount(2))
    .option('--subsets <k>', 'random subsets (default 100)', parseCount(1))
    .option(
      '--seed <s>',
      "seed of numpy's RandomState drawing the subsets, as torch-fidelity (default 2020)",
      parseSeed,
    )
    .action(async (paths: string[], o: FidCliOptions) => exit(await run(paths, o, 'kid')));
}

/** The values of addSetOptions' flags. */
export interface SetOptionValues {
  inceptionWeights?: string;
  fidDims: number;
  bootstrap: number;
  kidSubsets?: number;
  kidSubsetSize?: number;
  seed?: number;
  cache: boolean;
}

/** The flags of `--loss fid,kid` in batch and review (FID and KID between the sets of images). */
export function addSetOptions(cmd: Command, bootstrap: number): Command {
  return cmd
    .option('--inception-weights <file>', 'fid, kid: the FID Inception weights (pytorch-fid .pth)')
    .addOption(
      new Option('--fid-dims <d>', 'fid, kid: Inception features 64, 192, 768 or 2048 (pool3)')
        .default(2048)
        .argParser(parseDims),
    )
    .option('--bootstrap <k>', `fid: resamples of the 95% interval (0: none)`, parseCount(0), bootstrap)
    .option('--kid-subsets <k>', 'kid: random subsets (default 100)', parseCount(1))
    .option('--kid-subset-size <n>', 'kid: images per subset (default 1000, capped)', parseCount(2))
    .option('--seed <s>', 'fid, kid: seed of the resamples and subsets (default 2020)', parseSeed)
    .option('--no-cache', 'fid, kid: neither read nor write the per-image feature cache');
}

/** The set metrics' options from addSetOptions' values and the command's backend and --no-download. */
export function setOptionsOf(
  o: SetOptionValues,
  metrics: ('fid' | 'kid')[],
  run: { backend: string; download: boolean; cacheDir?: string },
) {
  return {
    metrics,
    dims: o.fidDims,
    inceptionWeights: o.inceptionWeights,
    download: run.download,
    backend: run.backend,
    bootstrap: o.bootstrap,
    seed: o.seed,
    subsets: o.kidSubsets,
    subsetSize: o.kidSubsetSize,
    cache: o.cache,
    ...(run.cacheDir ? { cacheDir: run.cacheDir } : {}),
  };
}
