/**
 * Evidence that classifier-feedback guidance works: the default generator sampled at the same seeds
 * without and with guidance, for the entropy and the loss criteria in each mode. The guidance
 * classifier (synth-classifier-32-guide) measures the criterion it was steered by; a second,
 * independently trained classifier (the judge synth-classifier-32) measures whether the class stays
 * recognisable. Targets (issue #7): guidance raises the mean criterion over unguided sampling while the
 * judge's agreement stays within 10 points of unguided. Also reports the cost (time, denoiser and
 * classifier images per generated image) and writes docs/guidance.png (same seeds side by side).
 *
 * Usage: npm run eval:guidance [-- --per-class 10] [-- --steps 30] [-- --threads 0] [-- --seed 2000]
 *          [-- --guide synth-classifier-32-guide] [-- --judge synth-classifier-32] [-- --quick] [-- --no-picture]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePng } from '../src/pipeline/png.js';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE, DEFAULT_JUDGE, loadClassifier, loadDenoiser, loadGuidance } from '../src/diffusion/load.js';
import { resolveSettings, toPixels, type SampleSettings, type SamplerGuidance } from '../src/diffusion/sampler.js';
import { argmaxRows } from '../src/diffusion/classifier.js';
import type { Criterion, GuidanceMode, GuidanceOptions } from '../src/diffusion/guidance.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback?: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const quick = args.includes('--quick');
const perClass = Number(opt('per-class', quick ? '2' : '10'));
const steps = Number(opt('steps', quick ? '10' : '30'));
const threads = Number(opt('threads', '0'));
const seed = Number(opt('seed', '2000'));
const guideRef = opt('guide', DEFAULT_GUIDE)!;
const judgeRef = opt('judge', DEFAULT_JUDGE)!;

const gen = await loadDenoiser(opt('model', DEFAULT_GENERATOR)!, { threads });
const judge = await loadClassifier(judgeRef, { threads });
const classes = gen.manifest.classes;
const image = gen.manifest.image;
const per = image.width * image.height * image.channels;
const requests = classes.flatMap((_, c) => Array.from({ length: perClass }, (_, k) => ({ classId: c, noiseIndex: k })));
const classIds = requests.map((r) => r.classId);

/** The two unguided baselines: the model's default solver for gradient guidance, stochastic DDIM for the others. */
const deterministic = resolveSettings(gen.manifest, { steps, seed });
const stochastic = resolveSettings(gen.manifest, { scheduler: 'ddim', eta: 1, steps, seed });

interface Row {
  label: string;
  criterion: Criterion | null;
  mode: GuidanceMode | null;
  settings: SampleSettings;
  entropy: number;
  loss: number;
  agreement: number;
  secondsPerImage: number;
  denoiserImagesPerImage: number;
  classifierImagesPerImage: number;
  pixels: Uint8Array;
}

const guideFor: Record<string, Awaited<ReturnType<typeof loadGuidance>>> = {};
async function guidance(settings: SampleSettings, options: GuidanceOptions): Promise<SamplerGuidance> {
  const key = `${settings.scheduler}/${JSON.stringify(options)}`;
  guideFor[key] ??= await loadGuidance(gen.manifest, { ...options, classifier: guideRef }, settings, classes, { threads });
  return guideFor[key].guidance;
}
// one guide (any mode) to measure the criteria of every row with the same classifier
const measure = (await guidance(stochastic, { criterion: 'entropy', mode: 'svdd' })).guide;

async function run(label: string, settings: SampleSettings, g: SamplerGuidance | null): Promise<Row> {
  const x = new Float32Array(requests.length * per);
  const classifiedBefore = g?.guide.stats.images ?? 0;
  let denoised = 0;
  const t0 = performance.now();
  const batch = 25;
  for (let i = 0; i < requests.length; i += batch) {
    const chunk = requests.slice(i, i + batch);
    const runsBefore = gen.sampler.stats.runs;
    const out = await gen.sampler.sampleBatch(chunk, settings, undefined, g ?? undefined);
    const newRuns = gen.sampler.stats.runs - runsBefore;
    denoised += gen.sampler.stats.runBatches.slice(-newRuns).reduce((s, b) => s + b, 0);
    x.set(out, i * per);
    process.stderr.write(`\r  ${label}: ${Math.min(i + batch, requests.length)}/${requests.length}   `);
  }
  process.stderr.write('\n');
  const seconds = (performance.now() - t0) / 1000;
  const classified = (g?.guide.stats.images ?? 0) - classifiedBefore;
  const entropy = (await measure.evaluate(x, classIds, 'entropy')).values;
  const loss = (await measure.evaluate(x, classIds, 'loss')).values;
  const pixels = new Uint8Array(requests.length * per);
  requests.forEach((_, i) => pixels.set(toPixels(x, i, image), i * per));
  const judged = await judge.classifier.classify(pixels, requests.length);
  const predictions = argmaxRows(judged.logits, judged.classes);
  const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    label, criterion: g?.settings.criterion ?? null, mode: g?.settings.mode ?? null, settings,
    entropy: mean(entropy), loss: mean(loss), agreement: predictions.filter((p, i) => p === classIds[i]).length / predictions.length,
    secondsPerImage: seconds / requests.length,
    // classifier-free guidance runs the model on 2 images per image: count images through the graph
    denoiserImagesPerImage: denoised / requests.length, classifierImagesPerImage: classified / requests.length,
    pixels,
  };
}

const rows: Row[] = [];
rows.push(await run(`unguided (${deterministic.scheduler})`, deterministic, null));
rows.push(await run('unguided (ddim, eta 1)', stochastic, null));
const hasGradients = Boolean(measure.classifier.outputs.gradients);
if (!hasGradients) console.log(`(${guideRef} has no gradient outputs: gradient rows skipped)`);
for (const criterion of ['entropy', 'loss'] as const) {
  if (hasGradients) rows.push(await run(`${criterion}, gradient`, deterministic, await guidance(deterministic, { criterion, mode: 'gradient' })));
  rows.push(await run(`${criterion}, svdd (M = 4)`, stochastic, await guidance(stochastic, { criterion, mode: 'svdd' })));
  rows.push(await run(`${criterion}, particles (K = 4)`, stochastic, await guidance(stochastic, { criterion, mode: 'particles' })));
}

const base = (r: Row) => (r.mode === 'gradient' || r.mode === null && r.settings === deterministic ? rows[0] : rows[1]);
console.log(`\nGenerator ${gen.manifest.name}, ${steps} steps, CFG ${deterministic.cfg}, seed ${seed}, ${perClass} per class x ${classes.length} classes = ${requests.length} images per row.`);
console.log(`Criteria measured by the guidance classifier ${guideRef}; agreement by the independent judge ${judgeRef}.`);
console.log('\n| sampling | mean entropy | mean loss | judge agreement | vs unguided | s / image | cost vs unguided | denoiser images / image | classifier images / image |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const b = base(r);
  const d = (r.agreement - b.agreement) * 100;
  console.log(`| ${r.label} | ${r.entropy.toFixed(3)} | ${r.loss.toFixed(3)} | ${(r.agreement * 100).toFixed(0)}% | ${r === b ? '-' : `${d >= 0 ? '+' : ''}${d.toFixed(0)} pts`} | ${r.secondsPerImage.toFixed(3)} | ${(r.secondsPerImage / b.secondsPerImage).toFixed(2)}x | ${r.denoiserImagesPerImage.toFixed(0)} | ${r.classifierImagesPerImage.toFixed(1)} |`);
}
const verdicts = rows.filter((r) => r.criterion).map((r) => {
  const b = base(r);
  const raised = r.criterion === 'entropy' ? r.entropy > b.entropy : r.loss > b.loss;
  const recognisable = r.agreement >= b.agreement - 0.1;
  return { label: r.label, raised, recognisable, pass: raised && recognisable };
});
console.log('\n| guided | criterion raised | agreement within 10 pts | verdict |');
console.log('| --- | --- | --- | --- |');
for (const v of verdicts) console.log(`| ${v.label} | ${v.raised ? 'yes' : 'no'} | ${v.recognisable ? 'yes' : 'no'} | ${v.pass ? 'PASS' : 'FAIL'} |`);

if (!args.includes('--no-picture') && !quick && hasGradients) {
  // docs/guidance.png: one row per class, 4 seeds per block; blocks: unguided | entropy gradient | unguided DDIM eta 1 | entropy svdd | loss gradient
  const blocks = [rows[0], rows[2], rows[1], rows[3], rows[5]];
  const seeds = Math.min(4, perClass);
  const scale = 2;
  const gap = 2;
  const blockGap = 10;
  const tile = image.width * scale;
  const blockWidth = seeds * (tile + gap);
  const width = blocks.length * blockWidth + (blocks.length - 1) * blockGap + gap;
  const height = classes.length * (tile + gap) + gap;
  const out = new Uint8Array(width * height * 3).fill(255);
  blocks.forEach((row, bi) => {
    for (let c = 0; c < classes.length; c++) {
      for (let k = 0; k < seeds; k++) {
        const src0 = (c * perClass + k) * per;
        const x0 = gap + bi * (blockWidth + blockGap) + k * (tile + gap);
        const y0 = gap + c * (tile + gap);
        for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) {
          const src = src0 + (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 3;
          const dst = ((y0 + y) * width + x0 + x) * 3;
          out[dst] = row.pixels[src]; out[dst + 1] = row.pixels[src + 1]; out[dst + 2] = row.pixels[src + 2];
        }
      }
    }
  });
  const path = join(ROOT, 'docs/guidance.png');
  await writeFile(path, await encodePng('rgb8', out, width, height));
  console.log(`\nwrote ${path}: columns of ${seeds} seeds: ${blocks.map((b) => b.label).join(' | ')}`);
}
if (!quick) await writeFile(join(ROOT, 'docs/guidance.json'), JSON.stringify({
  model: gen.manifest.name, guide: guideRef, judge: judgeRef, steps, seed, perClass, date: new Date().toISOString().slice(0, 10),
  rows: rows.map(({ pixels: _p, ...r }) => r), verdicts,
}, null, 2) + '\n');
for (const g of Object.values(guideFor)) await g.classifier.session.release();
await judge.session.release();
await gen.session.release();
process.exit(0);
