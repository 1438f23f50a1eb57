import path from 'node:path';
import { computePair } from '../engine/compute.js';
import { useBackend, type BackendName } from '../engine/backend.js';
import { UserError } from '../errors.js';
import { decodeImage, type DecodedImage } from '../io/decode.js';
import { renderFiles, type FileKind } from '../io/outputs.js';
import { writeAllOrNothing } from '../io/write.js';
import { loadVgg19, locateVgg19 } from '../io/weights/vgg19.js';
import { vgg19Weights } from '../losses/vgg.js';
import type { Range } from '../losses/range.js';
import type { LossContext, LossDefinition } from '../losses/types.js';
import { formatFloat32 } from './format.js';
import type { Progress } from './progress.js';
import { readInput } from './stdin.js';

export interface CompareOptions {
  out: string;
  maps: boolean;
  raw: boolean;
  json: boolean;
  max?: number;
  range: Range;
  backend: BackendName;
  scale: number | 'max';
  colormap: string;
  resize: boolean;
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

/** Decode, check sizes, compute, render, write: the single-pair command. Returns the report and exit code. */
export async function compare(loss: LossDefinition, realArg: string, fakeArg: string, opt: CompareOptions, progress: Progress): Promise<{ report: CompareReport; stdout: string; code: number }> {
  if (realArg === '-' && fakeArg === '-') throw new UserError('only one of real and fake can be read from stdin (-)');
  progress.step('reading images');
  const [realBuf, fakeBuf] = await Promise.all([readInput(realArg, 'real'), readInput(fakeArg, 'fake')]);
  const label = (role: string, arg: string) => (arg === '-' ? `${role} (stdin)` : `${role} ${arg}`);
  // The backend loads while sharp decodes on its own threads.
  const backendP = useBackend(opt.backend).catch((err: Error) => new UserError(err.message));
  const real = await decodeImage(realBuf, { label: label('real', realArg) });
  let fake: DecodedImage = await decodeImage(fakeBuf, { label: label('fake', fakeArg) });
  if (fake.width !== real.width || fake.height !== real.height) {
    if (!opt.resize) {
      throw new UserError(`size mismatch: real ${realArg === '-' ? 'stdin' : realArg} is ${real.width}x${real.height}, fake ${fakeArg === '-' ? 'stdin' : fakeArg} is ${fake.width}x${fake.height} (--resize resizes fake to real's size)`);
    }
    fake = await decodeImage(fakeBuf, { label: label('fake', fakeArg), resizeTo: { width: real.width, height: real.height } });
  }
  const convs = loss.requires === 'vgg19' ? await loadVgg19(await locateVgg19({ file: opt.weights, download: opt.download, onProgress: (f, b) => progress.step(`downloading VGG19 weights: ${Number.isFinite(f) ? `${(100 * f).toFixed(0)}%` : `${(b / 2 ** 20).toFixed(0)} MB`}`) })) : undefined;
  const backend = await backendP;
  if (backend instanceof UserError) throw backend;
  progress.step(`computing ${loss.name} on ${backend}`);
  const ctx: LossContext = {};
  if (convs) ctx.vgg19 = vgg19Weights(convs);
  let res;
  try {
    res = computePair(loss, real, fake, opt.range, ctx);
  } finally {
    ctx.vgg19?.dispose();
  }
  const files: Partial<Record<FileKind, string>> = {};
  if (opt.maps) {
    progress.step('writing maps');
    const rendered = await renderFiles(loss, res, real, fake, stemOf(fakeArg), { scale: opt.scale, colormap: opt.colormap, raw: opt.raw });
    const paths = writeAllOrNothing(opt.out, rendered);
    rendered.forEach((f, i) => (files[f.kind] = paths[i]));
  }
  const mean = Number(formatFloat32(res.mean));
  const over = opt.max !== undefined ? res.mean > opt.max : undefined;
  const report: CompareReport = {
    loss: loss.name,
    mean,
    width: real.width,
    height: real.height,
    range: opt.range,
    backend,
    files,
    real: realArg,
    fake: fakeArg,
    ...(opt.max !== undefined ? { max: opt.max, over } : {}),
  };
  const stdout = opt.json ? JSON.stringify(report) + '\n' : formatFloat32(res.mean) + '\n';
  return { report, stdout, code: over ? 1 : 0 };
}
