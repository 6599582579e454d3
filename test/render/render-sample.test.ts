import test from 'ava';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer, type SceneRenderer } from '../../src/render/renderer.js';
import { renderSample, MAX_LAYOUT_ATTEMPTS } from '../../src/render/render-sample.js';
import { parseSpec } from '../../src/spec/schema.js';
import { planSampling } from '../../src/spec/sample.js';

const library = createAssetLibrary();
const catalog = library.catalog();
let renderer: SceneRenderer;
test.before(async () => { renderer = await createRenderer(library); });
test.after.always(() => renderer?.dispose());

const crowded = (minVisiblePixels: number) => planSampling(parseSpec({
  seed: 4, count: 6, resolution: [64, 64], classes: ['cube', 'sphere', 'cylinder'], minVisiblePixels,
  factors: { objects: { const: 6 }, 'camera.elevation': { const: 3 }, 'camera.azimuth': { const: 0 } },
}, catalog), catalog);

test('the minimum-visible-pixels rule redraws layouts, deterministically', async (t) => {
  const plan = crowded(60);
  let redrawn = 0;
  for (let i = 0; i < plan.count; i++) {
    const a = await renderSample(renderer, plan, i, [], 60);
    t.true(a.layoutAttempts >= 1 && a.layoutAttempts <= MAX_LAYOUT_ATTEMPTS);
    if (a.layoutAttempts > 1) redrawn++;
    t.is(a.frame.labels, undefined, 'labels not asked, none returned');
    const b = await renderSample(renderer, plan, i, ['boxes'], 60);
    t.deepEqual(b.desc, a.desc, `sample ${i}: same layout chosen again`);
    const worst = Math.min(...b.frame.labels!.objects.map((o) => o.area));
    if (b.layoutAttempts < MAX_LAYOUT_ATTEMPTS) t.true(worst >= 60, `sample ${i}: every object shows >= 60 px (worst ${worst})`);
  }
  t.true(redrawn > 0, 'a crowded low camera makes the rule redraw some layouts');
  const off = await renderSample(renderer, crowded(0), 0, [], 0);
  t.is(off.layoutAttempts, 1, 'rule off: first layout kept');
});

test('relations and caption come with every sample', async (t) => {
  const plan = planSampling(parseSpec({ seed: 1, count: 1, resolution: [48, 48], classes: ['cube', 'torus'], factors: { objects: { const: 2 }, color: { choice: ['red', 'blue'] }, environment: { const: 'meadow' } } }, catalog), catalog);
  const s = await renderSample(renderer, plan, 0, []);
  t.regex(s.caption, /^an? (red|blue) (cube|torus) .*(cube|torus) on grass$/);
  t.is(s.relations.left.length, 2);
});
