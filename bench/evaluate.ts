/**
 * Evaluation benchmark: the throughput of `evaluate` (renders straight into batched classifier runs,
 * report written) against the render rate alone and the model rate alone, on the same spec and model,
 * and the ratio to the slower of the two (target: at least 80%). Each rate is the best of `--rounds`
 * rounds, the three measured in turn within a round.
 * Usage: npm run bench:evaluate [-- --count 400 --size 32 --workers auto|N --rounds 2 --batch 32]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAssetLibrary } from '../src/assets/library.js';
import { createRenderers, samplesInFlight, autoWorkers } from '../src/render/pool.js';
import { renderSample } from '../src/render/render-sample.js';
import { inOrder } from '../src/core/ordered.js';
import { parseSpec } from '../src/spec/schema.js';
import { planSampling } from '../src/spec/sample.js';
import { loadClassifier, DEFAULT_JUDGE } from '../src/diffusion/load.js';
import { resizeToRgb } from '../src/feedback/strategy.js';
import { evaluate, EVALUATE_DEFAULTS } from '../src/evaluate/run.js';

const { values } = parseArgs({ options: { count: { type: 'string' }, size: { type: 'string' }, workers: { type: 'string' }, rounds: { type: 'string' }, batch: { type: 'string' } } });
const count = Number(values.count ?? 400);
const size = Number(values.size ?? 32);
const rounds = Number(values.rounds ?? 2);
const batch = Number(values.batch ?? EVALUATE_DEFAULTS.batch);
const workers = values.workers === undefined || values.workers === 'auto' ? autoWorkers(count) : Number(values.workers);

const library = createAssetLibrary();
const catalog = library.catalog();
const model = await loadClassifier(DEFAULT_JUDGE);
const spec = parseSpec({
  name: 'bench-evaluate', seed: 9, count, resolution: [size, size], classes: model.manifest.classes,
  factors: { yaw: { uniform: [0, 360] }, environment: { choice: ['studio', 'studio-white', 'meadow', 'street', 'sunset'] }, 'camera.distance': { uniform: [2.0, 2.6] } },
}, catalog);
const plan = planSampling(spec, catalog);
const renderer = await createRenderers(library, { workers, framePixels: size * size });
const { width: mw, height: mh } = model.manifest.image;
const indices = Array.from({ length: count }, (_, i) => i);
const depth = Math.max(2, samplesInFlight(renderer));

/** Render every sample to model-size pixels (kept for the model-only pass); samples/s. */
async function renderAlone(): Promise<{ rate: number; pixels: Uint8Array[] }> {
  const t0 = performance.now();
  const pixels: Uint8Array[] = [];
  for await (const s of inOrder(indices, depth, (i) => renderSample(renderer, plan, i))) pixels.push(resizeToRgb(s.frame.rgba, s.frame.width, s.frame.height, mw, mh));
  return { rate: count / ((performance.now() - t0) / 1000), pixels };
}

/** Classify the same pixels in batches, one run at a time; samples/s. */
async function modelAlone(pixels: Uint8Array[]): Promise<number> {
  const t0 = performance.now();
  const plane = mw * mh * 3;
  for (let i = 0; i < pixels.length; i += batch) {
    const group = pixels.slice(i, i + batch);
    const all = new Uint8Array(plane * group.length);
    group.forEach((p, k) => all.set(p, k * plane));
    await model.classifier.classify(all, group.length);
  }
  return count / ((performance.now() - t0) / 1000);
}

/** The whole evaluation, report and plots written; samples/s. */
async function evaluation(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-evaluate-'));
  try {
    const t0 = performance.now();
    await evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(dir, 'out'), batch });
    return count / ((performance.now() - t0) / 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`bench:evaluate: ${count} samples at ${size}² of ${spec.classes.length} classes, model ${model.manifest.name} (${mw}×${mh}), batch ${batch}, ${workers} renderer thread(s) on ${renderer.backend}`);
const best = { render: 0, model: 0, evaluate: 0 };
// warm-up: pipelines compiled, the model runner started
await evaluation();
for (let r = 0; r < rounds; r++) {
  const rendered = await renderAlone();
  const m = await modelAlone(rendered.pixels);
  const e = await evaluation();
  console.log(`round ${r + 1}: render ${rendered.rate.toFixed(1)}/s, model ${m.toFixed(1)}/s, evaluate ${e.toFixed(1)}/s`);
  best.render = Math.max(best.render, rendered.rate);
  best.model = Math.max(best.model, m);
  best.evaluate = Math.max(best.evaluate, e);
}
const floor = Math.min(best.render, best.model);
console.log('');
console.log('| measured | samples/s |');
console.log('| --- | ---: |');
console.log(`| render alone | ${best.render.toFixed(1)} |`);
console.log(`| model alone | ${best.model.toFixed(1)} |`);
console.log(`| evaluation (render → model → report) | ${best.evaluate.toFixed(1)} |`);
console.log(`| evaluation / min(render, model) | ${((best.evaluate / floor) * 100).toFixed(0)}% (target >= 80%) |`);
await renderer.dispose();
await model.session.release();
process.exit(0);
