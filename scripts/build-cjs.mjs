// The CommonJS build (`require('nectar-loss')`, `require('nectar-loss/jest')`, …), run by `npm run build`
// after tsc. Every module of src/ (but the CLI and the worker threads' entry files) is compiled one to one
// by esbuild into dist/cjs/, a `"type": "commonjs"` folder, so the relative layout and `./x.js` specifiers
// stay as they are and each module exists once (one engine, one kernel cache). Three things differ from a
// plain transform, each for Jest, whose CommonJS runtime has no `import()` and no require() of ESM:
// - `import()` becomes require() (esbuild's `dynamic-import: false`);
// - the ESM-only d3 packages are bundled into the modules that use them (everything else stays external);
// - `import.meta.url` is the URL of the ESM twin in dist/src/: files found beside the code (package.json,
//   dist/asm, weights) resolve as from the ESM build, and worker threads start the ESM workers.
// tsc's declarations are copied beside the modules: a .d.ts under a CommonJS scope types require().
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist/cjs');
const esmOut = path.join(root, 'dist/src');
/** ESM-only dependencies, bundled (with their own d3 dependencies). */
const INLINE = /^(d3-[a-z-]+|internmap)(\/|$)/;

/** Files under `dir`, relative to it. */
function files(dir, rel = '') {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(dir, path.join(rel, e.name)) : [path.join(rel, e.name)],
  );
}

/** Not built: the CLI (bin/ runs the ESM build) and the workers' entry files (top-level await). */
const skipped = (rel) => rel.startsWith(`cli${path.sep}`) || /(^|[\\/-])worker\.ts$/.test(rel);

/** Relative imports and every package but INLINE stay imports (require calls) of their own module. */
const external = {
  name: 'external',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (a) => {
      if (a.kind === 'entry-point') return undefined;
      if (a.path.startsWith('.') && a.importer.startsWith(src)) return { path: a.path, external: true };
      if (INLINE.test(a.path)) return undefined;
      return a.path.startsWith('.') ? undefined : { path: a.path, external: true };
    });
  },
};

/** src/engine/load.ts, which import()s a resolved path: require() it instead. */
const load = {
  name: 'load',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]engine[\\/]load\.ts$/ }, () => ({
      contents: 'export async function importFile(file) { return require(file); }',
      loader: 'js',
    }));
  },
};

rmSync(out, { recursive: true, force: true });
const sources = files(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !skipped(f));
await build({
  entryPoints: sources.map((s) => path.join(src, s)),
  outdir: out,
  outbase: src,
  bundle: true,
  plugins: [external, load],
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  supported: { 'dynamic-import': false },
  logLevel: 'warning',
  define: { 'import.meta.url': '__importMetaUrl' },
  // The last `/cjs/` of this file's path is dist/cjs: the ESM twin is the same path under dist/src.
  banner: {
    js:
      '"use strict"; var __importMetaUrl = require("node:url").pathToFileURL(' +
      '__filename.replace(/([\\\\/])cjs([\\\\/])(?!.*[\\\\/]cjs[\\\\/])/, "$1src$2")).href;',
  },
});
writeFileSync(path.join(out, 'package.json'), '{ "type": "commonjs" }\n');
for (const rel of files(esmOut).filter(
  (f) => f.endsWith('.d.ts') && !skipped(f.replace(/\.d\.ts$/, '.ts')),
)) {
  mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
  copyFileSync(path.join(esmOut, rel), path.join(out, rel));
}
