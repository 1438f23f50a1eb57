import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { BIN, fixture, ROOT } from '../helpers.js';

interface Step {
  id?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const source = readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
const action = parse(source) as Action;

function validator() {
  // SchemaStore's github-action.json (fixtures/schemas/README.txt), draft-07. strict: false because the
  // schema is not strict-types clean (`properties` without `type` inside its `if`), which is valid JSON Schema.
  const schema = JSON.parse(readFileSync(fixture('fixtures/schemas/github-action.json'), 'utf8')) as object;
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

test('action.yml is valid against SchemaStore github-action.json (and a broken copy is not)', () => {
  const validate = validator();
  assert.ok(validate(action), JSON.stringify(validate.errors, null, 1));
  assert.equal(action.runs.using, 'composite');
  const broken = structuredClone(action);
  delete (broken.inputs.baseline as { description?: string }).description;
  (broken.runs.steps[0] as { shell?: string }).shell = undefined;
  delete (broken.runs.steps[0] as { shell?: string }).shell;
  assert.equal(validate(broken), false, 'an input without description and a run step without shell fail');
});

test('action.yml: every input it reads is declared, every output is set by the batch step, the report is uploaded with upload-artifact@v4', () => {
  const used = [...source.matchAll(/\$\{\{\s*inputs\.([a-z-]+)\s*\}\}/g)].map((m) => m[1]!);
  assert.deepEqual([...new Set(used)].sort(), Object.keys(action.inputs).sort());
  const batch = action.runs.steps.find((s) => s.id === 'batch')!;
  for (const [name, o] of Object.entries(action.outputs)) {
    const key = /^\$\{\{ steps\.batch\.outputs\.([a-z-]+) \}\}$/.exec(o.value)?.[1];
    assert.ok(key, `${name}: ${o.value}`);
    assert.ok(batch.run!.includes(`"${key}"`) || batch.run!.includes(`${key}=`), `${key} is never written`);
  }
  const upload = action.runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
  assert.equal(upload.uses, 'actions/upload-artifact@v4');
  assert.match(upload.if!, /always\(\)/, 'uploaded when batch fails too');
  const last = action.runs.steps.at(-1)!;
  assert.match(last.run!, /exit "\$\{NL_EXIT/);
});

/**
 * Runs one step's script as GitHub does (`bash --noprofile --norc -eo pipefail`), its `${{ inputs.x }}`
 * and `${{ steps.batch.outputs.x }}` expressions replaced by the values given, with an `npx` on PATH that
 * runs this checkout's CLI (and records its first arguments).
 */
function runStep(step: Step, values: Record<string, string>, cwd: string, bin: string, out: string) {
  const expr = (v: string) => v.replace(/\$\{\{\s*([a-z.-]+)\s*\}\}/g, (_, k: string) => values[k] ?? '');
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: out };
  delete env.GITHUB_ACTIONS;
  delete env.GITHUB_STEP_SUMMARY;
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = expr(v);
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run!], { cwd, env });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const outputs = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

test("action.yml's steps run: gates and args split, counts and exit code as outputs, the report folder, then the step fails with batch's code", () => {
  const root = mkdtempSync(path.join(tmpdir(), 'nl-action-'));
  const [REAL, FAKE] = ['real', 'fake'].map((s) => fixture(`fixtures/images/gray8_64x48_${s}.png`));
  for (const d of ['base', 'cur']) mkdirSync(path.join(root, 'shots', d), { recursive: true });
  copyFileSync(REAL!, path.join(root, 'shots/base/same.png'));
  copyFileSync(REAL!, path.join(root, 'shots/cur/same.png'));
  copyFileSync(REAL!, path.join(root, 'shots/base/changed.png'));
  copyFileSync(FAKE!, path.join(root, 'shots/cur/changed.png'));
  copyFileSync(FAKE!, path.join(root, 'shots/cur/new.png'));
  copyFileSync(REAL!, path.join(root, 'shots/base/gone.png'));
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(
    path.join(bin, 'npx'),
    `#!/bin/sh\necho "$1 $2" > "${path.join(root, 'npx-args')}"\nshift 2\nexec "${process.execPath}" "${BIN}" "$@"\n`,
  );
  chmodSync(path.join(bin, 'npx'), 0o755);
  const defaults = Object.fromEntries(
    Object.entries(action.inputs).map(([k, v]) => [`inputs.${k}`, v.default ?? '']),
  );
  const values = {
    ...defaults,
    'inputs.baseline': 'base',
    'inputs.current': 'cur',
    'inputs.loss': 'sobel,l1',
    'inputs.max': 'sobel=0.05,\nsobel.p99=0.3',
    'inputs.args': '--jobs 1  --no-maps',
    'inputs.working-directory': 'shots',
  };
  const steps = action.runs.steps;
  const out = path.join(root, 'github-output');
  writeFileSync(out, '');
  const r = runStep(steps[0]!, values, path.join(root, 'shots'), bin, out);
  assert.equal(r.code, 0, `the batch step itself succeeds, so the report is uploaded: ${r.stderr}`);
  assert.equal(readFileSync(path.join(root, 'npx-args'), 'utf8'), '--yes nectar-loss\n');
  const o = outputs(out);
  const report = path.join(root, 'shots', 'nectar-loss-report');
  assert.deepEqual(o, {
    pairs: '4',
    ok: '1',
    over: '1',
    error: '0',
    new: '1',
    obsolete: '1',
    updated: '0',
    'exit-code': '1',
    'report-dir': report,
  });
  assert.ok(existsSync(path.join(report, 'index.html')));
  const json = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; over?: string[] });
  assert.equal(json.find((x) => x.name === 'changed.png')!.over!.length, 2, 'both gates were passed');
  const fail = runStep(steps.at(-1)!, { 'steps.batch.outputs.exit-code': o['exit-code']! }, root, bin, out);
  assert.equal(fail.code, 1);
  assert.match(fail.stderr, /nectar-loss batch exited with 1/);

  // A usage error: exit code 2, no counts, no report; the last step fails with 2.
  writeFileSync(out, '');
  const bad = runStep(
    steps[0]!,
    { ...values, 'inputs.loss': 'nope', 'inputs.report': 'r2/index.html' },
    path.join(root, 'shots'),
    bin,
    out,
  );
  assert.equal(bad.code, 0);
  assert.deepEqual(outputs(out), { 'exit-code': '2' });
  assert.match(bad.stderr, /unknown loss 'nope'/);
  assert.equal(runStep(steps.at(-1)!, { 'steps.batch.outputs.exit-code': '2' }, root, bin, out).code, 2);

  // The config input reaches batch as --config: its gate joins the inputs' (merged by name) ...
  writeFileSync(path.join(root, 'shots/nl.json'), '{ "max": { "l1": 0.0001 } }\n');
  writeFileSync(out, '');
  const configured = runStep(
    steps[0]!,
    { ...values, 'inputs.config': 'nl.json' },
    path.join(root, 'shots'),
    bin,
    out,
  );
  assert.equal(configured.code, 0, configured.stderr);
  const changed = configured.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name?: string; over?: string[] })
    .find((x) => x.name === 'changed.png')!;
  assert.equal(changed.over!.length, 3, `the config's l1 gate too: ${JSON.stringify(changed.over)}`);
  // ... and a config with an unknown key is batch's usage error naming the file and the key.
  writeFileSync(path.join(root, 'shots/nl.json'), '{ "shiftTolerence": 1 }\n');
  writeFileSync(out, '');
  const wrong = runStep(
    steps[0]!,
    { ...values, 'inputs.config': 'nl.json' },
    path.join(root, 'shots'),
    bin,
    out,
  );
  assert.equal(outputs(out)['exit-code'], '2');
  assert.match(wrong.stderr, /nl\.json: shiftTolerence: unknown key/);

  // The history input reaches batch as --history: two runs keep two results files, and the second run's
  // records carry each pair's history over both (changed.png failed twice, same.png never).
  const hist = path.join(root, 'shots', 'hist');
  for (const run of [1, 2]) {
    writeFileSync(out, '');
    const h = runStep(steps[0]!, { ...values, 'inputs.history': 'hist' }, path.join(root, 'shots'), bin, out);
    assert.equal(outputs(out)['exit-code'], '1', h.stderr);
    assert.deepEqual(readdirSync(hist).sort(), ['run-000001.ndjson', 'run-000002.ndjson'].slice(0, run));
    const recs = h.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name?: string; history?: { runs: number; failed: number } });
    assert.deepEqual(
      [
        recs.find((x) => x.name === 'changed.png')!.history,
        recs.find((x) => x.name === 'same.png')!.history,
      ].map((x) => x && [x.runs, x.failed]),
      [
        [run, run],
        [run, 0],
      ],
    );
  }
});
