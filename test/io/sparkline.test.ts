import { test } from 'node:test';
import assert from 'node:assert/strict';
import { historyCell } from '../../src/io/report/sparkline.js';

test("the report's history cell: counts, and the sparkline's points computed by hand (60×16)", () => {
  const cell = historyCell({ runs: 3, failed: 2, flips: 2, values: [1, 0, 1] });
  assert.match(cell, /last 3 runs: 2 failed, 2 flips/);
  assert.match(cell, /points="0,0 30,16 60,0"/);
  // A run without a value is left out; x keeps its run's place (4 runs: 0, 20, 40, 60).
  assert.match(
    historyCell({ runs: 4, failed: 0, flips: 0, values: [2, null, 3, 4] }),
    /points="0,16 40,8 60,0"/,
  );
  // A flat trend at mid-height; no values: no sparkline.
  assert.match(historyCell({ runs: 2, failed: 0, flips: 0, values: [5, 5] }), /points="0,8 60,8"/);
  assert.doesNotMatch(historyCell({ runs: 1, failed: 1, flips: 0, values: [null] }), /<svg/);
});
