import { InvalidArgumentError, type Command } from 'commander';
import type { ServeOptionValues } from './server.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port).');
  return n;
}

/** `nectar-loss serve <reportDir>`: registered here, run from ./server.ts (loaded when it runs). */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'serve a report on 127.0.0.1 with a random token: Accept and Reject in the page apply at once ' +
        '(the checks of approve); prints the URL first; stops on Ctrl-C',
    )
    .argument('<reportDir>', 'the folder holding the report (its .html file and the -files folder)')
    .option('--port <n>', 'the port (default: any free port)', parsePort, 0)
    .option('--open', 'open the URL in the default browser')
    .option('--baselines <dir>', 'the baseline folder (default: the one the run used)')
    .option('--current <dir>', 'the current images (default: the folder the run used)')
    .action(async (dir: string, o: ServeOptionValues) => {
      const { serve } = await import('./server.js');
      await serve(dir, o, (s) => process.stdout.write(s));
    });
}
