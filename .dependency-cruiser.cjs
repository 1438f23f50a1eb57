/**
 * The architecture rules (npm run lint runs `depcruise src`): data flows one way,
 *   cli, runners  ->  engine  ->  io  ->  losses  ->  leaf modules (model.ts, errors.ts, tf.ts, config.ts),
 * with index.ts (the library API) on top. No import runs upward, not even a type; no circles; and the
 * batch planning path (cli/batch.ts before it starts the workers) loads no TensorFlow.js, sharp or
 * opentype.js statically, so that planning, --help and errors stay fast (that last rule is in
 * .dependency-cruiser.planning.cjs: it needs dynamic imports left out of the graph, the rules here need them in).
 */
const LEAF = '^src/(model|errors|tf|config)\\.ts$';
/** Each layer with the layers above it: an import from a layer into one of these is upward. */
const LAYERS = [
  { name: 'engine', above: ['cli', 'runners'] },
  { name: 'io', above: ['cli', 'runners', 'engine'] },
  { name: 'losses', above: ['cli', 'runners', 'engine', 'io'] },
];
const folder = (names) => `^src/(${names.join('|')})/`;

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A circle makes the layers meaningless and load order fragile.',
      from: {},
      to: { circular: true },
    },
    ...LAYERS.map(({ name, above }) => ({
      name: `no-upward-from-${name}`,
      severity: 'error',
      comment: `src/${name}/ may import only layers below it and the leaf modules.`,
      from: { path: `^src/${name}/` },
      to: { path: [folder(above), '^src/index\\.ts$'] },
    })),
    {
      name: 'no-cli-from-runners',
      severity: 'error',
      comment: 'cli/ and runners/ are siblings on top of the engine: neither imports the other.',
      from: { path: '^src/runners/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'leaf-imports-nothing-in-src',
      severity: 'error',
      comment: 'model.ts, errors.ts, tf.ts and config.ts are the bottom: they import no project module.',
      from: { path: LEAF },
      to: { path: '^src/', pathNot: LEAF },
    },
    {
      name: 'web-is-browser-code',
      severity: 'error',
      comment:
        "src/web/ is the report page's script (bundled for the browser): it imports only itself and the " +
        "model's types, and no Node module of src/ imports it (io/report/page.ts reads its bundle).",
      from: { path: '^src/web/' },
      to: { path: '^src/', pathNot: ['^src/web/', '^src/model\\.ts$'] },
    },
    {
      name: 'nothing-imports-web',
      severity: 'error',
      comment: 'The browser code reaches the page as a bundle, never as an import.',
      from: { path: '^src/', pathNot: '^src/web/' },
      to: { path: '^src/web/' },
    },
    {
      name: 'leaf-is-not-a-layer',
      severity: 'error',
      comment: 'Only index.ts (the library API) may import from anywhere; nothing imports index.ts.',
      from: { path: '^src/' },
      to: { path: '^src/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
