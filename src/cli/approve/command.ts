import type { Command } from 'commander';
import type { ApproveOptionValues } from './run.js';

/** `nectar-loss approve <approvals.json>`: registered here, run from ./run.ts (loaded when it runs). */
export function approveCommand(program: Command): void {
  program
    .command('approve')
    .description(
      "apply a report's approvals.json to the baseline folder, all or nothing: accepted images become " +
        'baselines (or variants), accepted obsolete baselines are removed, rejected ones are left',
    )
    .argument('<approvals>', "approvals.json, from the report's Download approvals")
    .option('--baselines <dir>', 'the baseline folder (default: the one the run used, as the file names it)')
    .option('--current <dir>', 'the current images (default: the folder the run used)')
    .option('--report <file>', 'refuse unless the approvals come from this report (its HTML file)')
    .option('--dry-run', 'check everything and print what would change; change nothing')
    .option('--json', 'print one JSON object')
    .action(async (file: string, o: ApproveOptionValues) => {
      const { runApprove } = await import('./run.js');
      process.stdout.write(await runApprove(file, o));
    });
}
