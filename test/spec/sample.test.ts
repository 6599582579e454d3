import test from 'ava';
import { planSampling, describeSample, gridAxes, gridSize, gridCell, filterGrid, shardRange, matchesCombo, placeObjects } from '../../src/spec/sample.js';
import { PLAN_LIMITS, classesByLabel, classesText, parseSpec } from '../../src/spec/schema.js';
import { InputError } from '../../src/core/errors.js';
import { rngFor } from '../../src/core/random.js';
import { catalog, spec } from '../helpers.js';

test('sample i is a pure function of (spec, seed, i)', (t) => {
  const plan = planSampling(spec({ seed: 5, count: 50 }), catalog);
  const again = planSampling(spec({ seed: 5, count: 50 }), catalog);
  t.deepEqual(describeSample(plan, 17), describeSample(again, 17));
  t.notDeepEqual(describeSample(plan, 17), describeSample(plan, 18), 'neighbours differ');
  const other = planSampling(spec({ seed: 6, count: 50 }), catalog);
  t.notDeepEqual(describeSample(plan, 17).factors, describeSample(other, 17).factors, 'another seed differs');
});

test('sample i does not depend on the count or on which samples came before', (t) => {
  const small = planSampling(spec({ seed: 1, count: 20 }), catalog);
  const big = planSampling(spec({ seed: 1, count: 2000 }), catalog);
  t.deepEqual(describeSample(small, 19), describeSample(big, 19));
});

test('adding a factor leaves the other factors\' draws unchanged', (t) => {
  const a = describeSample(planSampling(spec({ seed: 2 }), catalog), 3);
  const b = describeSample(planSampling(spec({ seed: 2, factors: { 'camera.fov': { uniform: [30, 50] } } }), catalog), 3);
  t.is(a.factors.yaw, b.factors.yaw);
  t.not(a.factors['camera.fov'], b.factors['camera.fov']);
});

test('distributions are respected', (t) => {
  const plan = planSampling(spec({
    count: 500, classes: ['cube', 'torus'],
    factors: { yaw: { uniform: [10, 20] }, scale: { choice: [0.5, 2], weights: [0, 1] }, pitch: { normal: [0, 30], clip: [-5, 5] }, asset: { int: [1, 2] }, environment: { const: 'night' } },
  }), catalog);
  for (let i = 0; i < 500; i++) {
    const d = describeSample(plan, i);
    const o = d.objects[0];
    t.true(o.yaw >= 10 && o.yaw < 20);
    t.is(o.scale, 2, 'zero weight never drawn');
    t.true(o.pitch >= -5 && o.pitch <= 5, 'normal is clipped');
    t.true(o.asset === 1 || o.asset === 2);
    t.is(d.environment, 'night');
    t.true(['cube', 'torus'].includes(o.class));
  }
});

test('grid mode enumerates the full product', (t) => {
  const s = spec({
    mode: 'grid', classes: ['cube', 'sphere', 'cone'],
    factors: { scale: { values: [0.7, 1, 1.3] }, texture: { choice: ['default', 'checker'] }, 'camera.azimuth': { values: [0, 45, 225, 315] } },
  });
  const axes = gridAxes(s);
  t.deepEqual(axes.map((a) => a.name), ['class', 'scale', 'texture', 'camera.azimuth']);
  t.is(gridSize(axes), 3 * 3 * 2 * 4);
  const plan = planSampling(s, catalog);
  t.is(plan.count, 72, 'count defaults to the grid size');
  const seen = new Set<string>();
  for (let i = 0; i < plan.count; i++) {
    const f = describeSample(plan, i).factors;
    seen.add(`${f.class}|${f.scale}|${f.texture}|${f['camera.azimuth']}`);
  }
  t.is(seen.size, 72, 'every cell exactly once');
});

test('grid holdout splits are complementary', (t) => {
  const base = { mode: 'grid', classes: ['cube', 'sphere'], factors: { texture: { values: ['checker', 'wood', 'marble'] } }, holdout: [{ class: 'sphere', texture: 'wood' }] };
  const train = planSampling(spec(base), catalog);
  const held = planSampling(spec({ ...base, split: 'holdout' }), catalog);
  t.is(train.count, 5);
  t.is(held.count, 1);
  const f = describeSample(held, 0).factors;
  t.is(f.class, 'sphere');
  t.is(f.texture, 'wood');
  for (let i = 0; i < train.count; i++) {
    const g = describeSample(train, i).factors;
    t.false(g.class === 'sphere' && g.texture === 'wood');
  }
});

test('random holdout: train never matches, holdout always matches', (t) => {
  const base = { count: 300, classes: ['cube', 'sphere'], factors: { texture: { choice: ['checker', 'wood'] }, yaw: { uniform: [0, 360] } }, holdout: [{ class: 'sphere', texture: 'wood' }, { yaw: [0, 30] }] };
  const train = planSampling(spec(base), catalog);
  const held = planSampling(spec({ ...base, split: 'holdout' }), catalog);
  for (let i = 0; i < 300; i++) {
    const a = describeSample(train, i).factors;
    t.false((a.class === 'sphere' && a.texture === 'wood') || (a.yaw as number) <= 30, `train sample ${i} is held out`);
    const b = describeSample(held, i).factors;
    t.true((b.class === 'sphere' && b.texture === 'wood') || (b.yaw as number) <= 30, `holdout sample ${i} matches a combo`);
  }
});

test('matchesCombo: names, numbers and ranges', (t) => {
  t.true(matchesCombo({ class: 'cube', yaw: 10 }, { class: 'cube' }));
  t.false(matchesCombo({ class: 'cube', yaw: 10 }, { class: 'cube', yaw: [20, 30] }));
  t.true(matchesCombo({ class: 'cube', yaw: 25 }, { yaw: [20, 30] }));
});

test('shards are disjoint, contiguous and cover the whole', (t) => {
  for (const [count, n] of [[10, 3], [100, 7], [5, 5], [3, 4]]) {
    let next = 0;
    for (let k = 0; k < n; k++) {
      const [a, b] = shardRange(count, k, n);
      t.is(a, next, 'contiguous');
      t.true(b >= a);
      next = b;
    }
    t.is(next, count, 'covers every index');
  }
});

test('multi-object placement has no overlaps', (t) => {
  const radii = [0.5, 0.3, 0.6, 0.4, 0.5];
  const pos = placeObjects(radii, rngFor(1, 1, 'layout'));
  for (let i = 0; i < pos.length; i++) {
    for (let j = i + 1; j < pos.length; j++) {
      const d = Math.hypot(pos[i][0] - pos[j][0], pos[i][2] - pos[j][2]);
      t.true(d >= radii[i] + radii[j], `objects ${i} and ${j} overlap`);
    }
  }
  const plan = planSampling(spec({ count: 5, factors: { objects: { const: 4 } } }), catalog);
  t.is(describeSample(plan, 0).objects.length, 4);
});

test('plan.overrides fix the scene and first object factors of listed indices only; a holdout split\'s combination still wins', (t) => {
  const s = spec({ seed: 4, classes: ['cube', 'torus'], factors: { yaw: { uniform: [0, 360] }, objects: { const: 2 }, texture: { choice: ['default', 'wood'] } } });
  const plan = planSampling(s, catalog);
  const fixed = { ...plan, overrides: new Map([[3, { class: 'torus', yaw: 12.5, texture: 'wood', 'camera.fov': 55 }]]) };
  const d = describeSample(fixed, 3);
  t.is(d.objects[0].class, 'torus');
  t.is(d.objects[0].yaw, 12.5);
  t.is(d.objects[0].texture, 'wood');
  t.is(d.camera.fov, 55, 'a scene factor');
  t.is(describeSample(fixed, 3).objects[1].yaw, describeSample(plan, 3).objects[1].yaw, 'the second object is not fixed');
  t.deepEqual(describeSample(fixed, 4), describeSample(plan, 4), 'indices without overrides are plain samples');
  const held = planSampling(spec({ seed: 4, classes: ['cube', 'torus'], split: 'holdout', holdout: [{ class: 'cube' }] }), catalog);
  t.is(describeSample({ ...held, overrides: new Map([[0, { class: 'torus' }]]) }, 0).objects[0].class, 'cube', 'the holdout combination wins');
});

test('plan caps: a sweep, a values list, a holdout and a filtered grid over their cap are refused before anything is built, naming the cap', (t) => {
  // 520,000 yaw values in a sweep over every class froze a server for 152 s before the cap.
  const many = Array.from({ length: PLAN_LIMITS.maxValuesPerFactor + 1 }, (_, i) => i % 360);
  const values = t.throws(() => spec({ mode: 'sweep', factors: { yaw: { values: many } } }), { instanceOf: InputError });
  t.is(values!.message, `factors.yaw.values: expected at most ${PLAN_LIMITS.maxValuesPerFactor} values (cap maxValuesPerFactor), got ${many.length}`);
  // Under the values cap, the sweep's cells are counted before they are listed.
  const yaws = Array.from({ length: 9_000 }, (_, i) => i / 25);
  const sweep = t.throws(() => planSampling(spec({ mode: 'sweep', factors: { yaw: { values: yaws }, pitch: { values: yaws.map((v) => v / 4) }, asset: { values: [0, 1, 2] } } }), catalog), { instanceOf: InputError });
  t.regex(sweep!.message, /^factors: expected a sweep of at most 100000 cells \(cap maxSweepCells;.*got 269985$/);
  const combos = t.throws(() => spec({ holdout: Array.from({ length: PLAN_LIMITS.maxHoldoutCombos + 1 }, () => ({ class: 'cube' })) }), { instanceOf: InputError });
  t.is(combos!.message, `holdout: expected at most ${PLAN_LIMITS.maxHoldoutCombos} combinations (cap maxHoldoutCombos), got ${PLAN_LIMITS.maxHoldoutCombos + 1}`);
  const big = { mode: 'grid', factors: { yaw: { values: Array.from({ length: 2000 }, (_, i) => i / 10) }, pitch: { values: Array.from({ length: 1000 }, (_, i) => i / 100) } }, holdout: [{ class: 'cube' }] };
  const grid = t.throws(() => planSampling(spec(big), catalog), { instanceOf: InputError });
  t.is(grid!.message, `holdout: expected a grid of at most ${PLAN_LIMITS.maxFilteredGridCells} cells when filtering (cap maxFilteredGridCells), got 10000000`);
  const checks = { mode: 'grid', factors: { yaw: { values: Array.from({ length: 1000 }, (_, i) => i / 10) }, pitch: { values: Array.from({ length: 200 }, (_, i) => i / 100) } }, holdout: Array.from({ length: 60 }, (_, i) => ({ yaw: i / 10 })) };
  const work = t.throws(() => planSampling(spec(checks), catalog), { instanceOf: InputError });
  t.regex(work!.message, /cap maxHoldoutChecks\), got "1000000 x 60"$/);
});

test('the grid holdout filter keeps exactly the cells a per-cell check keeps', (t) => {
  const s = spec({ mode: 'grid', factors: { yaw: { values: [0, 45, 90, 135] }, texture: { values: ['checker', 'wood', 'marble'] }, scale: { values: [0.5, 1] } },
    holdout: [{ class: 'sphere', texture: 'wood' }, { yaw: [40, 100], scale: 1 }, { texture: 'marble', yaw: 135 }] });
  const axes = gridAxes(s);
  for (const held of [false, true]) {
    const expected: number[] = [];
    for (let c = 0; c < gridSize(axes); c++) if (s.holdout.some((combo) => matchesCombo(gridCell(axes, c), combo)) === held) expected.push(c);
    t.deepEqual([...filterGrid(axes, s.holdout, held)], expected, `held ${held}`);
    t.true(expected.length > 0 && expected.length < gridSize(axes), 'the filter splits the grid');
  }
});

test('a random-mode holdout that leaves its split empty is refused when planned, not at the first sample', (t) => {
  const e = t.throws(() => planSampling(spec({ classes: ['cube'], holdout: [{ class: 'cube' }] }), catalog), { instanceOf: InputError });
  t.regex(e!.message, /^holdout: expected a train split that random sampling can reach/);
  t.notThrows(() => planSampling(spec({ classes: ['cube', 'torus'], holdout: [{ class: 'cube' }] }), catalog));
});

test('class labels are positions in the sorted class names, whatever order the spec lists them in', (t) => {
  // torchvision's ImageFolder: classes = sorted(entry.name for entry in os.scandir(dir) if entry.is_dir())
  const s = spec({ count: 40, classes: ['torus', 'cube', 'sphere'] });
  t.deepEqual(classesByLabel(s.classes), ['cube', 'sphere', 'torus']);
  t.is(classesText(s.classes), 'cube\nsphere\ntorus\n');
  t.deepEqual(classesByLabel(['b', 'B', 'a', '_x', 'é', 'z']), ['B', '_x', 'a', 'b', 'z', 'é'], 'code-point order, as Python sorts str');
  const plan = planSampling(s, catalog);
  const seen = new Map<string, number>();
  for (let i = 0; i < 40; i++) for (const o of describeSample(plan, i).objects) seen.set(o.class, o.classIndex);
  t.deepEqual(Object.fromEntries(seen), { cube: 0, sphere: 1, torus: 2 }, 'the spec lists torus first, its label is 2');
  t.is(parseSpec({ classes: ['cube', 'torus'] }, catalog).classes[0], 'cube');
});
