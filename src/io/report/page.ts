import { readFileSync } from 'node:fs';

/**
 * The report page's own script and style, inlined in the HTML: no network request, no framework. Their
 * source is src/web/ (TypeScript and CSS, linted and type-checked like the rest); `npm run build` bundles it
 * with esbuild into dist/src/web/ (scripts/build-web.js), read here once per process.
 */
let assets: { script: string; style: string } | undefined;

export function pageAssets(): { script: string; style: string } {
  if (!assets) {
    const read = (name: string) => {
      try {
        return readFileSync(new URL(`../../web/${name}`, import.meta.url), 'utf8');
      } catch (err) {
        throw new Error(
          `the report's bundled script ${name} is missing (${(err as NodeJS.ErrnoException).code}): ` +
            `run npm run build`,
          { cause: err },
        );
      }
    };
    assets = {
      // Neither may close its element early.
      script: read('report.bundle.js').replace(/<\/(script)/gi, '<\\/$1'),
      style: read('report.min.css').replace(/<\/(style)/gi, '<\\/$1'),
    };
  }
  return assets;
}
