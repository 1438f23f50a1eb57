import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.js';
import type { Pair } from '../../model.js';
import { pairNectarGAN } from '../pairs.js';
import { readConfigs, type TrainConfig } from './config.js';
import { readTestLog, type TestEntry } from './tests.js';

/** What a NectarGAN experiment folder holds (Trainer.build_output_directory and the Tester's test/). */
export interface Experiment {
  dir: string;
  configs: TrainConfig[];
  /** Epochs with a generator checkpoint `epoch{N}_netG.pth.tar`, ascending. */
  checkpoints: number[];
  /** `loss_log.json`, when training ran with `-log`. */
  log?: string;
  /** The example pairs of `examples/` (`epoch{N}_{i}_B_real/fake`), each with its epoch. */
  examples: Pair[];
  tests: TestRun[];
}

export interface TestRun {
  /** `test_01` … */
  run: string;
  dir: string;
  pairs: Pair[];
  /** NectarGAN's own values; undefined while log.json is being rewritten. */
  log?: TestEntry[];
}

const CHECKPOINT = /^epoch(\d+)_netG\.pth\.tar$/;

/** The file name of the generator checkpoint of an epoch. */
export const checkpointName = (epoch: number) => `epoch${epoch}_netG.pth.tar`;

/** NectarGAN's pairs in a folder; none when it has none yet (an experiment that just started). */
async function pairsIn(dir: string): Promise<Pair[]> {
  try {
    if (!(await stat(dir)).isDirectory()) return [];
  } catch {
    return [];
  }
  try {
    return (await pairNectarGAN(dir)).pairs;
  } catch (err) {
    if (err instanceof UserError) return [];
    throw err;
  }
}

async function testRuns(dir: string): Promise<TestRun[]> {
  const root = path.join(dir, 'test');
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && /^test_\d+$/.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (run) => {
      const d = path.join(root, run);
      const log = await readTestLog(path.join(d, 'log.json'));
      return { run, dir: d, pairs: await pairsIn(d), ...(log ? { log } : {}) };
    }),
  );
}

/** Reads an experiment folder's listing and small files (configs, test logs); not the loss log. */
export async function scanExperiment(dir: string): Promise<Experiment> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new UserError(
      `${dir}: cannot read the experiment folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const checkpoints = names
    .map((n) => CHECKPOINT.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const [configs, examples, tests] = await Promise.all([
    readConfigs(dir, names),
    pairsIn(path.join(dir, 'examples')),
    testRuns(dir),
  ]);
  return {
    dir,
    configs,
    checkpoints,
    ...(names.includes('loss_log.json') ? { log: path.join(dir, 'loss_log.json') } : {}),
    examples: examples.filter((p) => p.epoch !== undefined),
    tests,
  };
}
