import test from 'ava';
import { InputError } from '../../src/core/errors.js';
import { parseSpec, SPEC_DEFAULTS, MAX_SPEC_ISSUES } from '../../src/spec/schema.js';
import { catalog } from '../helpers.js';

function messageOf(t: import('ava').ExecutionContext, input: unknown): string {
  const err = t.throws(() => parseSpec(input, catalog), { instanceOf: InputError });
  return err!.message;
}

test('a minimal spec gets every default', (t) => {
  const s = parseSpec({}, catalog);
  t.is(s.seed, SPEC_DEFAULTS.seed);
  t.is(s.mode, 'random');
  t.deepEqual(s.resolution, [224, 224]);
  t.is(s.format, 'png');
  t.deepEqual(s.classes, catalog.classes.map((c) => c.name), 'all classes by default');
});

test('a full spec with every distribution kind validates', (t) => {
  const s = parseSpec({
    name: 'full', seed: 7, count: 10, mode: 'random', resolution: [128, 96], format: 'jpeg', quality: 80,
    classes: ['cube', 'sphere'],
    factors: {
      yaw: { uniform: [0, 360] }, pitch: { normal: [0, 10], clip: [-20, 20] }, scale: { choice: [0.7, 1, 1.3], weights: [1, 2, 1] },
      asset: { int: [0, 2] }, texture: { values: ['checker', 'wood'] }, color: { choice: ['red', '#00ff00'] },
      environment: { const: 'meadow' }, 'light.temperature': { uniform: [3000, 8000] },
    },
    holdout: [{ class: 'sphere', texture: 'wood' }],
  }, catalog);
  t.is(s.count, 10);
  t.deepEqual(s.factors.scale, { choice: [0.7, 1, 1.3], weights: [1, 2, 1] });
});

test('uniform with min > max names the path, expectation and value', (t) => {
  const msg = messageOf(t, { factors: { yaw: { uniform: [90, 10] } } });
  t.is(msg, 'factors.yaw.uniform: expected [min, max] with min <= max, got [90,10]');
});

test('unknown class lists the valid classes', (t) => {
  const msg = messageOf(t, { classes: ['cube', 'unicorn'] });
  t.regex(msg, /^classes\[1\]: expected a known class \(one of: cube, sphere/);
  t.regex(msg, /got "unicorn"/);
});

test('unknown texture and environment list the valid names', (t) => {
  t.regex(messageOf(t, { factors: { texture: { const: 'velvet' } } }), /factors\.texture\.const: expected a known texture \(one of: default, plain, checker/);
  t.regex(messageOf(t, { factors: { environment: { choice: ['studio', 'mars'] } } }), /factors\.environment\.choice\[1\]: expected a known environment .*got "mars"/);
});

test('unknown factor and unknown top-level key are refused', (t) => {
  t.regex(messageOf(t, { factors: { wobble: { const: 1 } } }), /factors\.wobble: expected a known factor \(one of: class, asset, objects, yaw/);
  t.regex(messageOf(t, { colour: 'red' }), /unknown keys \["colour"\]/);
});

test('type and range errors', (t) => {
  t.regex(messageOf(t, { count: 0 }), /^count: .*got 0/);
  t.regex(messageOf(t, { resolution: [224] }), /^resolution/);
  t.regex(messageOf(t, { format: 'gif' }), /^format: .*got "gif"/);
  t.regex(messageOf(t, { factors: { pitch: { const: 120 } } }), /factors\.pitch\.const: expected a value in \[-90, 90\] deg, got 120/);
  t.regex(messageOf(t, { factors: { yaw: { spin: 3 } } }), /factors\.yaw: expected a distribution object with one of the keys const, choice, uniform, normal, int, values/);
  t.regex(messageOf(t, { factors: { texture: { uniform: [0, 1] } } }), /factors\.texture\.uniform: expected texture takes names/);
  t.regex(messageOf(t, { factors: { scale: { choice: [1, 2], weights: [1] } } }), /factors\.scale\.weights: expected 2 weights, one per choice/);
  t.regex(messageOf(t, { factors: { objects: { uniform: [1, 3] } } }), /int: \[min, max\] for the integer factor objects/);
});

test('every problem is reported at once', (t) => {
  const err = t.throws(() => parseSpec({ count: -1, factors: { yaw: { uniform: [5, 1] } }, classes: ['nope'] }, catalog), { instanceOf: InputError });
  t.is(err!.issues.length, 3, err!.message);
});

test('holdout values are validated and the holdout split needs combos', (t) => {
  t.regex(messageOf(t, { holdout: [{ texture: 'velvet' }] }), /holdout\[0\]\.texture: expected a known texture/);
  t.regex(messageOf(t, { split: 'holdout' }), /^split: expected "train" unless holdout combinations are listed/);
  t.regex(messageOf(t, { classes: ['cube'], factors: { asset: { const: 7 } } }), /factors\.asset: expected variant indices below 3/);
});

test('a huge list of bad values reports the first problems only, and an over-long class list is refused whole', (t) => {
  const labels = t.throws(() => parseSpec({ classes: ['cube'], labels: Array(100_000).fill('nope') }, catalog), { instanceOf: InputError });
  t.is(labels!.issues.length, MAX_SPEC_ISSUES + 1);
  t.is(labels!.issues.at(-1)!.message, `(more problems; only the first ${MAX_SPEC_ISSUES} are listed)`);
  t.true(labels!.message.length < 20_000, `${labels!.message.length} characters`);
  const classes = t.throws(() => parseSpec({ classes: Array(200_000).fill('x') }, catalog), { instanceOf: InputError });
  t.is(classes!.message, `classes: expected at most ${catalog.classes.length} classes (each class of the catalog once), got 200000`);
  const factors = t.throws(() => parseSpec({ factors: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`f${i}`, { const: 1 }])) }, catalog), { instanceOf: InputError });
  t.is(factors!.issues.length, MAX_SPEC_ISSUES + 1);
});
