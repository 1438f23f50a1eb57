import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapLimit } from '../../src/io/parallel.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('mapLimit: results in the items order, never more than the limit in flight', async () => {
  let inFlight = 0;
  let most = 0;
  // Later items finish first (shorter waits): the order must still be the items'.
  const out = await mapLimit([5, 4, 3, 2, 1, 0], 3, async (x, i) => {
    most = Math.max(most, ++inFlight);
    await tick(x * 3);
    inFlight--;
    return `${i}:${x * 10}`;
  });
  assert.deepEqual(out, ['0:50', '1:40', '2:30', '3:20', '4:10', '5:0']);
  assert.equal(most, 3);
  assert.deepEqual(await mapLimit([], 4, async () => 1), []);
});

test('mapLimit: a rejection rejects once the calls in flight settled, and starts no more', async () => {
  const started: number[] = [];
  const settled: number[] = [];
  await assert.rejects(
    mapLimit([0, 1, 2, 3, 4, 5], 2, async (x) => {
      started.push(x);
      await tick(x === 0 ? 1 : 20);
      settled.push(x);
      if (x === 0) throw new Error('boom');
      return x;
    }),
    /boom/,
  );
  // 0 fails first while 1 is in flight: 1 settles before the rejection, 2.. never start.
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(settled.sort(), [0, 1]);
});
