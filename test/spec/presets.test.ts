import test from 'ava';
import { readdir } from 'node:fs/promises';
import { createAssetLibrary } from '../../src/assets/library.js';
import { loadSpec } from '../../src/spec/load.js';
import { planSampling, describeSample } from '../../src/spec/sample.js';
import { matchesCombo } from '../../src/spec/sample.js';

const catalog = createAssetLibrary().catalog();

test('every preset in scenes/ validates and describes its samples', async (t) => {
  const files = (await readdir('scenes')).filter((f) => f.endsWith('.json'));
  t.true(files.length >= 8, `presets: ${files.join(', ')}`);
  for (const f of files) {
    const spec = await loadSpec(`scenes/${f}`, catalog);
    const plan = planSampling(spec, catalog);
    t.true(plan.count > 0, f);
    for (const i of [0, 1, plan.count - 1]) {
      const d = describeSample(plan, i);
      t.true(d.objects.length >= 1, `${f} sample ${i}`);
    }
  }
});

test('the held-out split pair is complementary', async (t) => {
  const train = await loadSpec('scenes/holdout-train.json', catalog);
  const held = await loadSpec('scenes/holdout-test.json', catalog);
  t.deepEqual(train.holdout, held.holdout, 'same combinations');
  const pt = planSampling(train, catalog);
  const ph = planSampling(held, catalog);
  for (let i = 0; i < 200; i++) {
    const a = describeSample(pt, i).factors;
    const b = describeSample(ph, i).factors;
    t.false(train.holdout.some((c) => matchesCombo(a, c)), `train sample ${i} is held out`);
    t.true(held.holdout.some((c) => matchesCombo(b, c)), `test sample ${i} matches a combination`);
  }
  t.not(train.seed, held.seed, 'each preset has its own seed');
  const sameView = Array.from({ length: 200 }, (_, i) => [describeSample(pt, i).factors, describeSample(ph, i).factors])
    .filter(([a, b]) => a.yaw === b.yaw && a['camera.elevation'] === b['camera.elevation']).length;
  t.is(sameView, 0, 'sample i of the test preset does not repeat the yaw and elevation of sample i of the train preset');
});

test('the sweep preset varies one factor at a time around the canonical view', async (t) => {
  const spec = await loadSpec('scenes/imagenet-sweep.json', catalog);
  const plan = planSampling(spec, catalog);
  const perClass = plan.count / spec.classes.length;
  t.is(perClass, 1 + 11 + 4 + 4 + 2 + 4 + 7 + 4 + 7);
  const canonical = describeSample(plan, 0).factors;
  t.is(canonical.sweep, 'canonical');
  for (let i = 1; i < perClass; i++) {
    const f = describeSample(plan, i).factors;
    const changed = ['yaw', 'camera.elevation', 'roll', 'pitch', 'scale', 'texture', 'light.intensity', 'environment'].filter((k) => f[k] !== canonical[k]);
    t.deepEqual(changed, [f.sweep], `sample ${i} changes only ${f.sweep}`);
  }
});
