import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { findableLibraries, isInstalled } from './libraries.js';
import { importFile } from './load.js';

/**
 * WebGPU through Dawn: the npm package `webgpu` (Dawn's Node bindings, prebuilt for Linux, macOS and
 * Windows) under @tensorflow/tfjs-backend-webgpu. Both are optional: `npm install webgpu@0.6.2
 * @tensorflow/tfjs-backend-webgpu@4.22.0`. The adapter is looked for first, in a child process, so that a
 * missing driver gives a reason (Dawn's own warnings go to that process's stderr, not the user's) and
 * `auto` never picks a software adapter.
 */
export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;
export const WEBGPU_INSTALL = 'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** SwiftShader, llvmpipe / lavapipe, or an adapter that reports itself as a fallback. */
  software: boolean;
}

/** The adapter found, or why there is none and what to install. */
export type AdapterProbe = { ok: true; adapter: AdapterInfo } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

/** What to install for an adapter, per OS. */
export function driverHint(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'Metal is built into macOS 13 or newer: update macOS';
  if (platform === 'win32') return "install or update the GPU vendor's driver (Direct3D 12)";
  return (
    "install a Vulkan driver: NVIDIA's proprietary driver, or Mesa's RADV (AMD) / ANV (Intel) " +
    '(Debian/Ubuntu: apt-get install mesa-vulkan-drivers libvulkan1)'
  );
}

/** Why WebGPU cannot run before any adapter is asked for: packages, then (Linux) the Vulkan loader. */
export function prerequisites(
  libs: () => Set<string> = findableLibraries,
  platform = process.platform,
): string | undefined {
  const missing = WEBGPU_PACKAGES.filter((p) => !isInstalled(p));
  if (missing.length) return `${missing.join(' and ')} not installed (${WEBGPU_INSTALL})`;
  if (platform === 'linux' && !libs().has('libvulkan.so.1')) {
    return (
      "no Vulkan loader (libvulkan.so.1) found: apt-get install libvulkan1, or your distribution's " +
      'Vulkan loader'
    );
  }
  return undefined;
}

/** Run in a child process: asks Dawn for an adapter and prints its info as JSON (null: none). */
const PROBE = (webgpuUrl: string) => `
const { create } = await import(${JSON.stringify(webgpuUrl)});
const a = await create([]).requestAdapter();
const i = a?.info;
process.stdout.write(JSON.stringify(a ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, fallback: Boolean(i.isFallbackAdapter ?? a.isFallbackAdapter) } : null));
process.exit(0);
`;

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

let cached: AdapterProbe | undefined;
/**
 * The probe's answer is also kept in the environment, which worker threads copy when they start: a batch
 * probes once in its main thread (engine/pool.ts) instead of once per worker (about 0.2 s each).
 */
const CACHE_ENV = 'NECTAR_LOSS_WEBGPU_PROBE';

/**
 * On a machine with no display, libwayland (loaded by the Vulkan loader) prints "XDG_RUNTIME_DIR is invalid"
 * twice. Pointing WAYLAND_DISPLAY at nothing skips that lookup. Set in the process environment, so it must
 * happen in the main thread (a worker thread's process.env is its own copy): probeAdapter runs there first.
 */
function quietWayland(): void {
  if (!process.env.XDG_RUNTIME_DIR && !process.env.WAYLAND_DISPLAY)
    process.env.WAYLAND_DISPLAY = '/nonexistent';
}

/** The adapter Dawn would give (once per process, and per batch). */
export function probeAdapter(): AdapterProbe {
  quietWayland();
  if (cached) return cached;
  // Worker threads share the process id; a child process (another environment) probes for itself.
  const inherited = JSON.parse(process.env[CACHE_ENV] ?? 'null') as {
    pid: number;
    probe: AdapterProbe;
  } | null;
  if (inherited?.pid === process.pid) return (cached = inherited.probe);
  cached = runProbe();
  process.env[CACHE_ENV] = JSON.stringify({ pid: process.pid, probe: cached });
  return cached;
}

function runProbe(): AdapterProbe {
  const why = prerequisites();
  if (why) return { ok: false, reason: why };
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', PROBE(pathToFileURL(require.resolve('webgpu')).href)],
    { encoding: 'utf8', timeout: 30_000 },
  );
  let info: (Omit<AdapterInfo, 'software'> & { fallback: boolean }) | null | undefined;
  try {
    info = JSON.parse(r.stdout) as typeof info;
  } catch {
    const line =
      (r.stderr || r.error?.message || '').split('\n').find((l) => /error/i.test(l)) ??
      'Dawn failed to start';
    return { ok: false, reason: `webgpu could not start (${line.trim()})` };
  }
  if (!info) return { ok: false, reason: `no WebGPU adapter found: ${driverHint()}` };
  const { fallback, ...rest } = info;
  const software =
    fallback || SOFTWARE.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
  return { ok: true, adapter: { ...rest, software } };
}

/**
 * Loads WebGPU if an adapter is there; undefined, or why not. `auto` (explicit false) never takes a
 * software adapter: on a machine without a GPU it would be far slower than wasm.
 */
export async function loadWebgpu(explicit: boolean): Promise<string | undefined> {
  const p = probeAdapter();
  if (!p.ok) return p.reason;
  if (p.adapter.software && !explicit) return `only a software adapter: ${describeAdapter(p.adapter)}`;
  await installWebgpu();
  return undefined;
}

/** One line for the doctor: vendor, architecture, description, and whether it is software. */
export function describeAdapter(a: AdapterInfo): string {
  return (
    `${a.description || a.device || 'adapter'} (vendor ${a.vendor || '?'}, architecture ` +
    `${a.architecture || '?'})${a.software ? ', software: used only with --backend webgpu' : ''}`
  );
}

/**
 * Makes navigator.gpu exist (Node 20 has no navigator; later versions have one without gpu) and registers
 * tfjs's webgpu backend, which reads navigator.gpu when it is imported.
 */
let dawn: Promise<void> | undefined;
export function installWebgpu(): Promise<void> {
  // Once per thread: a second Dawn instance under a live tfjs webgpu backend crashes the process.
  return (dawn ??= install());
}

async function install(): Promise<void> {
  const { create, globals } = (await importFile(require.resolve('webgpu'))) as {
    create: (o: string[]) => unknown;
    globals: object;
  };
  Object.assign(globalThis, globals);
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: create([]), configurable: true });
  else g.navigator = { gpu: create([]) };
  require('@tensorflow/tfjs-backend-webgpu');
}
