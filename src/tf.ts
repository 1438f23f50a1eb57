import { createRequire } from 'node:module';
import type * as TF from '@tensorflow/tfjs-core';

/**
 * tfjs-core, loaded with require(): importing its 1.5 MB CommonJS bundle from ESM makes Node scan it for
 * export names first, which costs ~70 ms of every run's start-up. Same module instance either way.
 */
export const tf: typeof TF = createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof TF;
