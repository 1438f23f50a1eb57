import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Whether a package resolves from here (node_modules, NODE_PATH), without loading it. */
export function isInstalled(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Native libraries the GPU backends need, and whether the dynamic linker finds them. */

/** tfjs-node-gpu 4.x links against CUDA 11 and cuDNN 8; without them TensorFlow silently runs on the CPU. */
const CUDA_LIBS = ['libcudart.so.11.0', 'libcudnn.so.8'];

/** Shared libraries the dynamic linker can find: `ldconfig -p` plus LD_LIBRARY_PATH. */
export function findableLibraries(): Set<string> {
  const found = new Set<string>();
  try {
    for (const line of execFileSync('ldconfig', ['-p'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n')) {
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

/**
 * The doctor's caveat for tfjs-node-gpu: '' when CUDA 11, cuDNN 8 and a GPU are there, else why it runs on
 * the CPU.
 */
export function cudaCaveat(): string {
  const libs = findableLibraries();
  const missing = CUDA_LIBS.filter((l) => !libs.has(l));
  if (missing.length) return `; ${missing.join(' and ')} not found: TensorFlow silently computes on the CPU`;
  if (!hasNvidiaGpu()) return '; no NVIDIA GPU found: TensorFlow computes on the CPU';
  return '';
}
