import path from 'node:path';
import { useBackend, type BackendName } from '../engine/backend.js';
import { LossResources, runPair, type PairInput, type PairSettings } from '../engine/pair.js';
import { UserError } from '../errors.js';
import type { FileKind } from '../io/outputs.js';
import type { Range } from '../losses/range.js';
import type { LossDefinition } from '../losses/types.js';
import { formatFloat32 } from './format.js';
import { downloadProgress, type Progress } from './progress.js';
import { readInput } from '../io/input.js';

export interface CompareOptions extends PairSettings {
  out: string;
  json: boolean;
  max?: number;
  backend: BackendName;
  /** vgg: --weights FILE, and whether a missing file may be downloaded. */
  weights?: string;
  download: boolean;
}

/** What one comparison prints with --json (fields fixed by issue 2; scripts read them). */
export interface CompareReport {
  loss: string;
  mean: number;
  width: number;
  height: number;
  range: Range;
  backend: string;
  files: Partial<Record<FileKind, string>>;
  real: string;
  fake: string;
  max?: number;
  over?: boolean;
}

function stemOf(arg: string): string {
  return arg === '-' ? 'stdin' : path.basename(arg, path.extname(arg)) || 'image';
}

/** The single-pair command: read, decode, compute, write, and what to print. */
export async function compare(loss: LossDefinition, realArg: string, fakeArg: string, opt: CompareOptions, progress: Progress): Promise<{ report: CompareReport; stdout: string; code: number }> {
  if (realArg === '-' && fakeArg === '-') throw new UserError('only one of real and fake can be read from stdin (-)');
  progress.step('reading images');
  const [realBuf, fakeBuf] = await Promise.all([readInput(realArg, 'real'), readInput(fakeArg, 'fake')]);
  const input = (role: string, arg: string, bytes: Buffer | string): PairInput => ({ bytes, label: arg === '-' ? `${role} (stdin)` : `${role} ${arg}`, name: arg === '-' ? 'stdin' : arg });
  // The backend loads while the weights are located and the images decode on sharp's threads.
  const backendP = useBackend(opt.backend).catch((err: Error) => new UserError(err.message));
  const weights = loss.requires === 'vgg19' ? await (await import('../io/weights/vgg19.js')).locateVgg19({ file: opt.weights, download: opt.download, onProgress: downloadProgress(progress) }) : undefined;
  const backend = await backendP;
  if (backend instanceof UserError) throw backend;
  progress.step(`computing ${loss.name} on ${backend}`);
  const resources = new LossResources(weights, backend as BackendName);
  let res;
  try {
    res = await runPair(input('real', realArg, realBuf), input('fake', fakeArg, fakeBuf), [loss.name], opt, resources, opt.out, stemOf(fakeArg));
  } finally {
    resources.dispose();
  }
  const value = res.losses[loss.name]!;
  const over = opt.max !== undefined ? value > opt.max : undefined;
  const report: CompareReport = {
    loss: loss.name,
    mean: Number(formatFloat32(value)),
    width: res.width,
    height: res.height,
    range: opt.range,
    backend,
    files: res.files[loss.name] ?? {},
    real: realArg,
    fake: fakeArg,
    ...(opt.max !== undefined ? { max: opt.max, over } : {}),
  };
  const stdout = opt.json ? JSON.stringify(report) + '\n' : formatFloat32(value) + '\n';
  return { report, stdout, code: over ? 1 : 0 };
}
