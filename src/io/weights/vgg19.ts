import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { said, UserError, type Phrase } from '../../errors.js';
import { VGG19_ALL_CONV_INDICES, VGG19_CONVS, type TorchConv } from '../../losses/vgg-layout.js';
import { tempPath, trackTemp } from '../temp.js';
import { makeDirs } from '../write.js';
import { featureKeys, openCheckpoint } from './checkpoint.js';
import { ENV_NO_DOWNLOAD, VGG19_HUB, type HubWeights } from './env.js';

export interface WeightsOptions {
  /** --weights FILE */
  file?: string;
  /** false: never download (--no-download or NECTAR_LOSS_NO_DOWNLOAD). */
  download?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Download progress, fraction 0..1 (or NaN when the size is unknown) and bytes. */
  onProgress?: (fraction: number, bytes: number) => void;
}

/**
 * torch.hub.get_dir(): $TORCH_HOME, else $XDG_CACHE_HOME/torch, else ~/.cache/torch; then /hub/checkpoints.
 */
export function torchCheckpointDir(env: NodeJS.ProcessEnv = process.env): string {
  const torchHome =
    env.TORCH_HOME || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'torch');
  return path.join(torchHome, 'hub', 'checkpoints');
}

/**
 * torch.hub's rule: the cached file is the URL's base name, and `-<hex>.` in that name is a SHA-256 prefix.
 */
export function cacheTarget(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): { file: string; hashPrefix?: string } {
  const name = path.basename(new URL(url).pathname);
  return { file: path.join(torchCheckpointDir(env), name), hashPrefix: /-([a-f0-9]+)\./.exec(name)?.[1] };
}

/**
 * Where the weights are: --weights, then $NECTAR_LOSS_VGG19_WEIGHTS, then torch.hub's cache (downloading into
 * it).
 */
export async function locateVgg19(opt: WeightsOptions = {}): Promise<string> {
  return locateHub(VGG19_HUB, opt);
}

/**
 * Where a torchvision weights file is: the flag's file, then its environment variable, then torch.hub's cache
 * (downloading it there, with its SHA-256 prefix checked, unless downloading is off).
 */
export async function locateHub(hub: HubWeights, opt: WeightsOptions = {}): Promise<string> {
  const env = opt.env ?? process.env;
  const given = opt.file ?? env[hub.envWeights];
  if (given) {
    if (!existsSync(given)) {
      throw new UserError(
        `${hub.label} weights ${given}: no such file${opt.file ? '' : ` (from $${hub.envWeights})`}`,
        'ENOENT',
      );
    }
    return given;
  }
  const url = env[hub.envUrl] || hub.url;
  const { file, hashPrefix } = cacheTarget(url, env);
  if (existsSync(file)) return file;
  const where = said`download ${url} and put it at ${file}, or pass ${hub.option}`;
  if (opt.download === false || env[ENV_NO_DOWNLOAD]) {
    throw new UserError(
      said`${hub.label} weights not found at ${file} and downloading is off: ${where}`,
      'NO_WEIGHTS',
    );
  }
  await download(url, file, hashPrefix, where, opt.onProgress, hub.label);
  return file;
}

/** The cause a failed fetch gives (undici puts the network error there), else its own message. */
const causeOf = (err: unknown) => (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;

/** Weights that could not be found or fetched. */
const noWeights = (p: Phrase) => new UserError(p, 'NO_WEIGHTS');
/** A weights file that is not VGG19's. */
const badWeights = (message: string) => new UserError(message, 'BAD_WEIGHTS');

/** GET `url`, or a UserError saying why not. */
async function fetchOk(url: string, label: string, where: Phrase): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw noWeights(said`cannot download ${label} weights from ${url} (${causeOf(err)}): ${where}`);
  }
  if (!res.ok || !res.body) {
    throw noWeights(said`cannot download ${label} weights: ${url} answered ${res.status}: ${where}`);
  }
  return res;
}

/** Streams a response's body into `file`, hashing it and reporting progress; its SHA-256 and byte counts. */
async function streamTo(
  res: Response,
  file: string,
  url: string,
  where: Phrase,
  onProgress?: (f: number, b: number) => void,
): Promise<{ hash: Hash; bytes: number; total: number }> {
  const total = Number(res.headers.get('content-length') ?? NaN);
  const hash = createHash('sha256');
  let bytes = 0;
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
    onProgress?.(total > 0 ? bytes / total : NaN, bytes);
  });
  try {
    await pipeline(body, createWriteStream(file));
  } catch (err) {
    throw noWeights(said`download of ${url} broke off after ${bytes} bytes (${causeOf(err)}): ${where}`);
  }
  return { hash, bytes, total };
}

/**
 * Streams `url` to a temporary file beside `dest`, hashing as it goes; renames it into place only when the
 * SHA-256 starts with `hashPrefix`. Any failure removes the temporary file; on SIGINT/SIGTERM meanwhile the
 * CLI's handler does (it is tracked in temp.ts).
 */
export async function download(
  url: string,
  dest: string,
  hashPrefix: string | undefined,
  where: Phrase,
  onProgress?: (f: number, b: number) => void,
  label = 'VGG19',
): Promise<void> {
  try {
    makeDirs(path.dirname(dest));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw noWeights(said`cannot create ${path.dirname(dest)} for the ${label} weights (${code}): ${where}`);
  }
  const tmp = tempPath(path.dirname(dest), path.basename(dest));
  const untrack = trackTemp(tmp);
  try {
    const res = await fetchOk(url, label, where);
    const { hash, bytes, total } = await streamTo(res, tmp, url, where, onProgress);
    if (Number.isFinite(total) && bytes !== total) {
      throw noWeights(said`download of ${url} ended after ${bytes} of ${total} bytes: ${where}`);
    }
    const digest = hash.digest('hex');
    if (hashPrefix && !digest.startsWith(hashPrefix)) {
      throw new UserError(
        `downloaded ${url} has SHA-256 ${digest.slice(0, 16)}…, expected it to start with ${hashPrefix}: ` +
          `nothing was kept`,
        'NO_WEIGHTS',
      );
    }
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
    untrack();
  }
}

/**
 * Reads the seven convs the loss needs from a VGG19 weights file, after checking from the file's index alone
 * that it is VGG19: every needed weight and bias present with its shape, and no conv where VGG19 has none
 * (which is how VGG11/13/16 and the batch-norm variants differ).
 */
export async function loadVgg19(file: string): Promise<TorchConv[]> {
  const label = `VGG19 weights ${file}`;
  const ck = await openCheckpoint(file, label);
  try {
    const keys = featureKeys(ck.tensors.keys());
    const stray = [...keys.keys()].filter((i) => !VGG19_ALL_CONV_INDICES.includes(i)).sort((a, b) => a - b);
    if (stray.length) {
      throw badWeights(
        `${label}: not VGG19: it has a layer at features.${stray[0]}, where VGG19 has none (VGG16 or ` +
          `another variant?)`,
      );
    }
    const deep = keys.get(16);
    if (deep?.weight && ck.tensors.get(deep.weight)!.shape.join() !== '256,256,3,3') {
      throw badWeights(`${label}: not VGG19: features.16 is not VGG19's conv3_4`);
    }
    return VGG19_CONVS.map(({ index, cin, cout }) => {
      const k = keys.get(index);
      if (!k?.weight || !k.bias) {
        throw badWeights(
          `${label}: not VGG19 weights: features.${index}.${k?.weight ? 'bias' : 'weight'} missing`,
        );
      }
      const ws = ck.tensors.get(k.weight)!.shape,
        bs = ck.tensors.get(k.bias)!.shape;
      if (ws.join() !== [cout, cin, 3, 3].join() || bs.join() !== String(cout)) {
        throw badWeights(
          `${label}: not VGG19: features.${index} has weight [${ws.join(', ')}] and bias ` +
            `[${bs.join(', ')}], expected [${cout}, ${cin}, 3, 3] and [${cout}]`,
        );
      }
      return { index, weight: ck.read(k.weight), bias: ck.read(k.bias) };
    });
  } finally {
    ck.close();
  }
}
