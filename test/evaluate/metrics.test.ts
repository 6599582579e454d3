import test from 'ava';
import { aggregate, expectedCalibrationError, factorAxes, levelOf, sweepConsistency, wilsonInterval, type ScoredSample } from '../../src/evaluate/metrics.js';
import { resolveClassMapping, scoreLogits } from '../../src/evaluate/scoring.js';
import { InputError } from '../../src/core/errors.js';

const close = (a: number, b: number, eps = 1e-6) => Math.abs(a - b) <= eps;

/** Six samples worked by hand: two classes, two environments, two yaws. */
const SAMPLES: ScoredSample[] = [
  { index: 0, trueClass: 'a', factors: { environment: 's', yaw: 0 }, top1: 0, correct: true, confidence: 0.9, loss: 0.1 },
  { index: 1, trueClass: 'a', factors: { environment: 's', yaw: 90 }, top1: 1, correct: false, confidence: 0.62, loss: 1.2 },
  { index: 2, trueClass: 'a', factors: { environment: 'm', yaw: 0 }, top1: 0, correct: true, confidence: 0.82, loss: 0.2 },
  { index: 3, trueClass: 'b', factors: { environment: 'm', yaw: 90 }, top1: 0, correct: false, confidence: 0.72, loss: 2.0 },
  { index: 4, trueClass: 'b', factors: { environment: 's', yaw: 0 }, top1: 1, correct: true, confidence: 0.95, loss: 0.05 },
  { index: 5, trueClass: 'b', factors: { environment: 'm', yaw: 90 }, top1: 1, correct: true, confidence: 0.55, loss: 0.6 },
];

test('Wilson intervals match the textbook values', (t) => {
  const [lo, hi] = wilsonInterval(8, 10);
  t.true(close(lo, 0.490162) && close(hi, 0.943318), `8/10: [${lo}, ${hi}]`);
  t.deepEqual(wilsonInterval(0, 0), [0, 1], 'no samples: no information');
  const [lo0, hi0] = wilsonInterval(0, 1);
  t.is(lo0, 0);
  t.true(close(hi0, 0.793451), `0/1 upper ${hi0}`);
  t.throws(() => wilsonInterval(3, 2), { instanceOf: RangeError, message: /k <= n/ });
});

test('ECE bins confidences in fifteen equal bins', (t) => {
  // bin 9 holds 0.61 (right) and 0.63 (wrong): |0.5 - 0.62|; bin 14 holds 0.95 (right): |1 - 0.95|
  const ece = expectedCalibrationError([{ confidence: 0.61, correct: true }, { confidence: 0.63, correct: false }, { confidence: 0.95, correct: true }]);
  t.true(close(ece, (2 / 3) * 0.12 + (1 / 3) * 0.05, 1e-12), `ece ${ece}`);
  t.is(expectedCalibrationError([{ confidence: 1, correct: true }]), 0, 'a confidence of 1 falls in the last bin');
});

test('the aggregation of a hand-computed case', (t) => {
  const r = aggregate(SAMPLES, ['a', 'b'], { order: ['yaw', 'environment'], minCellCount: 1, worst: 3 });
  t.is(r.overall.n, 6);
  t.is(r.overall.correct, 4);
  t.is(r.overall.accuracy, 0.666667);
  t.deepEqual(r.overall.ci, [0.299993, 0.903229]);
  t.is(r.overall.meanLoss, 0.691667, '(0.1 + 1.2 + 0.2 + 2.0 + 0.05 + 0.6) / 6');
  t.is(r.overall.ece, 0.353333, 'every sample in its own bin: mean |correct - confidence| = 2.12 / 6');
  t.deepEqual(r.perClass.map((c) => [c.class, c.correct, c.n, c.meanLoss]), [['a', 2, 3, 0.5], ['b', 2, 3, 0.883333]]);

  t.deepEqual(r.factors.map((f) => f.factor), ['yaw', 'environment'], 'in the order asked');
  const yaw = r.factors[0].cells;
  t.deepEqual(yaw.map((c) => [c.value, c.correct, c.n, c.meanLoss]), [[0, 3, 3, 0.116667], [90, 1, 3, 1.266667]]);
  t.deepEqual(yaw[1].ci, [0.061492, 0.79234]);
  const env = r.factors[1].cells;
  t.deepEqual(env.map((c) => [c.value, c.correct, c.n, c.meanLoss]), [['m', 2, 3, 0.933333], ['s', 2, 3, 0.45]]);

  const classYaw = r.classFactors[0].cells;
  t.deepEqual(classYaw.map((c) => [c.class, c.value, c.correct, c.n]), [['a', 0, 2, 2], ['a', 90, 0, 1], ['b', 0, 1, 1], ['b', 90, 1, 2]]);

  t.is(r.pairs.length, 1);
  t.deepEqual([r.pairs[0].a, r.pairs[0].b], ['yaw', 'environment']);
  t.deepEqual(r.pairs[0].cells.map((c) => [c.a, c.b, c.correct, c.n]), [[0, 'm', 1, 1], [0, 's', 2, 2], [90, 'm', 1, 2], [90, 's', 0, 1]]);

  t.deepEqual(r.worst.map((w) => w.factors), [{ yaw: 90 }, { yaw: 90, environment: 's' }, { yaw: 90, environment: 'm' }],
    'ranked by the Wilson upper bound: 1/3 (0.792), 0/1 (0.793), 1/2 (0.905)');
  t.deepEqual(r.consistency, [], 'no sweep');
  const strict = aggregate(SAMPLES, ['a', 'b'], { minCellCount: 3 });
  t.true(strict.worst.every((w) => w.n >= 3), 'cells under the minimum count are not listed');
});

test('numeric factors with many values are binned; constant factors are left out', (t) => {
  const samples = [0, 1, 2, 4].map((x, i): ScoredSample => ({ index: i, trueClass: 'a', factors: { yaw: x, environment: 'studio' }, top1: 0, correct: true, confidence: 1, loss: 0 }));
  const axes = factorAxes(samples, [], { maxLevels: 2, bins: 2 });
  t.is(axes.length, 1, 'environment takes one value');
  t.deepEqual(axes[0].levels, ['[0, 2)', '[2, 4]']);
  t.deepEqual(samples.map((s) => levelOf(axes[0], s)), [0, 0, 1, 1]);
  t.is(factorAxes(samples, [], { maxLevels: 4 })[0].kind, 'values', 'few values stay values');
  const binned = factorAxes(samples, [], { only: ['yaw'], binned: new Set(['yaw']), bins: 2 });
  t.deepEqual(binned.map((a) => [a.factor, a.kind, a.levels]), [['yaw', 'bins', ['[0, 2)', '[2, 4]']]], 'a continuous factor is binned however few its values');
  t.deepEqual(factorAxes(samples, [], { only: ['environment'] }), [], 'only the factors asked');
  const envs = ['studio', 'meadow', 'night'].map((e, i): ScoredSample => ({ index: i, trueClass: 'a', factors: { environment: e }, top1: 0, correct: true, confidence: 1, loss: 0 }));
  t.deepEqual(factorAxes(envs)[0].levels, ['meadow', 'night', 'studio'], 'sorted by default');
  t.deepEqual(factorAxes(envs, [], { levelOrder: { environment: ['studio', 'night'] } })[0].levels, ['studio', 'night', 'meadow'], 'the spec\'s order, others after');
});

test('sweep consistency: share of sweeps whose prediction stays the canonical one', (t) => {
  const s = (index: number, sweep: string, top1: number): ScoredSample => ({ index, trueClass: 'a', factors: { sweep }, top1, correct: true, confidence: 1, loss: 0 });
  const samples = [
    s(0, 'canonical', 3), s(1, 'yaw', 3), s(2, 'yaw', 4), s(3, 'environment', 3),
    s(4, 'canonical', 1), s(5, 'yaw', 1), s(6, 'yaw', 1), s(7, 'environment', 1),
  ].reverse(); // order comes from the index
  const c = sweepConsistency(samples);
  t.deepEqual(c.map((x) => [x.factor, x.consistent, x.sweeps, x.share]), [['yaw', 1, 2, 0.5], ['environment', 2, 2, 1]]);
});

test('scoring: softmax, loss over the mapped outputs, entropy, top-k', (t) => {
  const model = ['cube', 'car', 'bus', 'mug'];
  const mapping = resolveClassMapping(['car', 'mug'], model, { car: ['car', 'bus'] });
  t.deepEqual(mapping.outputs, { car: [1, 2], mug: [3] });
  t.deepEqual(mapping.classOf, [null, 'car', 'car', 'mug']);
  const logits = [0, 0, 0, 0, Math.log(1), Math.log(2), Math.log(3), Math.log(4)];
  const car = scoreLogits(logits, 1, model, mapping, 'car', 2);
  t.is(car.top1, 3);
  t.is(car.predicted, 'mug');
  t.false(car.correct);
  t.true(close(car.confidence, 0.4, 1e-12));
  t.true(close(car.loss, -Math.log(0.5), 1e-12), `loss of car+bus mass 0.5: ${car.loss}`);
  t.true(close(car.entropy, 1.2798542258336676, 1e-12));
  t.deepEqual(car.top.map((e) => e.label), ['mug', 'bus']);
  const mug = scoreLogits(logits, 1, model, mapping, 'mug');
  t.true(mug.correct);
  t.true(close(mug.loss, -Math.log(0.4), 1e-12));
  const bus = scoreLogits(logits, 0, model, resolveClassMapping(['bus'], model, { bus: ['bus'] }), 'bus');
  t.is(bus.top1, 0, 'ties go to the lower index');
  t.false(bus.correct);
});

test('class mappings refuse unknown classes, unknown outputs, shared outputs and unmapped classes', (t) => {
  const model = ['cube', 'car', 'bus'];
  const err = (raw: unknown, spec = ['cube', 'car']) => t.throws(() => resolveClassMapping(spec, model, raw, '--map'), { instanceOf: InputError })!.message;
  t.regex(err({ dog: 'car' }), /^--map\.dog: expected a class of the spec \(one of: cube, car\), got "dog"/);
  t.regex(err({ car: 'truck' }), /--map\.car: expected a class of the model \(one of: cube, car, bus\)/);
  t.regex(err({ car: [1, 7] }), /--map\.car\[1\]: expected a model output index in \[0, 2\], got 7/);
  t.regex(err({}, ['cube', 'giraffe']), /^--map: expected a model class for every spec class; giraffe is not among the model's classes/);
  t.regex(err({ cube: 'car' }), /--map\.car: expected output indices no other class claims/);
  t.regex(err([1, 2]), /^--map: expected an object/);
  t.deepEqual(resolveClassMapping(['giraffe'], model, { giraffe: 2 }).outputs, { giraffe: [2] }, 'indices work');
});
