import path from 'node:path';
import { UserError } from '../../errors.js';
import type { Measured } from '../../engine/decide/calibration.js';
import type { PairRecord } from '../../model.js';
import { readResultsFile, runFiles } from '../history.js';

/** The noise calibrate takes from a `batch --history` folder: the measured pairs and where they came from. */
export interface HistoryNoise {
  noise: Measured[];
  /** The kept runs read, and those left out for measuring other losses. */
  runs: number;
  skipped: number;
}

/** A record that passed its run: `ok`, or `flaky` without a failed gate. */
const passed = (r: PairRecord) => r.status === 'ok' || (r.status === 'flaky' && !r.over?.length);

/**
 * `calibrate --history <dir>`: the recorded values of every pair that passed in each kept run (one noise
 * pair per pair and run), from the runs that measured every loss calibrated, at the same --range. A run
 * measured otherwise is left out (its losses) or refused (its range: its numbers are on another scale).
 */
export function historyNoise(dir: string, losses: readonly string[], range: string): HistoryNoise {
  const files = runFiles(dir);
  if (!files.length) throw new UserError(`--history ${dir}: no results of batch --history in it`);
  const noise: Measured[] = [];
  let skipped = 0;
  for (const name of files) {
    const { header, records } = readResultsFile(path.join(dir, name));
    if (header.range !== undefined && header.range !== range)
      throw new UserError(
        `--history ${dir}: ${name} was measured with --range ${header.range}, not ${range}: calibrate with the same --range`,
      );
    if (!losses.every((l) => header.losses?.includes(l))) {
      skipped++;
      continue;
    }
    for (const r of records.filter(passed))
      noise.push({ name: `${name}:${r.name}`, values: r.losses, stats: r.stats ?? {} });
  }
  if (skipped === files.length)
    throw new UserError(`--history ${dir}: no kept run measured ${losses.join(', ')} (batch --loss)`);
  if (!noise.length) throw new UserError(`--history ${dir}: no pair passed in the kept runs`);
  return { noise, runs: files.length - skipped, skipped };
}
