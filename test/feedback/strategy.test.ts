import test from 'ava';
import { rngFor } from '../../src/core/random.js';
import { buildBinning } from '../../src/feedback/bins.js';
import { HardnessMap } from '../../src/feedback/hardness.js';
import { crossEntropy, drawCell, hardestIndices, mixtureTables, resizeToRgb, softmaxMixture } from '../../src/feedback/strategy.js';
import { spec } from '../helpers.js';

const OPTS = { epsilon: 0.2, temperature: null, temperatureScale: 0.5, priorWeight: 5, signal: 'auto' as const };

test('softmaxMixture: (1 - eps) softmax(h / tau) + eps / n, uniform without spread or at tau = Infinity', (t) => {
  const p = softmaxMixture([0, 1], 1, 0.2);
  const e = Math.exp(1);
  t.true(Math.abs(p[0] - (0.8 / (1 + e) + 0.1)) < 1e-12);
  t.true(Math.abs(p[1] - (0.8 * e / (1 + e) + 0.1)) < 1e-12);
  t.true(Math.abs(p[0] + p[1] - 1) < 1e-12, 'sums to 1');
  t.deepEqual(Array.from(softmaxMixture([5, 5, 5], 0.1, 0.2)).map((v) => v.toFixed(12)), Array(3).fill((1 / 3).toFixed(12)));
  t.deepEqual(Array.from(softmaxMixture([0, 9], Infinity, 0)), [0.5, 0.5]);
  const sharp = softmaxMixture([0, 100], 0.001, 0.2);
  t.true(Math.abs(sharp[0] - 0.1) < 1e-12, 'eps keeps every cell reachable: at least eps / n');
});

const binning = buildBinning(spec({ classes: ['cube', 'torus', 'sphere'], factors: { yaw: { uniform: [0, 360] }, texture: { choice: ['default', 'wood', 'checker'] } } }));

function hardMap(): HardnessMap {
  const m = new HardnessMap(binning);
  // torus is hard (loss 3), the others easy (0.5); for every class yaw bin 3 is hard.
  for (let i = 0; i < 3000; i++) {
    const c = i % 3;
    const yaw = i % 4;
    const tex = Math.floor(i / 4) % 3;
    m.add(c, [yaw, tex], (c === 1 ? 2.5 : 0) + (yaw === 3 ? 1 : 0) + 0.5, NaN);
  }
  return m;
}

test('no feedback: every table is uniform and tau is 0 (reported as none)', (t) => {
  const tables = mixtureTables(new HardnessMap(binning), OPTS);
  t.is(tables.signal, null);
  for (const p of tables.classProbs) t.true(Math.abs(p - 1 / 3) < 1e-12);
  for (const p of tables.binProbs[0][0]) t.true(Math.abs(p - 1 / 4) < 1e-12);
  t.is(tables.temperature, 0);
});

test('hard cells are drawn more often, and every cell stays reachable', (t) => {
  const tables = mixtureTables(hardMap(), OPTS);
  t.is(tables.signal, 'loss');
  t.true(tables.temperature > 0);
  t.true(tables.classProbs[1] > 0.5, `torus drawn most: ${tables.classProbs}`);
  const classCounts = [0, 0, 0];
  const yawCounts = [0, 0, 0, 0];
  const cells = new Set<string>();
  const N = 6000;
  for (let i = 0; i < N; i++) {
    const d = drawCell(tables, binning, rngFor(1, i, 'session-batch-0'));
    classCounts[d.classIndex]++;
    yawCounts[d.bins[0]]++;
    cells.add(`${d.classIndex}/${d.bins.join('/')}`);
    t.is(d.overrides.class, binning.classes[d.classIndex]);
    t.true(Number(d.overrides.yaw) >= d.bins[0] * 90 && Number(d.overrides.yaw) < (d.bins[0] + 1) * 90, 'yaw inside its bin');
    t.is(d.overrides.texture, ['default', 'wood', 'checker'][d.bins[1]]);
  }
  t.true(classCounts[1] > classCounts[0] * 2 && classCounts[1] > classCounts[2] * 2, `torus drawn far more often: ${classCounts}`);
  t.true(yawCounts[3] > yawCounts[0] * 1.5, `the hard yaw bin drawn more often: ${yawCounts}`);
  t.is(cells.size, 3 * 4 * 3, 'every (class, yaw bin, texture) cell drawn at least once');
  for (const n of classCounts) t.true(n >= N * 0.2 / 3 * 0.8, `each class at least about eps / K of the draws: ${classCounts}`);
});

test('a fixed temperature is used as given; a higher one flattens the mixture', (t) => {
  const m = hardMap();
  const cold = mixtureTables(m, { ...OPTS, temperature: 0.25 });
  const warm = mixtureTables(m, { ...OPTS, temperature: 5 });
  t.is(cold.temperature, 0.25);
  t.true(cold.classProbs[1] > warm.classProbs[1]);
  t.true(warm.classProbs[1] < 0.45);
});

test('crossEntropy is logsumexp minus the target logit', (t) => {
  const logits = new Float32Array([2, 0, -1, 0, 0, 0]);
  const expect = Math.log(Math.exp(2) + 1 + Math.exp(-1)) - 2;
  t.true(Math.abs(crossEntropy(logits, 0, 3, 0) - expect) < 1e-6);
  t.true(Math.abs(crossEntropy(logits, 1, 3, 2) - Math.log(3)) < 1e-6);
  t.true(crossEntropy(logits, 0, 3, 2) > crossEntropy(logits, 0, 3, 0), 'a wrong target costs more');
  t.throws(() => crossEntropy(logits, 0, 3, 3), { instanceOf: RangeError });
});

test('hardestIndices keeps the n largest, in position order, ties to the earlier', (t) => {
  t.deepEqual(hardestIndices([0.1, 5, 3, 5, 0], 2), [1, 3]);
  t.deepEqual(hardestIndices([1, 1, 1, 1], 2), [0, 1]);
  t.deepEqual(hardestIndices([4, 3, 2], 5), [0, 1, 2]);
});

test('resizeToRgb averages areas and drops alpha', (t) => {
  const rgba = new Uint8Array(4 * 4 * 4);
  for (let p = 0; p < 16; p++) rgba.set([p < 8 ? 200 : 0, 10, p % 2 ? 100 : 0, 255], p * 4);
  const out = resizeToRgb(rgba, 4, 4, 2, 2);
  t.deepEqual(Array.from(out), [200, 10, 50, 200, 10, 50, 0, 10, 50, 0, 10, 50]);
  t.deepEqual(Array.from(resizeToRgb(rgba, 4, 4, 4, 4).subarray(0, 6)), [200, 10, 0, 200, 10, 100]);
  const odd = resizeToRgb(new Uint8Array(3 * 3 * 4).fill(90), 3, 3, 2, 2);
  t.deepEqual(Array.from(odd), Array(12).fill(90), 'partial pixels weighted by coverage');
});
