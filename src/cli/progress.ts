import type { Ora } from 'ora';

/** Progress on stderr: an ora spinner when stderr is a terminal, silence otherwise (pipes, CI logs). */
export interface Progress {
  step(text: string): void;
  stop(): void;
}

export function makeProgress(): Progress {
  // A terminal that reports no width (e.g. under `script`) would make the spinner's redraw misbehave.
  const enabled =
    Boolean(process.stderr.isTTY) &&
    ((process.stderr.columns as number | undefined) ?? 0) > 0 &&
    !process.env.CI;
  let spinner: Ora | undefined;
  let loading: Promise<void> | undefined;
  let text = '';
  let stopped = false;
  return {
    step(t) {
      if (!enabled) return;
      text = t;
      if (spinner) spinner.text = t;
      // ora is loaded on the first step, on terminals only.
      loading ??= import('ora').then(({ default: ora }) => {
        // NO_COLOR (no-color.org): any non-empty value turns colour off.
        if (!stopped)
          spinner = ora({
            stream: process.stderr,
            color: process.env.NO_COLOR ? false : 'green',
            text,
          }).start();
      });
    },
    stop() {
      stopped = true;
      spinner?.stop();
      spinner = undefined;
    },
  };
}

/** A download-progress callback that reports on `p`: a percentage, or megabytes when the size is unknown. */
export function downloadProgress(p: Progress): (fraction: number, bytes: number) => void {
  return (f, b) =>
    p.step(
      `downloading VGG19 weights: ${Number.isFinite(f) ? `${(100 * f).toFixed(0)}%` : `${(b / 2 ** 20).toFixed(0)} MB`}`,
    );
}
