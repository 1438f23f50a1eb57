// `npm run docs`: docs/cli.md from the commander definitions (whatever commands and flags buildProgram()
// defines, walked, not listed), and docs/api/ from the TSDoc comments with TypeDoc (typedoc.json).
// The output is deterministic (no dates, no absolute paths, no machine-dependent defaults, definition order)
// so that a clean tree stays clean; test/docs/generated.test.ts fails when the committed files are stale.
import type { Argument, Command, Option } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../src/cli/main.js';
import { defaultJobs } from '../src/engine/pool.js';

/** The repository root (this file runs as dist/scripts/docs.js). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface ExitCode {
  code: string;
  meaning: string;
}

const INTERRUPTED: ExitCode = {
  code: '130 / 143',
  meaning: 'interrupted by SIGINT / SIGTERM: workers stopped, temporary files removed, only whole files left',
};
const USAGE: ExitCode = {
  code: '2',
  meaning: 'usage or input error: one line on stderr, nothing on stdout, no file written',
};

/**
 * Exit codes are not part of commander's definitions: they are kept here, by command name (the single
 * command is ''). A command not listed gets the rule every command follows (0 done, 2 usage or input error).
 */
const EXIT_CODES: Record<string, ExitCode[]> = {
  '': [
    {
      code: '0',
      meaning: 'compared; no gate failed (the value not above `--max`, not below `--min`, or no gate)',
    },
    { code: '1', meaning: 'compared; a gate failed (output still printed and files still written)' },
    USAGE,
    INTERRUPTED,
  ],
  batch: [
    { code: '0', meaning: 'every pair ok (or updated); obsolete baselines alone never fail a run' },
    { code: '1', meaning: 'a pair is over a threshold, or new and not updated' },
    { code: '2', meaning: 'a pair could not be compared (2 wins over 1), or a usage or input error' },
    INTERRUPTED,
  ],
  calibrate: [
    { code: '0', meaning: 'done (and, with `--changed`, the chosen gates catch every changed pair)' },
    { code: '1', meaning: 'some changed pair passes every chosen gate (it is named)' },
    { code: '2', meaning: 'usage or input error: one line on stderr, nothing on stdout, no gates file' },
    INTERRUPTED,
  ],
  review: [
    { code: '0', meaning: 'the report was written' },
    { code: '2', meaning: 'a pair could not be compared, or a usage or input error' },
    INTERRUPTED,
  ],
  merge: [
    { code: '0', meaning: 'as the unsharded batch run: every pair ok (or updated)' },
    { code: '1', meaning: 'a pair is over a threshold, or new and not updated' },
    {
      code: '2',
      meaning: 'a pair could not be compared; a missing or repeated shard, results of different runs',
    },
  ],
  backends: [{ code: '0', meaning: 'listed (a backend that does not load is listed, not an error)' }],
  config: [
    { code: '0', meaning: 'the resolved settings were printed' },
    {
      code: '2',
      meaning:
        'the config file or a flag is invalid (one line naming the file and the key), or a usage error',
    },
  ],
};
const DEFAULT_EXIT: ExitCode[] = [{ code: '0', meaning: 'done' }, USAGE];

/** Markdown table cell text: no pipes, no HTML, no emphasis from the help's `*` and `_`. */
function cell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\*/g, '\\*')
    .replace(/_/g, '\\_')
    .replace(/\n/g, ' ');
}

function code(s: string): string {
  return '`' + s.replace(/\|/g, '\\|') + '`';
}

/** A default as the help shows it, but never one that depends on the machine (--jobs: the core count). */
function defaultText(o: Option): string {
  if (o.defaultValueDescription) return cell(o.defaultValueDescription);
  const v: unknown = o.defaultValue;
  if (v === undefined || (Array.isArray(v) && v.length === 0)) return '';
  if (o.attributeName() === 'jobs' && v === defaultJobs()) return 'the number of cores';
  return code(typeof v === 'string' ? v : JSON.stringify(v));
}

function choicesText(choices: readonly string[] | undefined): string {
  return choices ? choices.map(code).join(', ') : '';
}

function argumentsTable(args: readonly Argument[]): string[] {
  if (!args.length) return [];
  const rows = args.map((a) => {
    const name = a.required
      ? `<${a.name()}${a.variadic ? '...' : ''}>`
      : `[${a.name()}${a.variadic ? '...' : ''}]`;
    const def = a.defaultValue === undefined ? '' : code(String(a.defaultValue));
    return `| ${code(name)} | ${cell(a.description)} | ${def} | ${choicesText(a.argChoices)} |`;
  });
  return [
    'Arguments:',
    '',
    '| argument | meaning | default | choices |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

function optionsTable(cmd: Command): string[] {
  const opts = cmd.createHelp().visibleOptions(cmd);
  if (!opts.length) return [];
  const rows = opts.map(
    (o) => `| ${code(o.flags)} | ${cell(o.description)} | ${defaultText(o)} | ${choicesText(o.argChoices)} |`,
  );
  return [
    'Options:',
    '',
    '| option | meaning | default | choices |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

function exitTable(name: string): string[] {
  const rows = (EXIT_CODES[name] ?? DEFAULT_EXIT).map((e) => `| ${e.code} | ${e.meaning} |`);
  return ['Exit codes:', '', '| code | meaning |', '| --- | --- |', ...rows, ''];
}

/** What `--help` prints besides the usage and tables (addHelpText: the examples), read back from commander. */
function extraHelp(cmd: Command): string {
  let text = '';
  const saved = cmd.configureOutput();
  cmd.configureOutput({
    writeOut: (s) => (text += s),
    writeErr: (s) => (text += s),
    getOutHelpWidth: () => 100,
    getErrHelpWidth: () => 100,
    getOutHasColors: () => false,
    getErrHasColors: () => false,
  });
  const own = cmd.helpInformation();
  cmd.outputHelp();
  cmd.configureOutput(saved);
  return text.replace(own, '').trim();
}

function section(cmd: Command, title: string, name: string): string[] {
  const usage = [cmd.parent ? `nectar-loss ${cmd.name()}` : 'nectar-loss', cmd.usage()].join(' ');
  const extra = extraHelp(cmd);
  return [
    `## ${title}`,
    '',
    cell(cmd.description()),
    '',
    '```',
    usage,
    '```',
    '',
    ...argumentsTable(cmd.registeredArguments),
    ...optionsTable(cmd),
    ...exitTable(name),
    ...(extra ? ['```', extra, '```', ''] : []),
  ];
}

/** docs/cli.md's text: the single command (the program's own arguments), then each command in order. */
export function cliMarkdown(): string {
  const program = buildProgram();
  const commands = program.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const lines = [
    '# Command-line reference',
    '',
    '<!-- Generated by `npm run docs` (scripts/docs.ts) from the commander definitions in src/cli/.',
    '     Do not edit by hand: change the definitions and run `npm run docs`. -->',
    '',
    '```sh',
    'npx nectar-loss sobel fixtures/images/facade256_real.png fixtures/images/facade256_fake.png --no-maps',
    '```',
    '',
    'Every command, argument and flag that `nectar-loss --help` knows, with its default and exit codes. ' +
      'The pages of [the documentation](README.md) explain them by topic.',
    '',
    `- [\`nectar-loss <loss> <real> <fake>\`](#the-single-command): ${cell(program.description())}`,
    ...commands.map(
      (c) => `- [\`nectar-loss ${c.name()}\`](#nectar-loss-${c.name()}): ${cell(c.description())}`,
    ),
    '',
    ...section(program, 'The single command', ''),
    ...commands.flatMap((c) => section(c, `nectar-loss ${c.name()}`, c.name())),
  ];
  return (
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

/** TypeDoc into `out` (docs/api by default): the library reference from the TSDoc comments. */
export function runTypedoc(out = 'docs/api'): { status: number | null; output: string } {
  const bin = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
  const r = spawnSync(process.execPath, [bin, '--out', out, '--logLevel', 'Warn'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Every file under dir, relative to it, sorted, with its text. */
function tree(dir: string): Map<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
  return new Map(files.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

/**
 * The files of docs/api/ that differ from what TypeDoc makes now (written into a temporary folder), with
 * those missing on either side; empty when current. Run by `npm run docs:check` (part of `npm run lint`),
 * not by `npm test`: TypeDoc takes 9 s on the idle 2-core machine, over a minute when it is shared.
 */
export function staleApi(): { stale: string[]; output: string } {
  const out = mkdtempSync(path.join(os.tmpdir(), 'nectar-typedoc-'));
  try {
    const r = runTypedoc(out);
    if (r.status !== 0) return { stale: ['(typedoc failed)'], output: r.output };
    const now = tree(out);
    const committed = existsSync(path.join(ROOT, 'docs/api'))
      ? tree(path.join(ROOT, 'docs/api'))
      : new Map<string, string>();
    const names = [...new Set([...now.keys(), ...committed.keys()])].sort();
    return { stale: names.filter((f) => now.get(f) !== committed.get(f)), output: r.output };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `--check`: exit 1, naming what is stale, when docs/cli.md or docs/api/ is not what the sources give now. */
function check(): void {
  const stale: string[] = [];
  if (readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8') !== cliMarkdown()) stale.push('docs/cli.md');
  const api = staleApi();
  process.stdout.write(api.output);
  stale.push(...api.stale.map((f) => `docs/api/${f}`));
  if (stale.length) {
    process.stderr.write(`docs: stale, run \`npm run docs\` and commit the result: ${stale.join(', ')}\n`);
    process.exitCode = 1;
  } else process.stdout.write('docs: docs/cli.md and docs/api/ are current\n');
}

function generate(): void {
  writeFileSync(path.join(ROOT, 'docs', 'cli.md'), cliMarkdown());
  const r = runTypedoc();
  process.stdout.write(r.output);
  if (r.status !== 0) {
    process.stderr.write('docs: typedoc failed\n');
    process.exitCode = 1;
    return;
  }
  process.stdout.write('docs: wrote docs/cli.md and docs/api/\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) check();
  else generate();
}
