/**
 * The one gate grammar, read the same way by the single command, batch, calibrate's files, the config, the
 * matchers and the action: `--max`/`--min` take `v` (a bare number: the only loss), `loss=v` and
 * `loss.stat=v`, repeatable and comma- or space-separated; the config and the library also take a list of
 * those or an object `{ sobel: 0.1, 'sobel.p99': 0.3 }`. A new form is added here and nowhere else.
 */
import type { GateInput } from '../../config.js';
import { option, said, UserError } from '../../errors.js';
import { parseGate, type Gate } from './gates.js';

/** Gates by name as written (`sobel`, `sobel.p99`; '' is a bare number), the form layers merge in. */
export type GateMap = Record<string, number>;

const FORMS = 'expected a number, loss=number or loss.stat=number, e.g. 0.05, sobel=0.1 or sobel.p99=0.3';

/** One `v`, `loss=v` or `loss.stat=v`, checked for form only (the losses are checked once they are known). */
export function parseGateToken(token: string, bound: 'max' | 'min'): [string, number] {
  const t = token.trim();
  const eq = t.indexOf('=');
  const key = eq < 0 ? '' : t.slice(0, eq).trim();
  const text = eq < 0 ? t : t.slice(eq + 1).trim();
  const limit = text === '' ? NaN : Number(text);
  if (!Number.isFinite(limit) || (eq >= 0 && key === '')) throw new UserError(FORMS, 'BAD_OPTION');
  if (key !== '') parseGate(key, limit, bound);
  return [key, limit];
}

/** The tokens of one `--max` value: comma- or space-separated (`sobel=0.1,l1=0.2`, `'sobel=0.1 l1=0.2'`). */
export function gateTokens(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Any accepted form as a GateMap (later entries win); `where` prefixes an error (`--max`, `max`, a file). */
export function gateMap(input: GateInput | undefined, bound: 'max' | 'min', where: string): GateMap {
  const out: GateMap = {};
  if (input === undefined) return out;
  try {
    if (typeof input === 'number') return parseEntry(out, String(input), bound);
    if (typeof input === 'string') return gateTokens(input).reduce((m, t) => parseEntry(m, t, bound), out);
    if (Array.isArray(input))
      return input.flatMap((v) => gateTokens(String(v))).reduce((m, t) => parseEntry(m, t, bound), out);
    for (const [k, v] of Object.entries(input as Record<string, number>)) {
      if (!Number.isFinite(v)) throw new UserError(FORMS, 'BAD_OPTION');
      if (k !== '') parseGate(k, v, bound);
      out[k] = v;
    }
    return out;
  } catch (err) {
    throw err instanceof UserError ? new UserError(said`${where}: ${err.phrase}`, err.code) : err;
  }
}

function parseEntry(m: GateMap, token: string, bound: 'max' | 'min'): GateMap {
  const [k, v] = parseGateToken(token, bound);
  m[k] = v;
  return m;
}

/**
 * A GateMap's gates for these losses. A bare number bounds the only loss; with several it is an error naming
 * them, unless `bare` is 'first' (the library's documented meaning: the first loss listed).
 */
export function gatesOf(
  map: GateMap,
  bound: 'max' | 'min',
  losses: readonly string[],
  bare: 'only' | 'first' = 'only',
): Gate[] {
  return Object.entries(map).map(([key, limit]) => {
    if (key !== '') return parseGate(key, limit, bound);
    if (losses.length !== 1 && bare === 'only')
      throw new UserError(
        said`${option(`${bound}: ${limit}`, `--${bound} ${limit}`)}: a bare number needs one loss, and this run has ${losses.length} (${losses.join(', ')}): write ${losses.map((l) => `${l}=${limit}`).join(' or ')}`,
        'BAD_OPTION',
      );
    return parseGate(losses[0]!, limit, bound);
  });
}

/** A gate written back in the grammar: `sobel.p99=0.3`, `ssim=0.95`. */
export function gateLine(g: Pick<Gate, 'loss' | 'stat' | 'limit'>): string {
  return `${g.loss}${g.stat ? `.${g.stat}` : ''}=${g.limit}`;
}

/** Gates as a GateMap (`{ 'sobel.p99': 0.3 }`), e.g. for a config file. */
export function mapOfGates(gates: readonly Gate[]): GateMap {
  return Object.fromEntries(gates.map((g) => [g.stat ? `${g.loss}.${g.stat}` : g.loss, g.limit]));
}
