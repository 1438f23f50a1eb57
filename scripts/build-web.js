#!/usr/bin/env node
// Bundles the report page's browser code (src/web/) with esbuild into dist/src/web/: report.bundle.js (one
// IIFE, no import left) and report.min.css. src/io/report/page.ts inlines both into every report, so a report
// stays one self-contained page with no network request. Part of `npm run build`; the packed package carries
// the bundle (dist/src).
import { build } from 'esbuild';

const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' };
await build({
  ...common,
  entryPoints: ['src/web/report.ts'],
  outfile: 'dist/src/web/report.bundle.js',
  format: 'iife',
  platform: 'browser',
  // What the report's browsers run (the report test drives Chromium, Firefox and WebKit).
  target: ['chrome100', 'firefox100', 'safari15'],
});
await build({ ...common, entryPoints: ['src/web/report.css'], outfile: 'dist/src/web/report.min.css' });
