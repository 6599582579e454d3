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

test('instance areas written beside the image: the image is the plain render\'s, areas and boxes match the label pass', async (t) => {
  const plan = crowded(60);
  for (let i = 0; i < plan.count; i++) {
    const desc = (await renderSample(renderer, plan, i, [], 0)).desc;
    const plain = await renderer.render(desc);
    const withIds = await renderer.render(desc, { instanceAreas: true });
    const labelled = await renderer.render(desc, { labels: ['boxes'] });
    t.deepEqual(withIds.rgba, plain.rgba, `sample ${i}: same image bytes`);
    t.is(plain.labels, undefined);
    const a = withIds.labels!.objects;
    const b = labelled.labels!.objects;
    t.is(a.length, desc.objects.length);
    for (const [k, o] of a.entries()) {
      t.is(o.instance, k + 1);
      t.is(o.class, b[k].class);
      // The label pass draws objects double-sided; the colour pass with each material's own sides.
      t.true(Math.abs(o.area - b[k].area) <= Math.max(3, 0.03 * b[k].area), `sample ${i} object ${k}: area ${o.area} vs ${b[k].area}`);
      if (b[k].area > 20) t.true(o.bbox!.every((v, j) => Math.abs(v - b[k].bbox![j]) <= 1), `sample ${i} object ${k}: box ${o.bbox} vs ${b[k].bbox}`);
    }
    t.true(a.reduce((s, o) => s + o.area, 0) <= 64 * 64);
  }
  const asked = await renderer.render((await renderSample(renderer, plan, 0, [], 0)).desc, { labels: ['segmentation'], instanceAreas: true });
  t.truthy(asked.labels!.instanceMask, 'asked label passes win over instanceAreas');
});
