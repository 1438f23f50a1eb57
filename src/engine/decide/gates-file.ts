/**
 * The gates file (`calibrate --write-gates`, read by `batch --gates`): a machine-read header of the settings
 * the gates were measured with, then one gate a line in the grammar, `#` comments.
 *
 *   #! nectar-loss-gates 1
 *   #! loss=sobel,l1
 *   #! shiftTolerance=1
 *   #! range=unit
 *   sobel.p99=0.3  # worst noise 0.21, nearest change 0.39: halfway
 *
 * A header line is `#! key=value` with a config key (docs/config.md); the value is JSON when it parses as
 * JSON (`1`, `["0,0,10,10"]`), else the text (`unit`, `sobel,l1`). Files without a header (older releases)
 * load as before: their gates only.
 */
import type { Settings } from '../../config.js';
import { UserError } from '../../errors.js';
import { better, type Gate } from './gates.js';
import { gateLine, parseGateToken } from './grammar.js';
import { parseGate } from './gates.js';

export const GATES_MAGIC = '#! nectar-loss-gates 1';

/** A gates file's content: its gates and the header's settings (raw: validated by the caller's schema). */
export interface GatesFile {
  gates: Gate[];
  header: Record<string, unknown>;
}

function headerValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Parses a gates file. The bound follows the metric: a statistic (of the dissimilarity map) and the value
 * of a lower-is-better loss are maxima, the value of a higher-is-better metric (ssim, ms-ssim, psnr) a minimum.
 */
export function parseGatesFile(text: string, file: string): GatesFile {
  const gates: Gate[] = [];
  const header: Record<string, unknown> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const fail = (msg: string) =>
      new UserError(`--gates ${file}: line ${i + 1}: ${msg} (got '${raw.trim()}')`);
    if (raw.startsWith('#!')) {
      if (raw.trim() === GATES_MAGIC) return;
      const m = /^#!\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(raw.trim());
      if (!m) throw fail('expected #! key=value');
      header[m[1]!] = m[1] === 'loss' ? m[2]!.split(',').map((s) => s.trim()) : headerValue(m[2]!.trim());
      return;
    }
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const loss = /^[a-z0-9-]+/i.exec(line)?.[0] ?? '';
    const hasStat = line.slice(loss.length).startsWith('.');
    const bound = hasStat || better(loss) === 'lower' ? 'max' : 'min';
    try {
      const [key, limit] = parseGateToken(line, bound);
      if (key === '')
        throw new UserError('expected loss=number or loss.stat=number, e.g. sobel=0.1 or sobel.p99=0.3');
      gates.push(parseGate(key, limit, bound));
    } catch (err) {
      throw err instanceof UserError ? fail(err.message) : err;
    }
  });
  return { gates, header };
}

/** Settings as header lines (`#! shiftTolerance=1`), after the magic line. */
export function headerLines(settings: Settings): string[] {
  const lines = [GATES_MAGIC];
  for (const [k, v] of Object.entries(settings) as [string, unknown][]) {
    if (v === undefined) continue;
    const text =
      k === 'loss' && Array.isArray(v)
        ? (v as string[]).join(',')
        : typeof v === 'string'
          ? v
          : JSON.stringify(v);
    lines.push(`#! ${k}=${text}`);
  }
  return lines;
}

/** A gate line with its reason: `sobel.p99=0.3  # …`. */
export const gateFileLine = (g: Gate, why: string) => `${gateLine(g)}  # ${why}`;

/**
 * The header's settings that an explicit flag contradicts: one line for the first, as
 * "gates.txt was calibrated with --shift-tolerance 1; this run asks for 0".
 */
export function checkHeader(
  header: Settings,
  flags: Settings,
  file: string,
  flagOf: (key: string) => string,
): void {
  for (const [k, v] of Object.entries(header)) {
    const given = (flags as Record<string, unknown>)[k];
    if (k === 'loss' || given === undefined || JSON.stringify(given) === JSON.stringify(v)) continue;
    const show = (x: unknown) =>
      Array.isArray(x) ? x.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join(' ') : String(x);
    throw new UserError(
      `${file} was calibrated with ${flagOf(k)} ${show(v)}; this run asks for ${show(given)}`,
    );
  }
}
