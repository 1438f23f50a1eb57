import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN } from '../helpers.js';

// By hand: 0.7 m · (3840 px / 0.7 m) · π/180 = 3840 · 0.017453292519943 = 67.0206432…, to six decimals 67.020643.
const PPD = '67.020643';

test("--ppd's help gives the default as 3840·π/180 = 67.020643 in every command that takes it", () => {
  for (const cmd of [[], ['batch'], ['calibrate']]) {
    const r = spawnSync(process.execPath, [BIN, ...cmd, '--help'], {
      env: { ...process.env, COLUMNS: '400' },
    });
    const help = r.stdout.toString();
    assert.equal(r.status, 0, help + r.stderr.toString());
    // The --ppd entry, its wrapped lines joined.
    const line = /\n {2}--ppd <n>([^]*?)\n {2}-/.exec(help)?.[1]?.replace(/\s+/g, ' ');
    assert.ok(line, `${cmd.join(' ') || 'single'}: --ppd listed`);
    assert.ok(line.includes(`default ${PPD} = 3840·π/180`), line);
    assert.doesNotMatch(help, /67\.0206[45]\b|67\.02065/, 'no other rounding printed');
  }
});
