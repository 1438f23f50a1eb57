import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { parseGate, type Gate } from '../engine/gates.js';

export { STATS, better, checkGates, failedGates, parseGate, type Gate, type Stat } from '../engine/gates.js';

/** A commander parser for repeatable `--max` / `--min` gates: `loss=value` or `loss.stat=value`. */
export function gateParser(bound: 'max' | 'min'): (v: string, prev: Gate[]) => Gate[] {
  return (v, prev) => {
    const eq = v.indexOf('=');
    const limit = eq < 0 || v.slice(eq + 1).trim() === '' ? NaN : Number(v.slice(eq + 1));
    try {
      return [...prev, parseGate(eq < 0 ? '' : v.slice(0, eq), limit, bound)];
    } catch (err) {
      throw err instanceof UserError ? new InvalidArgumentError(err.message) : err;
    }
  };
}
