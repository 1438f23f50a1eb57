import path from 'node:path';
import type { BackendName } from '../engine/backend.js';
import type { PairSettings } from '../engine/pair.js';
import { runPool, type JobResult } from '../engine/pool.js';
import type { WorkerJob } from '../engine/worker.js';
import { UserError } from '../errors.js';
import { pairFolders, pairNectarGAN, type Pairing } from '../io/pairs.js';
import { htmlReport, junitXml, worstFirst, type PairRecord } from '../io/report.js';
import { writeAllOrNothing } from '../io/write.js';
import { isLoss, lossRequires, LOSS_NAMES } from '../losses/registry.js';
import { formatFloat32 } from './format.js';
import { downloadProgress, type Progress } from './progress.js';

export interface BatchOptions extends PairSettings {
  out: string;
  losses: string[];
  /** loss -> threshold */
  max: Record<string, number>;
  json: boolean;
  jobs: number;
  junit?: string;
  report?: string;
  plot?: string;
  backend: BackendName;
  weights?: string;
  download: boolean;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const round = (v: number) => Number(formatFloat32(v));

/**
 * `nectar-loss batch`: pairs, runs them on worker threads, streams NDJSON, writes JUnit / HTML / plot.
 * Exit 2 if any pair could not be compared, else 1 if any is over a threshold, else 0.
 */
export async function batch(dirA: string, dirB: string | undefined, opt: BatchOptions, progress: Progress, out: (s: string) => void): Promise<number> {
  for (const l of opt.losses) if (!isLoss(l)) throw new UserError(`unknown loss '${l}' (choose from ${LOSS_NAMES.join(', ')})`);
  for (const l of Object.keys(opt.max)) if (!opt.losses.includes(l)) throw new UserError(`--max ${l}=…: ${l} is not among --loss ${opt.losses.join(',')}`);
  const pairing: Pairing = dirB === undefined ? pairNectarGAN(dirA) : pairFolders(dirA, dirB);
  for (const d of dirB === undefined ? [dirA] : [dirA, dirB]) {
    if (opt.maps && inside(opt.out, d)) throw new UserError(`--out ${opt.out} is inside the input folder ${d}: choose a folder outside it`);
  }
  const epochs = pairing.pairs.some((p) => p.epoch !== undefined);
  if (opt.plot && !epochs) throw new UserError(`--plot needs NectarGAN trainer outputs (epochE_i_B_real/fake) in ${dirA}`);
  // Located (or downloaded) once, before the workers start; the main thread loads no loss and no tfjs.
  const needsVgg = opt.losses.some((l) => lossRequires(l) === 'vgg19');
  const weights = needsVgg ? await (await import('../io/weights/vgg19.js')).locateVgg19({ file: opt.weights, download: opt.download, onProgress: downloadProgress(progress) }) : undefined;

  const started = performance.now();
  const records: PairRecord[] = [];
  const emit = (r: PairRecord) => {
    records.push(r);
    if (opt.json) out(JSON.stringify(r) + '\n');
  };
  for (const u of pairing.unpaired) emit({ name: u.name, ...(u.real ? { real: u.real } : {}), ...(u.fake ? { fake: u.fake } : {}), losses: {}, files: {}, status: 'error', error: u.error });
  const jobs: WorkerJob[] = pairing.pairs.map((pair, id) => {
    const dir = path.posix.dirname(pair.name);
    return { id, pair, outDir: path.join(opt.out, dir === '.' ? '' : dir), stem: path.posix.basename(pair.name, path.posix.extname(pair.name)) };
  });
  const total = jobs.length;
  let done = 0;
  const onResult = (r: JobResult) => {
    done++;
    const elapsed = (performance.now() - started) / 1000;
    progress.step(`${done}/${total} pairs, ETA ${Math.round((elapsed / done) * (total - done))}s`);
    const { pair } = r.job;
    if (r.error !== undefined || !r.outcome) {
      emit({ name: pair.name, real: pair.real, fake: pair.fake, losses: {}, files: {}, status: 'error', error: r.error ?? 'failed', ms: r.ms });
      return;
    }
    const losses = Object.fromEntries(Object.entries(r.outcome.losses).map(([k, v]) => [k, round(v)]));
    const over = Object.entries(opt.max).filter(([l, t]) => r.outcome!.losses[l]! > t).map(([l, t]) => `${l} ${losses[l]} > ${t}`);
    emit({ name: pair.name, real: pair.real, fake: pair.fake, losses, files: r.outcome.files, status: over.length ? 'over' : 'ok', ...(over.length ? { over } : {}), ms: Math.round(r.ms) });
  };
  progress.step(`0/${total} pairs`);
  const backend = total ? await runPool(jobs, opt.jobs, { backend: opt.backend, settings: opt, losses: opt.losses, weights }, onResult) : 'none';
  progress.stop();

  records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const count = (s: PairRecord['status']) => records.filter((r) => r.status === s).length;
  const counts = { pairs: records.length, ok: count('ok'), over: count('over'), error: count('error') };
  const code = counts.error ? 2 : counts.over ? 1 : 0;
  const seconds = (performance.now() - started) / 1000;
  const worst = Object.fromEntries(opt.losses.map((l) => [l, records.filter((r) => r.losses[l] !== undefined).sort((a, b) => b.losses[l]! - a.losses[l]! || (a.name < b.name ? -1 : 1)).slice(0, 5).map((r) => ({ name: r.name, value: r.losses[l] }))]));
  const line = `${counts.pairs} pairs: ${counts.ok} ok, ${counts.over} over a threshold, ${counts.error} errors (${opt.losses.join(', ')}; ${backend}; ${seconds.toFixed(1)} s)`;

  if (opt.junit) writeAllOrNothing(path.dirname(opt.junit), [{ name: path.basename(opt.junit), bytes: Buffer.from(junitXml(records, opt.losses, seconds)) }], `--junit ${opt.junit}`);
  if (opt.report) writeAllOrNothing(path.dirname(opt.report), [{ name: path.basename(opt.report), bytes: Buffer.from(htmlReport(records, opt.losses, opt.report, { title: `nectar-loss: ${dirB === undefined ? dirA : `${dirA} vs ${dirB}`}`, line })) }], `--report ${opt.report}`);
  if (opt.plot) {
    const byEpoch = new Map(pairing.pairs.map((p) => [p.name, p.epoch]));
    const series = opt.losses.map((l) => {
      const acc = new Map<number, number[]>();
      for (const r of records) {
        const e = byEpoch.get(r.name);
        if (e !== undefined && r.losses[l] !== undefined) acc.set(e, [...(acc.get(e) ?? []), r.losses[l]!]);
      }
      return { name: l, points: [...acc].map(([x, v]) => ({ x, y: v.reduce((a, b) => a + b, 0) / v.length })) };
    });
    const { lineChart } = await import('../io/plot.js');
    const png = await lineChart(series, `Mean loss per epoch: ${dirA}`, 'epoch', `mean loss (${opt.range})`);
    writeAllOrNothing(path.dirname(opt.plot), [{ name: path.basename(opt.plot), bytes: png }], `--plot ${opt.plot}`);
  }

  if (opt.json) {
    out(JSON.stringify({ summary: true, ...counts, losses: opt.losses, range: opt.range, backend, seconds: Number(seconds.toFixed(3)), worst, exit: code }) + '\n');
  } else {
    const w = Math.max(4, ...records.map((r) => r.name.length));
    out(`${'pair'.padEnd(w)}  ${opt.losses.map((l) => l.padStart(12)).join('  ')}  status\n`);
    for (const r of worstFirst(records, opt.losses)) {
      out(`${r.name.padEnd(w)}  ${opt.losses.map((l) => (r.losses[l] === undefined ? '–' : String(r.losses[l])).padStart(12)).join('  ')}  ${r.status}${r.error ? `: ${r.error}` : r.over ? `: ${r.over.join('; ')}` : ''}\n`);
    }
    out(`${line}\n`);
  }
  return code;
}
