/**
 * Frames per readback, interleaved: single renderers with different batches (RenderOptions.batch) in
 * one process, rendering blocks of 100 samples in turn for several rounds, so the machine's drift
 * falls on every batch alike. Prints images/s per batch (render-only, two batches in flight each).
 * With --labels, every sample also asks for those label passes (e.g. all of them:
 * segmentation,depth,normals,boxes,visibility; visibility draws each object alone when there are several).
 * Usage: npm run bench:readback [-- --size 224] [-- --objects 1] [-- --rounds 8] [-- --batches 1,4,8] [-- --labels a,b]
 */
import { createAssetLibrary } from '../src/assets/library.js';
import { createRenderer, MAX_BATCH, type SceneRenderer } from '../src/render/renderer.js';
import { samplesInFlight } from '../src/render/pool.js';
import { parseSpec, LABEL_PASSES, type LabelPass } from '../src/spec/schema.js';
import { planSampling, describeSample } from '../src/spec/sample.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(name) ? args[args.indexOf(name) + 1] ?? '' : fallback);
const size = Number(arg('--size', '224'));
const objects = Number(arg('--objects', '1'));
const rounds = Number(arg('--rounds', '8'));
const batches = arg('--batches', '1,4,8').split(',').map(Number);
const labels = arg('--labels', '').split(',').filter(Boolean) as LabelPass[];
if (![size, objects, rounds].every((v) => Number.isInteger(v) && v > 0) || batches.some((b) => !Number.isInteger(b) || b < 1 || b > MAX_BATCH)) {
  console.error(`expected positive integers for --size, --objects, --rounds and batches from 1 to ${MAX_BATCH}, got ${JSON.stringify(args)}`);
  process.exit(2);
}
if (labels.some((p) => !LABEL_PASSES.includes(p))) {
  console.error(`--labels: expected comma-separated passes from ${LABEL_PASSES.join(', ')}, got ${JSON.stringify(arg('--labels', ''))}`);
  process.exit(2);
}
const block = 100;
const library = createAssetLibrary();
const catalog = library.catalog();
const plan = planSampling(parseSpec({
  name: 'bench', seed: 1, count: 1_000_000, resolution: [size, size], classes: catalog.classes.map((c) => c.name),
  factors: { objects: { const: objects }, environment: { choice: [...catalog.environments] }, texture: { choice: ['default', 'checker', 'wood', 'noise'] } },
}, catalog), catalog);

async function run(renderer: SceneRenderer, from: number, to: number): Promise<void> {
  const depth = samplesInFlight(renderer);
  const inFlight: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    inFlight.push(renderer.render(describeSample(plan, i), labels.length ? { labels } : {}));
    if (inFlight.length >= depth) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

const renderers: SceneRenderer[] = [];
for (const batch of batches) renderers.push(await createRenderer(library, { batch }));
// Warm-up: every renderer draws the same 600 samples (classes, textures, environments) before timing.
for (const r of renderers) await run(r, 0, 600);
const ms = batches.map(() => 0);
let next = 1000;
for (let round = 0; round < rounds; round++) {
  for (const [k, r] of renderers.entries()) {
    const t0 = performance.now();
    await run(r, next, next + block);
    ms[k] += performance.now() - t0;
    next += block;
  }
}
console.log(`\n${size}², ${objects} object(s)${labels.length ? `, labels ${labels.join(',')}` : ''}, one renderer each, ${rounds} rounds of ${block} samples, backend ${renderers[0].backend}`);
console.log('| frames per readback | img/s |');
console.log('| ---: | ---: |');
for (const [k, b] of batches.entries()) console.log(`| ${b} | ${((rounds * block) / ms[k] * 1000).toFixed(1)} |`);
for (const r of renderers) await r.dispose();
