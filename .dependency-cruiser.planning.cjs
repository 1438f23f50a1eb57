/**
 * The batch planning path loads no TensorFlow.js (npm run lint runs `depcruise src --config` this file):
 * the same options as .dependency-cruiser.cjs, with dynamic imports left out, since the heavy modules are
 * loaded lazily (import()) once images are to be read, and only the static graph is loaded at planning.
 */
const base = require('./.dependency-cruiser.cjs');

module.exports = {
  forbidden: [
    {
      name: 'batch-planning-loads-no-tfjs',
      severity: 'error',
      comment:
        'batch plans (pairs folders, locates weights) before any image is read: the modules it loads ' +
        'statically must not reach TensorFlow.js, sharp or opentype.js (they load lazily, in workers).',
      from: { path: '^src/cli/(main|batch|options|gates|records|format|merge)\\.ts$' },
      to: {
        // tf.ts and io/sharp.ts load their package with createRequire, which the cruiser cannot follow.
        path: ['^node_modules/(@tensorflow|sharp|opentype\\.js)/', '^src/(tf|io/sharp)\\.ts$'],
        reachable: true,
      },
    },
  ],
  // Only what survives compilation is loaded: type-only imports are left out too.
  options: { ...base.options, tsPreCompilationDeps: false, exclude: { dynamic: true } },
};
