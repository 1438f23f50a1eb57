import { InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { gateTokens, parseGateToken } from '../engine/decide/grammar.js';

export {
  STATS,
  better,
  checkGates,
  failedGates,
  parseGate,
  type Gate,
  type Stat,
} from '../engine/decide/gates.js';
export { gateLine } from '../engine/decide/grammar.js';
export { parseGatesFile } from '../engine/decide/gates-file.js';

/**
 * A commander parser for repeatable `--max` / `--min` (the grammar of src/engine/decide/grammar.ts): each
 * value's tokens are checked for form here and collected as written; the resolver assigns bare numbers to a
 * loss once the losses are known.
 */
export function gateParser(bound: 'max' | 'min'): (v: string, prev: string[]) => string[] {
  return (v, prev) => {
    const tokens = gateTokens(v);
    try {
      if (!tokens.length) parseGateToken('', bound);
      for (const t of tokens) parseGateToken(t, bound);
    } catch (err) {
      throw err instanceof UserError ? new InvalidArgumentError(err.cliMessage) : err;
    }
    return [...prev, ...tokens];
  };
}
