import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
// Only light modules here: --help, --version and `backends` must not load what they do not use.
// The commands import their machinery (TensorFlow.js, sharp, fonts) when they run.
import { defaultJobs } from '../engine/pool.js';
import { UserError } from '../errors.js';
import { isLoss, loadLoss, LOSS_NAMES } from '../losses/registry.js';
import { DEFAULTS, splitSetMetrics } from '../model.js';
import { approveCommand } from './approve/command.js';
import { serveCommand } from './serve/command.js';
import type { BatchOptions } from './batch.js';
import { addConfigOptions, applyConfig, configOf, printConfig } from './config.js';
import { allowOfGatesFile, gateParser, STATS, type Gate } from './gates.js';
import { REGION_GATES, refuseRegionJudges } from '../engine/decide/gates.js';
import {
  addPairOptions,
  NO_REGIONS_FIX,
  runSettings,
  type PairOptionValues,
  type RunSettings,
} from './options.js';
import { maplessNote } from './notes.js';
import { makeProgress } from './progress.js';
import { installSignalHandlers, watchFolder } from './signals.js';
import { addSetOptions, fidCommands, setOptionsOf, type SetOptionValues } from './fid/command.js';

/** review's defaults: NectarGAN's three losses plus SSIM, into ./nectar-loss-review. */
const REVIEW_LOSSES = 'sobel,laplacian,l1,ssim';
const REVIEW_OUT = 'nectar-loss-review';

/** Exit codes (scripts depend on them): 0 ok, 1 mean above --max, 2 usage or input error. */
export const EXIT = { OK: 0, OVER: 1, USAGE: 2 } as const;

const EXAMPLES = `
Examples:
  $ nectar-loss sobel real.png fake.png                 print the mean, write maps to ./nectar-loss-out
  $ nectar-loss laplacian real.png fake.png --json      one JSON object on stdout
  $ nectar-loss l1 real.png fake.png --no-maps --max 0.05 || echo regressed
  $ nectar-loss sobel real.png fake.png --range signed  the value NectarGAN logs during training
  $ cat fake.png | nectar-loss sobel real.png -          fake read from stdin
  $ nectar-loss sobel a.png b.png --colormap magma --scale max --raw --out maps/
  $ nectar-loss vgg real.png fake.png --weights ~/.cache/torch/hub/checkpoints/vgg19-dcbb9e9d.pth
  $ nectar-loss batch snapshots/ renders/ --loss sobel,l1 --max sobel=0.05 --junit junit.xml
  $ nectar-loss batch results/experiment1/examples --plot epochs.png --report report.html
  $ nectar-loss ssim real.png fake.png --min 0.9        exit 1 below an SSIM of 0.9
  $ nectar-loss sobel a.png b.png --ignore 0,0,200,40 --shift-tolerance 1
  $ nectar-loss batch base/ cur/ --max sobel.p99=0.3 --update new
  $ nectar-loss batch base/ cur/ --shard 2/4 --results out/results.ndjson
  $ nectar-loss calibrate base/ other-runner/ --changed edits/ --write-gates gates.txt
  $ nectar-loss batch base/ cur/ --gates gates.txt
  $ nectar-loss merge shard-*/results.ndjson --junit junit.xml --report report/index.html
  $ nectar-loss review results/facades_v1 --json         curves, best checkpoint, tests of an experiment
  $ nectar-loss approve approvals.json --dry-run         apply the report's decisions to the baselines
  $ nectar-loss serve report/                           review and approve in the browser (127.0.0.1)
  $ nectar-loss backends                                which TensorFlow.js backends load here
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Thrown by the actions to carry an exit code out of commander's parseAsync. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function parseJobs(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError('expected a whole number from 1 to 256.');
  return n;
}

/** The single command: `nectar-loss <loss> <real> <fake>`. */
function singleCommand(program: Command): Command {
  return addPairOptions(program)
    .argument('<loss>', `loss: ${LOSS_NAMES.join(', ')}`)
    .argument('<real>', 'ground-truth image (any format sharp reads), or - for stdin')
    .argument('<fake>', 'generated image, same size, or - for stdin')
    .option('--json', 'print one JSON object instead of the bare mean')
    .option(
      '--max <gate>',
      `exit 1 above this: a number (the value), or loss.stat=number (${STATS.join(', ')} of the map); ` +
        'repeatable (everything is still printed and written)',
      gateParser('max'),
      [],
    )
    .option(
      '--min <gate>',
      'higher-is-better metrics (ssim, ms-ssim, psnr): exit 1 when the value is below this',
      gateParser('min'),
      [],
    )
    .action(
      async (
        lossName: string,
        real: string,
        fake: string,
        o: PairOptionValues & { json?: boolean },
        cmd: Command,
      ) => {
        if (!isLoss(lossName))
          throw new UserError(`unknown loss '${lossName}' (choose one of ${LOSS_NAMES.join(', ')})`);
        const { gatesFor } = await import('../engine/settings.js');
        const gates = gatesFor(configOf(cmd).resolved, [lossName]);
        const opt = { run: runSettings(o), json: Boolean(o.json), gates };
        refuseWithoutRegions(opt.run, gates);
        watchFolder(opt.run.out);
        const progress = makeProgress();
        try {
          const { compare } = await import('./compare.js');
          const { stdout, stderr, code } = await compare(
            (await loadLoss(lossName))!,
            real,
            fake,
            opt,
            progress,
          );
          progress.stop();
          process.stderr.write(maplessNote([lossName], opt.run.draw !== undefined) ?? '');
          process.stdout.write(stdout);
          process.stderr.write(stderr);
          if (code) throw new Exit(code);
        } finally {
          progress.stop();
        }
      },
    );
}

/** The batch options as commander hands them over: the shared ones, BatchOptions' own, and --loss. */
type BatchOptionValues = PairOptionValues &
  SetOptionValues &
  Omit<BatchOptions, 'run' | 'losses' | 'json' | 'gates' | 'history' | 'sets'> & {
    history?: string;
    historySize?: number;
    quarantine?: number;
    loss: string;
    json?: boolean;
    gates?: string;
  };

/** --loss as given; when left at its default beside --gates, the losses the gates file names. */
function batchLosses(list: string, isDefault: boolean, fileGates: Gate[]): string[] {
  const losses = fileGates.filter((g) => !(REGION_GATES as readonly string[]).includes(g.loss));
  if (isDefault && losses.length) return [...new Set(losses.map((g) => g.loss))];
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `--shard i/n`: 1 <= i <= n. */
function parseShard(v: string): { index: number; total: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = Number(m?.[1]),
    total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total)
    throw new InvalidArgumentError(
      'expected i/n with 1 <= i <= n, e.g. 2/4 (1-based, as Playwright and Jest).',
    );
  return { index, total };
}

/** With --no-regions (or the config's regions: false), an allow-list (a gates file's allow= line) or a region gate could never judge a pair. */
function refuseWithoutRegions(run: RunSettings, gates: readonly Gate[], gatesFile?: string) {
  if (run.compute.regions) return;
  const allowName = gatesFile ? `${gatesFile}'s allow= line` : 'the allow-list';
  refuseRegionJudges(gates, run.allow, allowName, NO_REGIONS_FIX);
}

/** The batch options from commander's values and the resolved config (gates, per-path overrides). */
async function batchOptions(o: BatchOptionValues, cmd: Command): Promise<BatchOptions> {
  const { resolved, fileGates } = configOf(cmd);
  const all = batchLosses(o.loss, cmd.getOptionValueSource('loss') === 'default', fileGates);
  const { pair: losses, sets } = splitSetMetrics(all);
  const { gatesFor, hasOverrides } = await import('../engine/settings.js');
  const gates = [...gatesFor(resolved, losses), ...fileGates];
  const run = runSettings(o);
  // The gates file's allow line (calibrate writes it) wins over the config's; --allow on the command line
  // over both.
  if (typeof o.gates === 'string' && cmd.getOptionValueSource('allow') !== 'cli') {
    const allow = allowOfGatesFile(readFileSync(o.gates, 'utf8'), o.gates);
    if (allow) run.allow = allow;
  }
  refuseWithoutRegions(run, gates, typeof o.gates === 'string' ? o.gates : undefined);
  return {
    run,
    losses,
    gates,
    ...(hasOverrides(resolved)
      ? { gatesFor: (name: string) => [...gatesFor(resolved, losses, name), ...fileGates] }
      : {}),
    json: Boolean(o.json),
    jobs: o.jobs,
    junit: o.junit,
    report: o.report,
    plot: o.plot,
    masks: o.masks,
    update: o.update,
    // The config's failOnUpdate applies to update runs only; the flag without --update is an error.
    failOnUpdate:
      Boolean(o.failOnUpdate) && (Boolean(o.update) || cmd.getOptionValueSource('failOnUpdate') !== 'config'),
    shard: o.shard,
    results: o.results,
    ...historyOf(o),
    ...(sets.length ? { sets: setOptionsOf(o, sets, { ...run.compute, ...run.weights }) } : {}),
  };
}

/** --history, --history-size, --quarantine and --strict (the last three need --history; --strict, --quarantine). */
function historyOf(o: BatchOptionValues): Pick<BatchOptions, 'history' | 'strict'> {
  if (o.history === undefined) {
    const stray =
      o.quarantine !== undefined ? '--quarantine' : o.historySize !== undefined ? '--history-size' : '';
    if (stray) throw new UserError(`${stray} needs --history <dir> (the earlier runs it reads)`);
  }
  if (o.strict && o.quarantine === undefined) throw new UserError('--strict needs --quarantine <k>');
  if (o.history === undefined) return {};
  const history = {
    dir: o.history,
    size: o.historySize ?? 30,
    ...(o.quarantine !== undefined ? { quarantine: o.quarantine } : {}),
  };
  return { history, ...(o.strict ? { strict: true } : {}) };
}

/** A whole number of at least `min`, for commander. */
const wholeNumber = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`expected a whole number of at least ${min}.`);
  return n;
};

/** batch's history flags (cli/history.ts). */
function historyFlags(cmd: Command): Command {
  return cmd
    .option(
      '--history <dir>',
      "keep this run's results in <dir> and give each pair its history over the kept runs",
    )
    .option(
      '--history-size <n>',
      'with --history: the runs kept, this one included (default 30)',
      wholeNumber(2),
    )
    .option(
      '--quarantine <k>',
      "with --history: pairs whose verdict flipped at least k times are 'flaky'",
      wholeNumber(1),
    )
    .option('--strict', 'with --quarantine: a flaky pair fails the run (exit 1)');
}

/** `nectar-loss batch <dir> [fakeDir]`. */
function batchCommand(program: Command): void {
  const cmd = addPairOptions(
    program
      .command('batch')
      .description(
        'compare many pairs: <realDir> <fakeDir> by relative path, or one NectarGAN output folder ' +
          '(N_B_real/N_B_fake, epochE_i_B_real/fake)',
      )
      .argument('<dir>', 'folder of real images, or a NectarGAN test/train output folder')
      .argument('[fakeDir]', 'folder of fake images, paired with <dir> by relative path'),
  )
    .option('--loss <list>', `comma-separated losses (${LOSS_NAMES.join(', ')})`, DEFAULTS.losses.join(','))
    .option(
      '--max <loss[.stat]=value>',
      `upper bound on a loss's value, or on a statistic (${STATS.join(', ')}) of its map; repeatable: a ` +
        `pair beyond any is over (exit 1)`,
      gateParser('max'),
      [],
    )
    .option(
      '--min <metric=value>',
      'lower bound on a higher-is-better metric (ssim, ms-ssim, psnr); repeatable',
      gateParser('min'),
      [],
    )
    .option(
      '--gates <file>',
      'gates from a file (calibrate --write-gates): loss[.stat]=value a line, # comments; with --max/--min',
    )
    .option('--json', 'NDJSON: one object per pair as it finishes, then a summary object')
    .option('-j, --jobs <n>', 'worker threads (default: the number of cores)', parseJobs, defaultJobs())
    .option('--junit <file>', 'also write JUnit XML (one testcase per pair)')
    .option('--report <file>', 'also write an HTML report, worst pairs first')
    .option('--plot <file>', "trainer folders: also plot each loss's mean per epoch as PNG")
    .option(
      '--masks <dir>',
      "a mask per pair, at the real image's relative path in this folder (--mask, --ignore apply too)",
    )
    .addOption(
      new Option(
        '--update <which>',
        'two folders: copy current images over baselines: new (no baseline yet), changed (over a ' +
          'threshold); obsolete: remove baselines with no current image; all: the three',
      ).choices(['new', 'changed', 'obsolete', 'all']),
    )
    .option(
      '--fail-on-update',
      'with --update: write the baselines, yet exit 1 and list them (CI jobs that open a pull request)',
    )
    .option(
      '--shard <i/n>',
      'compare only the i-th of n parts of the pairs (1-based; the same split on every machine)',
      parseShard,
    )
    .option('--results <file>', 'also write the NDJSON here (paths relative to it), for `nectar-loss merge`');
  addSetOptions(historyFlags(cmd), 0).action(runBatch);
}

async function runBatch(dir: string, fakeDir: string | undefined, o: BatchOptionValues, cmd: Command) {
  const opt = await batchOptions(o, cmd);
  watchFolder(opt.run.out);
  if (opt.update) watchFolder(dir);
  for (const f of [opt.junit, opt.report, opt.plot, opt.results]) if (f) watchFolder(path.dirname(f));
  const progress = makeProgress();
  try {
    const { batch } = await import('./batch.js');
    const code = await batch(dir, fakeDir, opt, progress, (s) => process.stdout.write(s));
    progress.stop();
    process.stderr.write(maplessNote(opt.losses, opt.run.draw !== undefined) ?? '');
    if (code) throw new Exit(code);
  } finally {
    progress.stop();
  }
}

/** A --margin: a fraction, 0 or more. */
function parseMargin(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a fraction of 0 or more, e.g. 0.25.');
  return n;
}

/** The calibrate options as commander hands them over. */
type CalibrateOptionValues = PairOptionValues & {
  changed?: string;
  history?: string;
  loss: string;
  margin: number;
  json?: boolean;
  writeGates?: string;
  writeConfig?: string;
  jobs: number;
};

/** `nectar-loss calibrate <baselineDir> <noiseDir>`: gates measured from the noise of the user's setup. */
function calibrateCommand(program: Command): void {
  const cmd = program
    .command('calibrate')
    .description(
      'measure the noise between baselines and the same content rendered elsewhere (and, with --changed, real changes): a gate per loss and statistic, ranked by how well it separates them',
    )
    .argument('<baselineDir>', 'baseline images')
    .argument(
      '[noiseDir]',
      'the same content from another environment: must pass (paired by relative path); optional with --history',
    )
    .option('--changed <dir>', 'images with real changes: must fail (paired with the baselines likewise)')
    .option(
      '--history <dir>',
      "batch --history's folder: the recorded values of the pairs that passed in its runs are noise too",
    )
    .option('--loss <list>', `comma-separated losses (${LOSS_NAMES.join(', ')})`, DEFAULTS.losses.join(','))
    .option(
      '--margin <fraction>',
      'a gate without a clean separation: the worst noise dissimilarity times 1 + this',
      parseMargin,
      0.25,
    )
    .option('--json', 'print one JSON object')
    .option('--write-gates <file>', 'write the chosen gates for batch --gates (loss[.stat]=value a line)')
    .option(
      '--write-config <file>',
      'write a config (JSON) holding the chosen gates and every setting they were measured with',
    )
    .option('-j, --jobs <n>', 'worker threads (default: the number of cores)', parseJobs, defaultJobs());
  addPairOptions(cmd, { draw: false }).action(runCalibrate);
}

async function runCalibrate(
  base: string,
  noise: string | undefined,
  o: CalibrateOptionValues,
): Promise<void> {
  const { out, draw } = DEFAULTS;
  const run = runSettings({ ...o, out, colormap: draw.colormap, maps: false });
  for (const f of [o.writeGates, o.writeConfig]) if (f) watchFolder(path.dirname(f));
  const progress = makeProgress();
  try {
    const { calibrate } = await import('./calibrate/calibrate.js');
    const opt = {
      run,
      losses: batchLosses(o.loss, false, []),
      changed: o.changed,
      json: Boolean(o.json),
      writeGates: o.writeGates,
      writeConfig: o.writeConfig,
      jobs: o.jobs,
      margin: o.margin,
      history: o.history,
    };
    const code = await calibrate(base, noise, opt, progress, (s) => process.stdout.write(s));
    if (code) throw new Exit(code);
  } finally {
    progress.stop();
  }
}

type ReviewOptionValues = PairOptionValues &
  SetOptionValues & { loss: string; json?: boolean; watch?: boolean; jobs: number };

/** review's options: its own defaults where the shared flags were not given. */
function reviewOptions(o: ReviewOptionValues, cmd: Command) {
  const run = runSettings(o);
  if (cmd.getOptionValueSource('out') === 'default') run.out = REVIEW_OUT;
  // NectarGAN's tensors are in [-1, 1]: its logged and tested values are at range signed.
  if (cmd.getOptionValueSource('range') === 'default') run.compute.range = 'signed';
  // The report shows heatmaps only; --files draws more.
  if (run.draw && !o.files) run.draw = { ...run.draw, kinds: ['heatmap'] };
  const { pair, sets } = splitSetMetrics(
    o.loss
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const cacheDir = path.join(run.out, 'features');
  const setOpt = sets.length
    ? { sets: setOptionsOf(o, sets, { ...run.compute, ...run.weights, cacheDir }) }
    : {};
  return { run, losses: pair, json: Boolean(o.json), jobs: o.jobs, cache: o.cache, ...setOpt };
}

/** The shared flags' help, with review's own defaults and what --out holds here. */
function reviewHelp(cmd: Command): Command {
  for (const opt of cmd.options) {
    if (opt.long === '--out') {
      opt.description = 'folder for the report (index.html, index-files/, maps/, review-cache.json)';
      opt.defaultValue = REVIEW_OUT;
    }
    if (opt.long === '--range') opt.defaultValue = 'signed';
  }
  return cmd;
}

/** `nectar-loss review <experimentDir>`: a NectarGAN experiment, reviewed whole. */
function reviewCommand(program: Command): void {
  const review = reviewHelp(
    addPairOptions(
      program
        .command('review')
        .description(
          "a NectarGAN experiment folder as one report: loss_log.json's curves, the train configs and " +
            "what changed, every example epoch's maps, the best checkpoint per loss, the test runs beside " +
            "NectarGAN's values",
        )
        .argument(
          '<experimentDir>',
          'the experiment folder (loss_log.json, train*_config.json, examples/, test/)',
        ),
    ),
  )
    .option(
      '--loss <list>',
      `comma-separated losses for the examples (${LOSS_NAMES.join(', ')}); fid, kid: between sets`,
      REVIEW_LOSSES,
    )
    .option('--json', 'print one JSON object (training, best, tests, computed, reused, …)')
    .option('--watch', 'keep the report current while NectarGAN trains (Ctrl-C or SIGTERM to stop)')
    .option('-j, --jobs <n>', 'worker threads (default: the number of cores)', parseJobs, defaultJobs());
  const noCache = addSetOptions(review, 100).options.find((x) => x.long === '--no-cache');
  if (noCache)
    noCache.description = 'compute every pair and feature again (review-cache.json and features/ unread)';
  review.action(async (dir: string, o: ReviewOptionValues, cmd: Command) => {
    const opt = reviewOptions(o, cmd);
    const run = opt.run;
    watchFolder(run.out);
    const progress = makeProgress();
    try {
      const r = await import('./review/review.js');
      r.validateReview(opt);
      r.checkOut(dir, run.out);
      const code = o.watch
        ? await (
            await import('./review/review-watch.js')
          ).watchReview(dir, opt, progress, (s) => process.stdout.write(s))
        : await r.review(dir, opt, progress, (s) => process.stdout.write(s));
      if (code) throw new Exit(code);
    } finally {
      progress.stop();
    }
  });
}

/** `nectar-loss merge <results…>`: the shards' results as one run. */
function mergeCommand(program: Command): void {
  program
    .command('merge')
    .description(
      'combine the --results files of sharded batch runs into the summary, JUnit, report and plot of one run',
    )
    .argument(
      '<results...>',
      'NDJSON files written by batch --results (paths inside are relative to each file)',
    )
    .option('--json', 'NDJSON: every pair, then the summary object')
    .option('--junit <file>', 'also write JUnit XML')
    .option('--report <file>', 'also write the HTML report')
    .option('--plot <file>', "trainer folders: also plot each loss's mean per epoch as PNG")
    .action(
      async (files: string[], o: { json?: boolean; junit?: string; report?: string; plot?: string }) => {
        for (const f of [o.junit, o.report, o.plot]) if (f) watchFolder(path.dirname(f));
        if (files.length && (await import('./fid/results.js')).isFidResults(files[0])) {
          const { mergeFidResults } = await import('./fid/results.js');
          process.stdout.write(mergeFidResults(files, Boolean(o.json)));
          return;
        }
        const { merge } = await import('./merge.js');
        const code = await merge(
          files,
          { json: Boolean(o.json), junit: o.junit, report: o.report, plot: o.plot },
          (s) => process.stdout.write(s),
        );
        if (code) throw new Exit(code);
      },
    );
}

/** `nectar-loss report <results…> --out <dir>`: the HTML report of results files (batch's, the runners'). */
function reportCommand(program: Command): void {
  program
    .command('report')
    .description(
      "write the HTML report, with approval controls, of results files: batch --results, or the test runners' " +
        '(nectar-loss/reporter with { results })',
    )
    .argument('<results...>', 'NDJSON results files (paths inside as batch --results writes them)')
    .requiredOption('--out <dir>', 'the report folder: index.html and index-files/')
    .action(async (files: string[], o: { out: string }) => {
      watchFolder(o.out);
      const { report } = await import('./report.js');
      process.stdout.write(await report(files, o));
    });
}

/** `nectar-loss backends`: the doctor. */
function backendsCommand(program: Command): void {
  program
    .command('backends')
    .description('list the TensorFlow.js backends, in auto order, with loaded / not loaded and why')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      const { probeBackends } = await import('../engine/backend.js');
      const list = await probeBackends();
      if (o.json) process.stdout.write(JSON.stringify(list) + '\n');
      else
        for (const b of list)
          process.stdout.write(
            `${b.package.padEnd(30)} ${b.backend.padEnd(10)} ${b.loaded ? 'loaded    ' : 'not loaded'}  ` +
              `${b.detail}\n`,
          );
    });
}

/** `nectar-loss config [--json]`: the resolved settings and the source of each. */
function configCommand(program: Command): void {
  addPairOptions(
    program
      .command('config')
      .description('print the resolved settings (defaults < config file < flags) and where each came from'),
  )
    .option('--loss <list>', `comma-separated losses (${LOSS_NAMES.join(', ')})`)
    .option('--max <gate>', 'gates, as batch takes them', gateParser('max'), [])
    .option('--min <gate>', 'gates, as batch takes them', gateParser('min'), [])
    .option('--json', 'print {"file", "settings", "sources"}')
    .action((o: { json?: boolean }, cmd: Command) =>
      printConfig(cmd, Boolean(o.json), (s) => process.stdout.write(s)),
    );
}

export function buildProgram(): Command {
  const program = new Command('nectar-loss')
    .description(
      "Where two images differ: NectarGAN's Sobel, Laplacian, VGG19-perceptual, L1 and L2 losses and the " +
        'standard SSIM, MS-SSIM, PSNR and LPIPS, as a value, per-pixel heatmaps and reports.',
    )
    .version(version(), '-V, --version')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .enablePositionalOptions();
  singleCommand(program);
  batchCommand(program);
  calibrateCommand(program);
  reviewCommand(program);
  mergeCommand(program);
  fidCommands(program, (code) => {
    if (code) throw new Exit(code);
  });
  reportCommand(program);
  approveCommand(program);
  serveCommand(program);
  backendsCommand(program);
  configCommand(program);
  for (const c of [program, ...program.commands]) addConfigOptions(c);
  program.hook('preAction', (_program, action) =>
    applyConfig(action, action === program ? { loss: [String(action.args[0])] } : {}),
  );
  return program;
}

/** Runs the CLI and returns its exit code; user errors become one stderr line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  installSignalHandlers();
  // A reader that stops early (`nectar-loss --help | head -1`) is not an error: stop writing, quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = buildProgram();
  let usage = '';
  program.exitOverride();
  program.configureOutput({ writeErr: (s) => (usage += s), outputError: (s) => (usage += s) });
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeErr: (s) => (usage += s), outputError: (s) => (usage += s) });
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof Exit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return EXIT.OK;
      const line = (usage || err.message)
        .split('\n')
        .map((s) => s.trim())
        .filter(Boolean)
        .join(' ');
      process.stderr.write(`nectar-loss: ${line.replace(/^error: /, '')}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof UserError) {
      process.stderr.write(`nectar-loss: ${err.cliMessage}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(
      `nectar-loss: internal error: ${err instanceof Error ? err.message : String(err)} (please report ` +
        `this)\n`,
    );
    if (process.env.NECTAR_LOSS_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return EXIT.USAGE;
  }
}
