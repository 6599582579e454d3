import test from 'ava';
import { InputError } from '../../src/core/errors.js';
import { RecentRecords } from '../../src/feedback/recent.js';

test('hardest: the top fraction by loss, hardest first, newer first on ties; only losses above the mean; records without a loss skipped', (t) => {
  const r = new RecentRecords(100);
  [0.1, 3, 0.2, 3, NaN, 1, 0.5, 0.4].forEach((loss, n) => r.add(n, loss, NaN));
  t.deepEqual(r.hardest('loss', 0.25), { numbers: [3, 1], scores: [3, 3] }, '25% of the 7 with a loss, rounded up');
  t.deepEqual(r.hardest('loss', 1e-9).numbers, [3], 'at least one');
  t.deepEqual(r.hardest('loss', 1).numbers, [3, 1], 'never a loss at or below the mean (1.17)');
  t.deepEqual(r.hardest('error', 0.5), { numbers: [], scores: [] }, 'no correctness reported');
  const flat = new RecentRecords(10);
  [1, 1, 1].forEach((loss, n) => flat.add(n, loss, NaN));
  t.deepEqual(flat.hardest('loss', 1).numbers, [], 'equal losses: nothing is harder');
});

test('hardest by error: wrong answers only, at most the fraction of the answers', (t) => {
  const r = new RecentRecords(100);
  [0, 1, 0, 1, 1, 0, 0, 0].forEach((e, n) => r.add(n, NaN, e));
  t.deepEqual(r.hardest('error', 0.25).numbers, [4, 3]);
  t.deepEqual(r.hardest('error', 1).numbers, [4, 3, 1]);
});

test('keeps the newest capacity records, through its JSON form too', (t) => {
  const r = new RecentRecords(3);
  for (let n = 0; n < 10; n++) r.add(n, n, NaN);
  t.is(r.size, 3);
  t.deepEqual(r.toJSON(), { numbers: [7, 8, 9], losses: [7, 8, 9], errors: [null, null, null] });
  const back = RecentRecords.fromJSON(3, JSON.parse(JSON.stringify(r.toJSON())));
  t.deepEqual(back.hardest('loss', 1).numbers, [9], 'the one above the mean of 7, 8, 9');
  t.is(RecentRecords.fromJSON(3, undefined).size, 0);
  t.throws(() => RecentRecords.fromJSON(3, { numbers: [1], losses: [], errors: [] }), { instanceOf: InputError, message: 'recent records: expected three arrays of one length' });
});
