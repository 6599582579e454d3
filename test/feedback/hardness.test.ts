import test from 'ava';
import { InputError } from '../../src/core/errors.js';
import { buildBinning } from '../../src/feedback/bins.js';
import { HardnessMap } from '../../src/feedback/hardness.js';
import { spec } from '../helpers.js';

const binning = buildBinning(spec({ classes: ['cube', 'torus'], factors: { yaw: { uniform: [0, 360] }, texture: { choice: ['default', 'wood'] } } }));

test('cells: class cells, then (class, factor, bin) cells; a record updates its class cell and each factor bin cell', (t) => {
  const m = new HardnessMap(binning);
  t.is(m.cells, 2 * (1 + 4 + 2));
  m.add(1, [2, 0], 3, NaN);
  t.is(m.records[1], 1, 'class cell torus');
  t.is(m.lossSum[m.cell(1, 0, 2)], 3, 'torus, yaw bin 2');
  t.is(m.lossSum[m.cell(1, 1, 0)], 3, 'torus, texture default');
  t.is(m.records[m.cell(0, 0, 2)], 0, 'cube cells untouched');
  t.is(m.global.records, 1);
  t.is(m.errorWeight[1], 0, 'no correctness reported');
});

test('unvisited cells get the global mean; visited ones are shrunk towards it by priorWeight', (t) => {
  const m = new HardnessMap(binning);
  for (let i = 0; i < 10; i++) m.add(0, [0, 0], 1, NaN);
  for (let i = 0; i < 10; i++) m.add(1, [1, 1], 3, NaN);
  t.is(m.globalMean('loss'), 2);
  t.is(m.hardness(m.cell(0, 0, 3), 'loss', 5), 2, 'an unvisited cell is the prior');
  t.is(m.hardness(1, 'loss', 0), 3, 'no shrinkage with priorWeight 0');
  t.is(m.hardness(1, 'loss', 10), (30 + 10 * 2) / 20);
  t.is(m.hardness(0, 'loss', 5), (10 + 5 * 2) / 15);
});

test('decay by half-life in records: m new records halve evidence when m = halfLife', (t) => {
  const m = new HardnessMap(binning);
  for (let i = 0; i < 100; i++) m.add(0, [0, 0], 2, 1);
  m.age(1000, 1000);
  t.is(m.lossWeight[0], 50, 'weight halved');
  t.is(m.lossSum[0], 100);
  t.is(m.errorSum[0], 50);
  t.is(m.records[0], 100, 'raw counts do not decay');
  t.is(m.global.lossWeight, 50);
  m.add(0, [0, 0], 0, 0);
  t.is(m.hardness(0, 'loss', 0), 100 / 51, 'new evidence weighs 1 against the decayed 50');
  m.age(0, 1000);
  t.is(m.lossWeight[0], 51, 'no records: no decay');
});

test('recent evidence wins after enough records: a cell that got easy is seen as easy', (t) => {
  const m = new HardnessMap(binning);
  for (let i = 0; i < 200; i++) m.add(0, [0, 0], 4, NaN);
  for (let batch = 0; batch < 10; batch++) {
    m.age(100, 100);
    for (let i = 0; i < 100; i++) m.add(0, [0, 0], 0.5, NaN);
  }
  t.true(m.hardness(0, 'loss', 0) < 0.51, `decayed mean ${m.hardness(0, 'loss', 0)}`);
});

test('signals: auto takes loss once any loss came, else error rate; std of single records', (t) => {
  const m = new HardnessMap(binning);
  t.is(m.signal('auto'), null);
  m.add(0, [0, 0], NaN, 1);
  m.add(0, [0, 0], NaN, 0);
  t.is(m.signal('auto'), 'error');
  t.is(m.globalMean('error'), 0.5);
  t.is(m.globalStd('error'), 0.5);
  m.add(0, [0, 0], 1, NaN);
  m.add(0, [0, 0], 3, NaN);
  t.is(m.signal('auto'), 'loss');
  t.is(m.globalStd('loss'), 1);
  t.is(m.signal('error'), 'error');
});

test('the JSON form round-trips exactly', (t) => {
  const m = new HardnessMap(binning);
  for (let i = 0; i < 37; i++) m.add(i % 2, [i % 4, i % 2], Math.sqrt(i) / 3, i % 3 === 0 ? 1 : 0);
  m.age(13, 7);
  const back = HardnessMap.fromJSON(binning, JSON.parse(JSON.stringify(m.toJSON())));
  t.deepEqual(back.toJSON(), m.toJSON());
  t.throws(() => HardnessMap.fromJSON(buildBinning(spec({ classes: ['cube'] })), m.toJSON()), { instanceOf: InputError, message: /hardness map: expected \d+ cells for this binning/ });
});
