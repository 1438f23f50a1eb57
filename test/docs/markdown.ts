// What the documentation tests read from Markdown: headings (as GitHub slugs them), links, fenced blocks.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (these tests run from dist/test/docs). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** README.md and every Markdown file under docs/ (generated ones included), as paths relative to ROOT. */
export function markdownFiles({ generated = true } = {}): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) {
        if (generated || rel !== 'docs/api') walk(rel);
      } else if (e.name.endsWith('.md')) files.push(rel);
    }
  };
  walk('docs');
  return files;
}

export const read = (rel: string): string => readFileSync(path.join(ROOT, rel), 'utf8');

export interface Fence {
  info: string;
  /** 1-based line number of the first line inside the fence. */
  line: number;
  lines: string[];
  /** The last non-blank line above the opening fence (a closing fence included). */
  above: string;
}

/** The text with fenced code blocks blanked out (line numbers kept), and the blocks themselves. */
export function splitFences(text: string): { prose: string[]; fences: Fence[] } {
  const prose: string[] = [];
  const fences: Fence[] = [];
  let open: { marker: string; fence: Fence } | undefined;
  let above = '';
  text.split('\n').forEach((l, i) => {
    const m = /^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(l);
    if (open) {
      if (m && m[1][0] === open.marker[0] && m[1].length >= open.marker.length && !m[2]) {
        open = undefined;
        above = l.trim();
      } else open.fence.lines.push(l);
      prose.push('');
    } else if (m) {
      open = { marker: m[1], fence: { info: m[2].toLowerCase(), line: i + 2, lines: [], above } };
      fences.push(open.fence);
      prose.push('');
    } else {
      prose.push(l);
      if (l.trim()) above = l.trim();
    }
  });
  return { prose, fences };
}

/** GitHub's heading slug: the rendered text in lower case, punctuation dropped, each space a hyphen. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, '') // code spans and emphasis markers
    .trim();
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a page offers: its headings' slugs (repeats numbered -1, -2, …) and HTML id/name attributes. */
export function anchors(text: string): Set<string> {
  const { prose } = splitFences(text);
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const l of prose) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(l);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n ? `${base}-${n}` : base);
    }
    for (const m of l.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) out.add(m[1]);
  }
  return out;
}

export interface Link {
  target: string;
  line: number;
}

/** Inline links and images outside code (fenced blocks and code spans). */
export function links(text: string): Link[] {
  const out: Link[] = [];
  splitFences(text).prose.forEach((l, i) => {
    const noCode = l.replace(/`[^`]*`/g, '');
    for (const m of noCode.matchAll(/!?\[(?:[^\]]|\][^(])*?\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      out.push({ target: m[1], line: i + 1 });
  });
  return out;
}
