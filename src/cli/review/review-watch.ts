import { watch } from 'chokidar';
import type { Progress } from '../progress.js';
import { buildReview, summaryText, writeReview, type ReviewOptions, type ReviewState } from './review.js';

/**
 * --watch: builds the review, then again whenever the experiment folder changes (chokidar; changes within
 * 500 ms are one), until SIGINT / SIGTERM (main's handlers: temporary files removed; every file of the
 * report is renamed into place whole, so the last build's report stays complete). A half-written
 * loss_log.json is retried: the build keeps the last log read and another build follows 1 s later.
 * Each build prints its account (a JSON line with --json) and bumps `live.js`, which the open page polls.
 */
export async function watchReview(
  dir: string,
  opt: ReviewOptions,
  progress: Progress,
  out: (s: string) => void,
): Promise<number> {
  const state: ReviewState = {};
  let generation = 0,
    running = false,
    again = false,
    timer: NodeJS.Timeout | undefined;
  const build = async (): Promise<void> => {
    if (running) return void (again = true);
    running = true;
    try {
      const { result, view, records } = await buildReview(dir, opt, state, progress, true);
      await writeReview(result, view, records, opt, `${process.pid}-${++generation}`);
      progress.stop();
      out(opt.json ? JSON.stringify(result) + '\n' : summaryText(result));
      if (state.incomplete) schedule(1000);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule(100);
      }
    }
  };
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => void build().catch(fail), ms);
  };
  let fail: (err: unknown) => void = () => {};
  const stopped = new Promise<number>((_, reject) => (fail = reject));
  // Watching first: a change made while the first build runs starts another after it.
  const watcher = watch(dir, { ignoreInitial: true });
  watcher.on('all', () => schedule(500));
  watcher.on('error', (err) => fail(err));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  // A first build that fails (a missing folder, no loss_log.json) ends the run: the watcher would keep it alive.
  await build().catch(async (err: unknown) => {
    await watcher.close();
    throw err;
  });
  return stopped.finally(() => void watcher.close());
}
