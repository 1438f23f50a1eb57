import type { PairRecord } from '../../model.js';
import { changeText } from '../change.js';

/**
 * GitHub Actions workflow commands (`::error file=…,title=…::message`), escaped as the runner reads them
 * back (actions/toolkit's command.ts): `%`, CR and LF in the message; also `:` and `,` in a property.
 */
export const escapeData = (s: string): string =>
  s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

export const escapeProperty = (s: string): string => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One workflow command line (without its line break); properties in the given order, empty ones left out. */
export function workflowCommand(
  command: 'error' | 'warning' | 'notice',
  properties: Record<string, string | undefined>,
  message: string,
): string {
  const props = Object.entries(properties)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/** Pairs that fail a run: not comparable, over a threshold, or new and not written by --update. */
export const failing = (r: PairRecord): boolean =>
  r.status === 'error' || (r.status === 'over' && !r.updated) || (r.status === 'new' && !r.updated);

/**
 * A failing pair's annotation title and message. Images have no lines: a pair over a threshold with changed
 * regions names the first region's box in its title (`p.png: content changed in 1 region, 84×18 at
 * (412,96)`), else says `over a threshold`; the message lists the gates it failed.
 */
function describe(r: PairRecord): { title: string; message: string } {
  if (r.status === 'error') return { title: `${r.name}: could not be compared`, message: r.error ?? 'error' };
  if (r.status === 'over') {
    const where = r.regions?.length ? changeText(r.regions) : 'over a threshold';
    return { title: `${r.name}: ${where}`, message: (r.over ?? []).join('\n') };
  }
  return {
    title: `${r.name}: new image, no baseline`,
    message: 'no baseline for this image: run batch with --update new to write it',
  };
}

/**
 * The annotations of a run, in the order given (worst first): an `::error` for each of the first `limit`
 * failing pairs, `file=` the path `fileOf` gives (the current image, relative to the workspace; left out
 * when undefined), then one `::notice` saying how many failures were not annotated, and one for obsolete
 * baselines not removed.
 */
export function annotations(
  records: PairRecord[],
  fileOf: (r: PairRecord) => string | undefined,
  limit = 10,
): string[] {
  const fails = records.filter(failing);
  const lines = fails.slice(0, limit).map((r) => {
    const { title, message } = describe(r);
    return workflowCommand('error', { file: fileOf(r), title: `nectar-loss: ${title}` }, message);
  });
  if (fails.length > limit)
    lines.push(
      workflowCommand(
        'notice',
        { title: 'nectar-loss' },
        `${fails.length - limit} more failing pairs not annotated (GitHub shows ${limit} error annotations ` +
          'per step): see the job summary, the report or the JSON',
      ),
    );
  const obsolete = records.filter((r) => r.status === 'obsolete' && !r.updated).length;
  if (obsolete)
    lines.push(
      workflowCommand(
        'notice',
        { title: 'nectar-loss' },
        `${obsolete} obsolete baseline${obsolete > 1 ? 's' : ''} with no current image: ` +
          'remove them with --update obsolete',
      ),
    );
  return lines;
}
