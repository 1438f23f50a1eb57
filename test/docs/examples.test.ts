/**
 * Every `nectar-loss …` command line in a shell block of README.md and docs/ runs from the built checkout
 * and exits with the code it shows: 0, or the N of a trailing `# exit N`. A line that cannot run from a
 * checkout says so with `# not run: <reason>`, a block with `<!-- examples: not run: <reason> -->` above it;
 * both print as skips with their reason (docs/contributing.md#documentation). A page's examples run in
 * order in its own folder (one may use what the one before it wrote); the pages run side by side.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownFiles, read, ROOT, splitFences } from './markdown.js';

const SHELLS = new Set(['sh', 'bash', 'console', 'shell']);
const COMMAND = /^((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(?:npx\s+)?nectar-loss(?=\s|$)/;
const BLOCK_SKIP = /^<!--\s*examples:\s*not run:\s*(.*?)\s*-->$/;

export interface Example {
  file: string;
  line: number;
  command: string;
  /** The folder it runs in, relative to the checkout: a block's `cd <dir>` lines apply to the rest of it. */
  dir: string;
  /** The block's other shell lines since the command before it (`mkdir`, `echo … >`): run first. */
  setup: string[];
  exit: number;
  skip?: string;
}

/** Lines ending in a backslash joined with the next, as the shell reads them (continuations left undefined). */
function joinContinued(lines: string[]): (string | undefined)[] {
  const out: (string | undefined)[] = [...lines];
  for (let i = 0; i < out.length; i++) {
    let j = i;
    while (out[i]!.endsWith('\\') && j + 1 < out.length) {
      out[i] = `${out[i]!.slice(0, -1).trimEnd()} ${lines[++j].trim()}`;
      out[j] = undefined;
    }
    i = j;
  }
  return out;
}

/** The command lines of one page, in order. */
export function examples(file: string, text: string): Example[] {
  const out: Example[] = [];
  for (const fence of splitFences(text).fences) {
    if (!SHELLS.has(fence.info)) continue;
    const blockSkip = BLOCK_SKIP.exec(fence.above)?.[1];
    const prompted = fence.lines.some((l) => l.startsWith('$ '));
    let dir = '.';
    let setup: string[] = [];
    joinContinued(fence.lines).forEach((raw, i) => {
      if (raw === undefined) return; // the continuation of the line above
      if (prompted && !raw.startsWith('$ ')) return; // output shown under a prompt
      const command = (prompted ? raw.slice(2) : raw).trim();
      const cd = /^cd\s+(\S+)\s*(?:#.*)?$/.exec(command);
      if (cd) dir = path.posix.join(dir, cd[1]);
      if (!COMMAND.test(command)) {
        // npm (installs, builds) never runs here: the test runs on the built checkout.
        if (!cd && command && !/^(#|npm\s)/.test(command)) setup.push(command);
        return;
      }
      const exit = /\s#\s*exit\s+(\d+)\b.*$/.exec(command);
      const skip = blockSkip ?? /\s#\s*not run:\s*(.*?)\s*$/.exec(command)?.[1];
      out.push({ file, line: fence.line + i, command, dir, setup, exit: exit ? Number(exit[1]) : 0, skip });
      setup = [];
    });
  }
  return out;
}

test('the example finder reads the conventions', () => {
  const md = [
    '```sh',
    'npx nectar-loss sobel a.png b.png   # exit 1',
    'npm ci',
    'cd docs/calibrate-example',
    'mkdir -p out  # setup',
    'X=1 nectar-loss backends  # exit 0; no gate',
    'nectar-loss batch a \\',
    '  b --json  # exit 2: no such folders',
    '```',
    '<!-- examples: not run: a session elsewhere -->',
    '```',
    '$ nectar-loss batch a b | tail -1',
    'nectar-loss batch: output, not a command',
    '```',
    '```yaml',
    'nectar-loss: no',
    '```',
    '```console',
    'nectar-loss vgg a b # not run: needs the VGG19 weights',
    '```',
  ].join('\n');
  const found = examples('x.md', md).map(({ line, exit, skip }) => ({ line, exit, skip }));
  const all = examples('x.md', md);
  assert.equal(all[2].command, 'nectar-loss batch a b --json  # exit 2: no such folders');
  assert.deepEqual(
    all.map((e) => e.setup),
    [[], ['mkdir -p out  # setup'], [], []],
  );
  assert.deepEqual(
    all.map((e) => e.dir),
    ['.', 'docs/calibrate-example', 'docs/calibrate-example', '.'],
  );
  assert.deepEqual(found, [
    { line: 2, exit: 1, skip: undefined },
    { line: 6, exit: 0, skip: undefined },
    { line: 7, exit: 2, skip: undefined },
    { line: 19, exit: 0, skip: 'needs the VGG19 weights' },
  ]);
});

/** `nectar-loss` and `npx nectar-loss` as the built checkout's bin. */
const runnable = (command: string): string =>
  command.replace(
    COMMAND,
    (_m, env: string) => `${env}node ${JSON.stringify(path.join(ROOT, 'bin/nectar-loss.js'))}`,
  );

const env: NodeJS.ProcessEnv = { ...process.env, NECTAR_LOSS_NO_DOWNLOAD: '1', NO_COLOR: '1' };
delete env.GITHUB_ACTIONS;
delete env.GITHUB_STEP_SUMMARY;

const all = markdownFiles({ generated: false }).map((file) => ({ file, list: examples(file, read(file)) }));

test('the documentation has examples to run', () => {
  const n = all.reduce((s, f) => s + f.list.filter((e) => !e.skip).length, 0);
  assert.ok(n >= 10, `only ${n} runnable examples found`);
});

/** `bash -o pipefail -c script`: its exit code (null when killed at the time limit) and stderr. */
function bash(
  script: string,
  cwd: string,
): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', script], { cwd, env, timeout: 60_000 });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

/** Pages at once: each example is a process of its own (mostly CPU: starting Node, decoding): one per core. */
const PAGES = Math.max(2, os.availableParallelism());

describe('examples', { concurrency: PAGES }, () => {
  for (const { file, list } of all.filter((f) => f.list.length)) {
    describe(`examples in ${file}`, { concurrency: 1 }, () => {
      let cwd = '';
      before(() => {
        cwd = mkdtempSync(path.join(os.tmpdir(), 'nectar-docs-'));
        // fixtures/ is linked (large, read only); docs/ is copied, so that an example run inside it (after
        // a `cd`) writes into the copy, never into the checkout.
        symlinkSync(path.join(ROOT, 'fixtures'), path.join(cwd, 'fixtures'));
        cpSync(path.join(ROOT, 'docs'), path.join(cwd, 'docs'), {
          recursive: true,
          filter: (src) => path.relative(path.join(ROOT, 'docs'), src) !== 'api',
        });
      });
      after(() => rmSync(cwd, { recursive: true, force: true }));
      for (const ex of list) {
        const name = `${file}:${ex.line}: ${ex.command}`;
        test(name, ex.skip ? { skip: ex.skip } : {}, async () => {
          const script = ['set -e', ...ex.setup, runnable(ex.command)].join('\n');
          const r = await bash(script, path.join(cwd, ex.dir));
          assert.equal(
            r.status,
            ex.exit,
            `${name}\nexited ${r.status ?? r.signal}, the page shows ${ex.exit}` +
              `${ex.exit ? '' : ' (no "# exit N")'}\nstderr: ${r.stderr.slice(-800)}`,
          );
        });
      }
    });
  }
});
