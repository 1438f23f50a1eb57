import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Backend choice. `tensorflow` is the native libtensorflow binding: @tensorflow/tfjs-node-gpu if installed
 * (the user's chosen GPU build), else @tensorflow/tfjs-node. Neither is a dependency: their install scripts
 * download libtensorflow, so they are optional peers that are loaded when present. `auto` takes the first of
 * tensorflow, wasm, cpu that loads.
 */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendProbe {
  /** Package that provides it. */
  package: string;
  /** tfjs backend name it registers. */
  backend: 'tensorflow' | 'wasm' | 'cpu';
  loaded: boolean;
  /** Why not loaded, or a caveat when loaded (GPU build computing on the CPU). */
  detail: string;
}

const require = createRequire(import.meta.url);
/** tfjs-core, loaded when a backend is first needed (not for --help). */
const core = async () => (await import('../tf.js')).tf;
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
/** tfjs-node-gpu 4.x links against CUDA 11 and cuDNN 8; without them TensorFlow silently runs on the CPU. */
const CUDA_LIBS = ['libcudart.so.11.0', 'libcudnn.so.8'];

const loadErrors = new Map<string, string>();
let nativeLoaded: string | undefined;
let wasmReady: Promise<boolean> | undefined;

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function describeLoadError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/libtensorflow|tfjs_binding|napi|\.node\b/i.test(msg)) return `libtensorflow missing or broken (${msg.split('\n')[0]})`;
  return msg.split('\n')[0] ?? 'failed to load';
}

async function loadNative(): Promise<string | undefined> {
  if (nativeLoaded) return nativeLoaded;
  for (const pkg of NATIVE_PACKAGES) {
    if (loadErrors.has(pkg)) continue;
    if (!isInstalled(pkg)) {
      loadErrors.set(pkg, 'not installed');
      continue;
    }
    try {
      // Imported by resolved path so that the same lookup (node_modules, NODE_PATH) finds and loads it.
      await import(pathToFileURL(require.resolve(pkg)).href);
      if ((await core()).findBackendFactory('tensorflow')) {
        nativeLoaded = pkg;
        return pkg;
      }
      loadErrors.set(pkg, 'loaded but registered no tensorflow backend (a second copy of @tensorflow/tfjs-core?)');
    } catch (err) {
      loadErrors.set(pkg, describeLoadError(err));
    }
  }
  return undefined;
}

async function loadWasm(): Promise<boolean> {
  wasmReady ??= (async () => {
    try {
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm files are read from disk: point tfjs at its own dist folder.
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(dir + path.sep);
      return true;
    } catch (err) {
      loadErrors.set('@tensorflow/tfjs-backend-wasm', describeLoadError(err));
      return false;
    }
  })();
  return wasmReady;
}

async function loadCpu(): Promise<boolean> {
  try {
    require('@tensorflow/tfjs-backend-cpu');
    return true;
  } catch (err) {
    loadErrors.set('@tensorflow/tfjs-backend-cpu', describeLoadError(err));
    return false;
  }
}

async function trySet(name: 'tensorflow' | 'wasm' | 'cpu'): Promise<boolean> {
  const ok = name === 'tensorflow' ? (await loadNative()) !== undefined : name === 'wasm' ? await loadWasm() : await loadCpu();
  if (!ok) return false;
  const tf = await core();
  try {
    if (!(await tf.setBackend(name))) return false;
  } catch {
    return false;
  }
  await tf.ready();
  // The cpu backend prints a "use tfjs-node" banner on first use; this tool explains backends itself.
  const b = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in b) b.firstUse = false;
  return true;
}

/**
 * Makes `name` the active tfjs backend and returns the backend actually used. Throws when an explicitly
 * requested backend cannot load, with the reason.
 */
export async function useBackend(name: BackendName = 'auto'): Promise<string> {
  const order: ('tensorflow' | 'wasm' | 'cpu')[] = name === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [name];
  for (const b of order) if (await trySet(b)) return b;
  if (name === 'auto') throw new Error('no TensorFlow.js backend could be loaded');
  throw new Error(`backend ${name} is not available: ${reasonFor(name)}`);
}

function reasonFor(name: 'tensorflow' | 'wasm' | 'cpu'): string {
  if (name === 'tensorflow') return NATIVE_PACKAGES.map((p) => `${p}: ${loadErrors.get(p) ?? 'not tried'}`).join('; ');
  const pkg = `@tensorflow/tfjs-backend-${name}`;
  return loadErrors.get(pkg) ?? 'failed to initialise';
}

/** Shared libraries the dynamic linker can find: `ldconfig -p` plus LD_LIBRARY_PATH. */
function findableLibraries(): Set<string> {
  const found = new Set<string>();
  try {
    for (const line of execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')) {
      const m = /^\s*(\S+)\s/.exec(line);
      if (m?.[1]) found.add(m[1]);
    }
  } catch {
    /* no ldconfig (not Linux): only LD_LIBRARY_PATH is searched */
  }
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) {
    try {
      for (const f of readdirSync(dir)) found.add(f);
    } catch {
      /* unreadable entry in LD_LIBRARY_PATH */
    }
  }
  return found;
}

function hasNvidiaGpu(): boolean {
  try {
    return existsSync('/dev/nvidia0') || readdirSync('/proc/driver/nvidia/gpus').length > 0;
  } catch {
    return false;
  }
}

/** Tries every backend, in `auto` order, and says which load and why the others do not. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  await loadNative();
  for (const pkg of NATIVE_PACKAGES) {
    const loaded = nativeLoaded === pkg;
    let detail = loaded ? 'loaded' : (loadErrors.get(pkg) ?? (nativeLoaded ? `not loaded: ${nativeLoaded} was loaded first` : 'not tried'));
    if (pkg === '@tensorflow/tfjs-node-gpu' && (loaded || loadErrors.get(pkg) !== 'not installed')) {
      const libs = findableLibraries();
      const missing = CUDA_LIBS.filter((l) => !libs.has(l));
      if (missing.length) detail += `; ${missing.join(' and ')} not found: TensorFlow silently computes on the CPU`;
      else if (!hasNvidiaGpu()) detail += '; no NVIDIA GPU found: TensorFlow computes on the CPU';
    }
    out.push({ package: pkg, backend: 'tensorflow', loaded, detail });
  }
  const wasm = await trySet('wasm');
  const simd = wasm && (await (await core()).env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  out.push({ package: '@tensorflow/tfjs-backend-wasm', backend: 'wasm', loaded: wasm, detail: wasm ? `loaded (${simd ? 'SIMD' : 'no SIMD'}, one thread: tfjs-wasm threads do not run in Node)` : reasonFor('wasm') });
  const cpu = await trySet('cpu');
  out.push({ package: '@tensorflow/tfjs-backend-cpu', backend: 'cpu', loaded: cpu, detail: cpu ? 'loaded' : reasonFor('cpu') });
  return out;
}
