import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers.js';

/**
 * WebGPU on SwiftShader, the software Vulkan driver in Debian's chromium-common: why the webgpu tests must
 * skip here (the optional packages or the driver missing), or undefined when they can run, in which case
 * VK_ICD_FILENAMES is set for the Vulkan loader (read when Dawn starts, here and in the adapter probe).
 */
export const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** The optional webgpu packages are in node_modules. */
export const WEBGPU_INSTALLED = ['webgpu', '@tensorflow/tfjs-backend-webgpu'].every((p) =>
  existsSync(path.join(ROOT, 'node_modules', p, 'package.json')),
);
export const WEBGPU_SKIP = !WEBGPU_INSTALLED
  ? 'webgpu packages not installed (npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0)'
  : !existsSync(SWIFTSHADER)
    ? `no SwiftShader (${SWIFTSHADER}; apt-get install chromium-common libvulkan1)`
    : undefined;
if (!WEBGPU_SKIP) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
