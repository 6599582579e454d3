import test from 'ava';
import { InputError } from '../../src/core/errors.js';
import { rngFor } from '../../src/core/random.js';
import { binLabel, binOf, buildBinning, drawInBin, NO_BIN, totalBins, variedFactors } from '../../src/feedback/bins.js';
import { spec } from '../helpers.js';

const S = spec({
  classes: ['cube', 'torus', 'sphere'],
  factors: {
    yaw: { uniform: [0, 360] }, pitch: { const: 0 }, texture: { choice: ['default', 'checker', 'wood'] },
    objects: { int: [1, 3] }, 'camera.elevation': { normal: [20, 5], clip: [10, 25] }, scale: { choice: [1, 2], weights: [1, 0] },
  },
});

test('only factors the spec varies are binned: uniform/normal/int get k bins, choices one per value, const none', (t) => {
  const b = buildBinning(S);
  t.deepEqual(b.classes, ['cube', 'torus', 'sphere'], 'the class axis');
  t.deepEqual(b.factors.map((f) => f.factor), ['objects', 'yaw', 'texture', 'camera.elevation'], 'canonical order; pitch (const) and scale (one drawable value) left out');
  const byName = Object.fromEntries(b.factors.map((f) => [f.factor, f]));
  t.is(byName.yaw.count, 4, 'default 4 bins');
  t.deepEqual(byName.yaw.kind === 'range' && [byName.yaw.min, byName.yaw.max], [0, 360]);
  t.is(byName.objects.count, 3, 'an int range of 3 values gets 3 bins, not 4');
  t.is(byName.texture.count, 3);
  const elev = byName['camera.elevation'];
  t.deepEqual(elev.kind === 'range' && [elev.min, elev.max], [10, 25], 'normal: mu ± 3 sigma cut by the clip');
  t.is(totalBins(b), 4 + 3 + 3 + 4);
  t.deepEqual(variedFactors(S), ['objects', 'yaw', 'texture', 'camera.elevation']);
});

test('bins: k is configurable, factors can be chosen (even unlisted ones whose default varies), bad choices name the option', (t) => {
  const b = buildBinning(S, { bins: 8, factors: ['yaw', 'light.azimuth'] });
  t.deepEqual(b.factors.map((f) => [f.factor, f.count]), [['yaw', 8], ['light.azimuth', 8]]);
  const e = t.throws(() => buildBinning(S, { factors: ['yaw', 'pitch'] }), { instanceOf: InputError });
  t.regex(e!.message, /^options\.factors\[1\]: expected a factor the spec varies \(one of: .*yaw.*\), got "pitch"/);
  t.throws(() => buildBinning(S, { factors: ['class'] }), { message: /options\.factors\[0\]: expected a factor other than class/ });
  t.throws(() => buildBinning(S, { bins: 0 }), { message: /options\.bins: expected an integer in \[1, 254\]/ });
});

test('binOf maps values to bins (edges, clamping, lists) and drawInBin stays inside the bin', (t) => {
  const b = buildBinning(S);
  const yaw = b.factors.find((f) => f.factor === 'yaw')!;
  t.is(binOf(yaw, 0), 0);
  t.is(binOf(yaw, 89.999), 0);
  t.is(binOf(yaw, 90), 1);
  t.is(binOf(yaw, 359.9), 3);
  t.is(binOf(yaw, 400), 3, 'clamped into range');
  t.is(binOf(yaw, 'x'), NO_BIN);
  const tex = b.factors.find((f) => f.factor === 'texture')!;
  t.is(binOf(tex, 'wood'), 2);
  t.is(binOf(tex, 'grass'), NO_BIN, 'a value outside the list is in no bin');
  t.is(binLabel(yaw, 1), '[90, 180)');
  t.is(binLabel(yaw, 3), '[270, 360]');
  const ints = buildBinning(spec({ classes: ['cube'], factors: { objects: { int: [1, 10] } } })).factors[0];
  t.deepEqual([...Array(4).keys()].map((j) => binLabel(ints, j)), ['[1, 3]', '[4, 5]', '[6, 8]', '[9, 10]']);
  for (const fb of [yaw, tex, ints]) {
    for (let j = 0; j < fb.count; j++) {
      for (let k = 0; k < 50; k++) {
        const v = drawInBin(fb, j, rngFor(1, k, `${fb.factor}${j}`));
        t.is(binOf(fb, v), j, `${fb.factor} value ${v} drawn for bin ${j}`);
      }
    }
  }
});

test('the class axis follows factors.class (zero weights left out)', (t) => {
  const b = buildBinning(spec({ classes: ['cube', 'torus', 'sphere'], factors: { class: { choice: ['torus', 'cube', 'sphere'], weights: [1, 2, 0] } } }));
  t.deepEqual(b.classes, ['torus', 'cube']);
  t.deepEqual(buildBinning(spec({ classes: ['cube', 'torus'], factors: { class: { const: 'torus' } } })).classes, ['torus']);
});
