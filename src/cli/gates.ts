import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { better, parseGate, type Gate } from '../engine/gates.js';

export { STATS, better, checkGates, failedGates, parseGate, type Gate, type Stat } from '../engine/gates.js';

/** A commander parser for repeatable `--max` / `--min` gates: `loss=value` or `loss.stat=value`. */
export function gateParser(bound: 'max' | 'min'): (v: string, prev: Gate[]) => Gate[] {
  return (v, prev) => {
    const eq = v.indexOf('=');
    const limit = eq < 0 || v.slice(eq + 1).trim() === '' ? NaN : Number(v.slice(eq + 1));
    try {
      return [...prev, parseGate(eq < 0 ? '' : v.slice(0, eq), limit, bound)];
    } catch (err) {
      throw err instanceof UserError ? new InvalidArgumentError(err.cliMessage) : err;
    }
  };
}

/**
 * The gates of a gates file (`batch --gates`, written by `calibrate --write-gates`): one `loss=value` or
 * `loss.stat=value` a line, as --max/--min take them; `#` starts a comment; blank lines are skipped. The
 * bound follows the metric's rules: a statistic (of the dissimilarity map) and the value of a lower-is-better
 * loss are maxima, the value of a higher-is-better metric (ssim, ms-ssim, psnr) a minimum.
 */
export function parseGatesFile(text: string, file: string): Gate[] {
  const gates: Gate[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const loss = /^[a-z0-9-]+/i.exec(line)?.[0] ?? '';
    const hasStat = line.slice(loss.length).startsWith('.');
    const bound = hasStat || better(loss) === 'lower' ? 'max' : 'min';
    try {
      gates.push(...gateParser(bound)(line, []));
    } catch (err) {
      throw new UserError(`--gates ${file}: line ${i + 1}: ${(err as Error).message} (got '${line}')`);
    }
  });
  return gates;
}

/** A gate as a gates file writes it: `sobel.p99=0.3`, `ssim=0.95`. */
export function gateLine(g: Pick<Gate, 'loss' | 'stat' | 'limit'>): string {
  return `${g.loss}${g.stat ? `.${g.stat}` : ''}=${g.limit}`;
}
