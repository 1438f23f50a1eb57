import { createRequire } from 'node:module';
import path from 'node:path';
import type { BackendName } from '../model.js';
import { cudaCaveat, isInstalled } from './libraries.js';
import { importFile } from './load.js';

export { BACKEND_NAMES, type BackendName } from '../model.js';

/**
 * The backends, as a table: each entry is its loader plus its traits, the only place that knows how a
 * backend differs. A new backend is one entry (and its loader); `auto` takes the entries in table order.
 */

/** tfjs backend names the table registers. */
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

/** How the engine treats a backend. */
export interface BackendTraits {
  /**
   * How samples become float32 x = v / max. 'js': divided in a JavaScript loop (the cpu backend divides by a
   * broadcast scalar ~20x slower); 'backend': copied natively into a Float32Array and divided on the backend.
   */
  divide: 'js' | 'backend';
  /**
   * The backend copies a new tensor's values when it is made, so one conversion buffer serves every upload.
   */
  copiesOnCreate: boolean;
  /** 3x3 convolutions of one-channel images fold columns into channels (losses/kernels.ts). */
  foldColumns: boolean;
  /** The single command runs a two-stage loss's (vgg) real and fake embeddings on two worker threads. */
  parallelEmbed: boolean;
  /** Reductions over a few channels run as slices added one by one (losses/common.ts). */
  unrollChannels: boolean;
  /**
   * Its tensors live in host memory, so the WebAssembly kernels of asm/ run on them (losses/host.ts).
   */
  hostKernels: boolean;
  /**
   * Host kernels also for l1, l2 and the shift-tolerant maps (losses/shift-host.ts): only where the kernel
   * reproduces the backend's own ops bit for bit (tfjs-wasm: a channel mean summed in float32, then divided;
   * tfjs-cpu divides first and sums in float64, so its maps would move by an ulp).
   */
  pointwiseKernels: boolean;
}

export interface BackendProbe {
  /** Package that provides it. */
  package: string;
  /** tfjs backend name it registers. */
  backend: ConcreteBackend;
  loaded: boolean;
  /** Why not loaded, or a caveat when loaded (GPU build computing on the CPU). */
  detail: string;
}

interface BackendEntry {
  name: ConcreteBackend;
  traits: BackendTraits;
  /** Loads the package(s) and registers the tfjs backend; resolves to undefined, or why it cannot.
   *  `explicit`: asked for by name (not by auto). */
  load(explicit: boolean): Promise<string | undefined>;
  /** The doctor's lines for this entry (after a load attempt). */
  describe(loadError: string | undefined): Promise<BackendProbe[]>;
  /** Work that worker threads can share, done once in the main thread before they start (no tfjs). */
  preflight?(): Promise<void>;
}

const require = createRequire(import.meta.url);
/** tfjs-core, loaded when a backend is first needed (not for --help). */
const core = async () => (await import('../tf.js')).tf;

function describeLoadError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/libtensorflow|tfjs_binding|napi|\.node\b/i.test(msg))
    return `libtensorflow missing or broken (${msg.split('\n')[0]})`;
  return msg.split('\n')[0] ?? 'failed to load';
}

/** Loads a CommonJS package; undefined or the reason it failed. */
function requireOr(pkg: string, then?: (mod: unknown) => void): string | undefined {
  try {
    const mod: unknown = require(pkg);
    then?.(mod);
    return undefined;
  } catch (err) {
    return describeLoadError(err);
  }
}

/**
 * Native libtensorflow: @tensorflow/tfjs-node-gpu if installed (the user's GPU build), else
 * @tensorflow/tfjs-node.
 */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const nativeErrors = new Map<string, string>();
let nativeLoaded: string | undefined;

async function loadNativePackage(pkg: string): Promise<string | undefined> {
  if (!isInstalled(pkg)) return 'not installed';
  try {
    // Imported by resolved path so that the same lookup (node_modules, NODE_PATH) finds and loads it.
    await importFile(require.resolve(pkg));
    // tfjs types the factory as always there; it is null when no package registered it.
    const factory = (await core()).findBackendFactory('tensorflow') as unknown;
    if (factory) return undefined;
    return 'loaded but registered no tensorflow backend (a second copy of @tensorflow/tfjs-core?)';
  } catch (err) {
    return describeLoadError(err);
  }
}

async function loadNative(): Promise<string | undefined> {
  if (nativeLoaded) return undefined;
  for (const pkg of NATIVE_PACKAGES) {
    if (!nativeErrors.has(pkg)) {
      const err = await loadNativePackage(pkg);
      if (err === undefined) {
        nativeLoaded = pkg;
        return undefined;
      }
      nativeErrors.set(pkg, err);
    }
  }
  return NATIVE_PACKAGES.map((p) => `${p}: ${nativeErrors.get(p)}`).join('; ');
}

async function describeNative(): Promise<BackendProbe[]> {
  return NATIVE_PACKAGES.map((pkg) => {
    const loaded = nativeLoaded === pkg;
    let detail = loaded
      ? 'loaded'
      : (nativeErrors.get(pkg) ??
        (nativeLoaded ? `not loaded: ${nativeLoaded} was loaded first` : 'not tried'));
    if (pkg === '@tensorflow/tfjs-node-gpu' && (loaded || nativeErrors.get(pkg) !== 'not installed'))
      detail += cudaCaveat();
    return { package: pkg, backend: 'tensorflow' as const, loaded, detail };
  });
}

const WASM = '@tensorflow/tfjs-backend-wasm';
let wasmLoad: { error?: string } | undefined;
async function loadWasm(): Promise<string | undefined> {
  // In Node the .wasm files are read from disk: point tfjs at its own dist folder (once).
  wasmLoad ??= {
    error: requireOr(WASM, (m) =>
      (m as typeof import('@tensorflow/tfjs-backend-wasm')).setWasmPaths(
        path.dirname(require.resolve(`${WASM}/dist/tfjs-backend-wasm.wasm`)) + path.sep,
      ),
    ),
  };
  return wasmLoad.error;
}

const single =
  (pkg: string, name: ConcreteBackend, extra: () => Promise<string> = async () => '') =>
  async (err: string | undefined): Promise<BackendProbe[]> => [
    { package: pkg, backend: name, loaded: !err, detail: err ?? `loaded${await extra()}` },
  ];

const BACKENDS: readonly BackendEntry[] = [
  {
    name: 'webgpu',
    // tfjs-webgpu keeps a new tensor's array until it uploads it: no shared conversion buffer. One device per
    // process: the single command's VGG stays on one thread.
    traits: {
      divide: 'backend',
      copiesOnCreate: false,
      foldColumns: false,
      parallelEmbed: false,
      unrollChannels: true,
      hostKernels: false,
      pointwiseKernels: false,
    },
    load: async (explicit) => (await import('./webgpu.js')).loadWebgpu(explicit),
    preflight: async () => void (await import('./webgpu.js')).probeAdapter(),
    describe: async (err) => {
      const w = await import('./webgpu.js');
      const p = w.probeAdapter();
      const detail = err ?? (p.ok ? `loaded: ${w.describeAdapter(p.adapter)}` : 'loaded');
      return [{ package: 'webgpu', backend: 'webgpu', loaded: !err, detail }];
    },
  },
  {
    name: 'tensorflow',
    traits: {
      divide: 'backend',
      copiesOnCreate: false,
      foldColumns: false,
      parallelEmbed: true,
      unrollChannels: false,
      hostKernels: true,
      pointwiseKernels: false,
    },
    load: loadNative,
    describe: describeNative,
  },
  {
    name: 'wasm',
    traits: {
      divide: 'backend',
      copiesOnCreate: true,
      foldColumns: true,
      parallelEmbed: true,
      unrollChannels: false,
      hostKernels: true,
      pointwiseKernels: true,
    },
    load: loadWasm,
    describe: single(
      WASM,
      'wasm',
      async () =>
        ` (${(await (await core()).env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD'}, one ` +
        `thread: tfjs-wasm threads do not run in Node)`,
    ),
  },
  {
    name: 'cpu',
    traits: {
      divide: 'js',
      copiesOnCreate: false,
      foldColumns: false,
      parallelEmbed: true,
      unrollChannels: false,
      hostKernels: true,
      pointwiseKernels: false,
    },
    load: async () => requireOr('@tensorflow/tfjs-backend-cpu'),
    describe: single('@tensorflow/tfjs-backend-cpu', 'cpu'),
  },
];

const entry = (name: string): BackendEntry | undefined => BACKENDS.find((b) => b.name === name);

/** The traits of the active tfjs backend (a backend outside the table gets the plain defaults). */
export function traitsOf(backend: string): BackendTraits {
  return (
    entry(backend)?.traits ?? {
      divide: 'backend',
      copiesOnCreate: false,
      foldColumns: false,
      parallelEmbed: false,
      unrollChannels: false,
      hostKernels: false,
      pointwiseKernels: false,
    }
  );
}

/** Loads and activates one entry; undefined, or why it cannot. */
async function activate(b: BackendEntry, explicit = false): Promise<string | undefined> {
  const err = await b.load(explicit);
  if (err !== undefined) return err;
  const tf = await core();
  try {
    if (!(await tf.setBackend(b.name))) return 'failed to initialise';
  } catch (e) {
    return describeLoadError(e);
  }
  await tf.ready();
  (await import('../losses/kernels.js')).setColumnFolding(b.name, b.traits.foldColumns);
  (await import('../losses/common.js')).setChannelUnrolling(b.name, b.traits.unrollChannels);
  const host = await import('../losses/host.js');
  host.setHostKernels(b.name, b.traits.hostKernels);
  host.setPointwiseKernels(b.name, b.traits.pointwiseKernels);
  // The cpu backend prints a "use tfjs-node" banner on first use; this tool explains backends itself.
  const active = tf.backend() as unknown as { firstUse?: boolean };
  if ('firstUse' in active) active.firstUse = false;
  return undefined;
}

/**
 * Makes `name` the active tfjs backend and returns the backend actually used. Throws when an explicitly
 * requested backend cannot load, with the reason.
 */
export async function useBackend(name: BackendName = 'auto'): Promise<ConcreteBackend> {
  const order = name === 'auto' ? BACKENDS : BACKENDS.filter((b) => b.name === name);
  let why: string | undefined;
  for (const b of order) if ((why = await activate(b, name !== 'auto')) === undefined) return b.name;
  if (name === 'auto') throw new Error('no TensorFlow.js backend could be loaded');
  throw new Error(`backend ${name} is not available: ${why}`);
}

/** Runs the preflight of every entry `name` may use (before a batch starts its workers). */
export async function preflight(name: BackendName): Promise<void> {
  for (const b of BACKENDS) if (name === 'auto' || name === b.name) await b.preflight?.();
}

/** Tries every backend, in `auto` order, and says which load and why the others do not. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const b of BACKENDS) out.push(...(await b.describe(await activate(b))));
  return out;
}
