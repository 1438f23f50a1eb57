/**
 * npm run lint's checks catch what they are for: each planted fault in a copy of the project fails the
 * tool that owns it (dependency-cruiser: an upward import, a circle, TensorFlow.js on the batch planning
 * path; Prettier: an unformatted line; ESLint: a floating promise). The unplanted copy passes.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, appendFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT } from '../helpers.js';

const bin = (name: string) => path.join(ROOT, 'node_modules/.bin', name);
const COPIED = ['src', 'tsconfig.json', 'package.json', 'eslint.config.js', '.prettierrc.json'];
const CONFIGS = ['.dependency-cruiser.cjs', '.dependency-cruiser.planning.cjs'];

/** A copy of the sources and lint configuration, with node_modules linked; `plant` changes it. */
function copy(plant: (dir: string) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nectar-lint-'));
  for (const f of [...COPIED, ...CONFIGS]) cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ extends: path.join(ROOT, 'tsconfig.json'), include: ['src'] }),
  );
  plant(dir);
  return dir;
}

function run(dir: string, tool: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(bin(tool), args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

const cruise = (dir: string, config = '.dependency-cruiser.cjs') =>
  run(dir, 'depcruise', ['src', '--config', config]);

function planted(plant: (dir: string) => void, check: (dir: string) => void): void {
  const dir = copy(plant);
  try {
    check(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('dependency-cruiser: the project passes; an upward import, a circle and tfjs at planning fail', () => {
  planted(
    () => {},
    (dir) => {
      const r = cruise(dir);
      assert.equal(r.status, 0, r.out);
      assert.equal(cruise(dir, '.dependency-cruiser.planning.cjs').status, 0);
    },
  );
  planted(
    (dir) => {
      appendFileSync(path.join(dir, 'src/losses/l1.ts'), "\nimport '../engine/stats.js';\n");
      writeFileSync(
        path.join(dir, 'src/io/planted-a.ts'),
        "import { b } from './planted-b.js';\nexport const a = b;\n",
      );
      writeFileSync(
        path.join(dir, 'src/io/planted-b.ts'),
        "import { a } from './planted-a.js';\nexport const b = () => a;\n",
      );
      appendFileSync(path.join(dir, 'src/cli/gates.ts'), "\nimport '../tf.js';\n");
    },
    (dir) => {
      const r = cruise(dir);
      assert.notEqual(r.status, 0);
      assert.match(r.out, /no-upward-from-losses: src\/losses\/l1\.ts → src\/engine\/stats\.ts/);
      assert.match(r.out, /no-circular: src\/io\/planted-a\.ts → /);
      const p = cruise(dir, '.dependency-cruiser.planning.cjs');
      assert.notEqual(p.status, 0);
      assert.match(p.out, /batch-planning-loads-no-tfjs: src\/cli\/gates\.ts → src\/tf\.ts/);
    },
  );
});

test('Prettier: an unformatted line fails the check', () => {
  planted(
    (dir) => appendFileSync(path.join(dir, 'src/errors.ts'), '\nexport const planted   =  [1,2 ,3];\n'),
    (dir) => {
      assert.equal(run(dir, 'prettier', ['--check', 'src/model.ts']).status, 0);
      const r = run(dir, 'prettier', ['--check', 'src/errors.ts']);
      assert.notEqual(r.status, 0);
      assert.match(r.out, /src\/errors\.ts/);
    },
  );
});

test('ESLint (type-aware): a floating promise fails', () => {
  planted(
    (dir) =>
      appendFileSync(
        path.join(dir, 'src/io/temp.ts'),
        '\nexport function planted(): void {\n  Promise.resolve(1);\n}\n',
      ),
    (dir) => {
      const r = run(dir, 'eslint', ['src/io/temp.ts']);
      assert.notEqual(r.status, 0);
      assert.match(r.out, /no-floating-promises/);
    },
  );
});
