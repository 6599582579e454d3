/**
 * Quality gate of the default generator: the judge classifier's agreement with the intended class on
 * generated samples (per class and overall), with and without classifier-free guidance, and KID / FID
 * in the judge's penultimate feature space against real renders of a held-out spec
 * (models/train/dataset-eval.json, rendered into data/ on first use). Prints a markdown table and
 * writes models/<model>/eval.json; with --grid, also the sample grid (rows = classes).
 *
 * Usage: npm run eval:generator [-- --per-class 50] [-- --steps 25] [-- --scheduler dpmpp2m] [-- --cfg 3]
 *          [-- --model synth-unet-32] [-- --judge synth-classifier-32] [-- --seed 1000] [-- --threads 0]
 *          [-- --grid models/synth-unet-32/samples.png] [-- --quick]
 */
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { rngFor } from '../src/core/random.js';
import { encodePng } from '../src/pipeline/png.js';
import { DEFAULT_GENERATOR, DEFAULT_JUDGE, loadClassifier, loadDenoiser } from '../src/diffusion/load.js';
import { resolveSettings, toPixels, type SampleSettings, type Sampler } from '../src/diffusion/sampler.js';
import { argmaxRows, frechetDistance, kernelInceptionDistance, type Classifier } from '../src/diffusion/classifier.js';
import type { SchedulerName } from '../src/diffusion/schedulers.js';
import { main as synthMain } from '../src/cli/main.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, fallback?: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const quick = args.includes('--quick');
const perClass = Number(opt('per-class', quick ? '10' : '50'));
const modelRef = opt('model', DEFAULT_GENERATOR)!;
const judgeRef = opt('judge', DEFAULT_JUDGE)!;
const threads = Number(opt('threads', '0'));
const realDir = join(ROOT, opt('real', 'data/generator-eval-32')!);
const gridPath = opt('grid');

interface SetResult {
  label: string;
  settings: SampleSettings | null;
  count: number;
  overall: number;
  perClass: Record<string, number>;
  kid: { mean: number; std: number } | null;
  fid: number | null;
  seconds: number;
}

async function readRealRenders(classes: readonly string[], size: number): Promise<{ pixels: Uint8Array; labels: number[] }> {
  if (!existsSync(join(realDir, 'metadata.jsonl'))) {
    process.stderr.write(`rendering the reference set into ${realDir} (models/train/dataset-eval.json)\n`);
    const code = await synthMain(['export', '--spec', join(ROOT, 'models/train/dataset-eval.json'), '--out', realDir, '--quiet']);
    if (code !== 0) throw new Error(`export of the reference renders failed (exit ${code})`);
  }
  const chunks: Uint8Array[] = [];
  const labels: number[] = [];
  for (const [k, name] of classes.entries()) {
    const dir = join(realDir, 'images', name);
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.png')).sort()) {
      const raw = await sharp(join(dir, file)).removeAlpha().resize(size, size).raw().toBuffer();
      chunks.push(raw);
      labels.push(k);
    }
  }
  const pixels = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) { pixels.set(c, o); o += c.length; }
  return { pixels, labels };
}

async function judge(classifier: Classifier, pixels: Uint8Array, count: number): Promise<{ predictions: number[]; features: Float32Array; dim: number }> {
  const per = pixels.length / count;
  const predictions: number[] = [];
  const feats: Float32Array[] = [];
  let dim = 0;
  for (let i = 0; i < count; i += 250) {
    const n = Math.min(250, count - i);
    const out = await classifier.classify(pixels.subarray(i * per, (i + n) * per), n);
    predictions.push(...argmaxRows(out.logits, out.classes));
    feats.push(Float32Array.from(out.features));
    dim = out.featureDim;
  }
  const features = new Float32Array(feats.reduce((s, f) => s + f.length, 0));
  let o = 0;
  for (const f of feats) { features.set(f, o); o += f.length; }
  return { predictions, features, dim };
}

function agreement(predictions: number[], labels: number[], classes: readonly string[]) {
  const per: Record<string, number> = {};
  classes.forEach((name, k) => {
    const idx = labels.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
    per[name] = idx.length ? idx.filter((i) => predictions[i] === k).length / idx.length : NaN;
  });
  return { overall: predictions.filter((p, i) => p === labels[i]).length / labels.length, perClass: per };
}

async function generate(sampler: Sampler, settings: SampleSettings, classCount: number): Promise<{ pixels: Uint8Array; labels: number[]; seconds: number }> {
  const { image } = sampler.manifest;
  const per = image.width * image.height * image.channels;
  const jobs = Array.from({ length: classCount }, (_, c) => Array.from({ length: perClass }, (_, k) => ({ classId: c, noiseIndex: k }))).flat();
  const pixels = new Uint8Array(jobs.length * per);
  const start = performance.now();
  const batch = 50;
  for (let i = 0; i < jobs.length; i += batch) {
    const chunk = jobs.slice(i, i + batch);
    const x = await sampler.sampleBatch(chunk, settings);
    chunk.forEach((_, j) => pixels.set(toPixels(x, j, image), (i + j) * per));
    process.stderr.write(`\r  ${settings.scheduler} cfg ${settings.cfg}: ${Math.min(i + batch, jobs.length)}/${jobs.length}`);
  }
  process.stderr.write('\n');
  return { pixels, labels: jobs.map((j) => j.classId), seconds: (performance.now() - start) / 1000 };
}

async function writeGrid(path: string, pixels: Uint8Array, classCount: number, columns: number, size: number): Promise<void> {
  const scale = 2;
  const gap = 2;
  const tile = size * scale;
  const width = columns * (tile + gap) + gap;
  const height = classCount * (tile + gap) + gap;
  const out = new Uint8Array(width * height * 3).fill(255);
  for (let c = 0; c < classCount; c++) {
    for (let k = 0; k < columns; k++) {
      const base = (c * perClass + k) * size * size * 3;
      for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) {
        const src = base + (Math.floor(y / scale) * size + Math.floor(x / scale)) * 3;
        const dst = ((gap + c * (tile + gap) + y) * width + gap + k * (tile + gap) + x) * 3;
        out[dst] = pixels[src]; out[dst + 1] = pixels[src + 1]; out[dst + 2] = pixels[src + 2];
      }
    }
  }
  await writeFile(path, await encodePng('rgb8', out, width, height));
}

const pct = (v: number) => (Number.isNaN(v) ? '-' : `${(v * 100).toFixed(0)}%`);

const gen = await loadDenoiser(modelRef, { threads });
const judgeModel = await loadClassifier(judgeRef, { threads });
const classes = gen.manifest.classes;
if (judgeModel.manifest.classes.join() !== classes.join()) throw new Error(`judge classes [${judgeModel.manifest.classes}] differ from the model's [${classes}]`);
const size = gen.manifest.image.width;
const seed = Number(opt('seed', '1000'));
const base = resolveSettings(gen.manifest, {
  scheduler: opt('scheduler') as SchedulerName | undefined, steps: opt('steps') ? Number(opt('steps')) : undefined,
  cfg: opt('cfg') ? Number(opt('cfg')) : undefined, seed,
});

const real = await readRealRenders(classes, size);
const realJudged = await judge(judgeModel.classifier, real.pixels, real.labels.length);
const realAgreement = agreement(realJudged.predictions, real.labels, classes);
const results: SetResult[] = [{
  label: `real renders (held-out, n=${real.labels.length})`, settings: null, count: real.labels.length,
  overall: realAgreement.overall, perClass: realAgreement.perClass, kid: null, fid: null, seconds: 0,
}];
const kidRandom = () => { const r = rngFor(seed, 0, 'kid'); return () => r.next(); };
for (const cfg of [base.cfg, 1]) {
  const settings = { ...base, cfg };
  const g = await generate(gen.sampler, settings, classes.length);
  const judged = await judge(judgeModel.classifier, g.pixels, g.labels.length);
  const a = agreement(judged.predictions, g.labels, classes);
  const kid = kernelInceptionDistance(judged.features, realJudged.features, judged.dim, { subsets: 10, subsetSize: Math.min(200, g.labels.length, real.labels.length), random: kidRandom() });
  const fid = frechetDistance(judged.features, realJudged.features, judged.dim);
  results.push({ label: cfg === 1 ? 'generated, no guidance (w = 1)' : `generated, CFG w = ${cfg}`, settings, count: g.labels.length, overall: a.overall, perClass: a.perClass, kid, fid, seconds: g.seconds });
  if (gridPath && cfg === base.cfg) await writeGrid(resolve(ROOT, gridPath), g.pixels, classes.length, Math.min(10, perClass), size);
}
// the real-vs-real floor of the feature metrics: even vs odd renders (files are sorted by class, so
// alternate rows keep both halves class-balanced)
const dim = realJudged.dim;
const halves = [0, 1].map((parity) => {
  const rows = Math.floor(real.labels.length / 2);
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) out.set(realJudged.features.subarray((2 * r + parity) * dim, (2 * r + parity + 1) * dim), r * dim);
  return out;
});
const floorKid = kernelInceptionDistance(halves[0], halves[1], dim, { subsets: 10, subsetSize: Math.min(200, halves[0].length / dim), random: kidRandom() });
const floorFid = frechetDistance(halves[0], halves[1], dim);

const s = base;
console.log(`\nGenerator ${gen.manifest.name} judged by ${judgeModel.manifest.name} (validation accuracy ${judgeModel.manifest.training?.validationAccuracy ?? '?'}); ${s.scheduler}, ${s.steps} steps, seed ${s.seed}, ${perClass} per class; features ${realJudged.dim}-d`);
console.log('\n| set | agreement | KID x1e3 | FID | time |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(`| ${r.label} | ${pct(r.overall)} | ${r.kid ? `${(r.kid.mean * 1e3).toFixed(2)} ± ${(r.kid.std * 1e3).toFixed(2)}` : '-'} | ${r.fid === null ? '-' : r.fid.toFixed(2)} | ${r.seconds ? `${r.seconds.toFixed(0)} s` : '-'} |`);
}
console.log(`| real vs real (two halves; metric floor) | - | ${(floorKid.mean * 1e3).toFixed(2)} ± ${(floorKid.std * 1e3).toFixed(2)} | ${floorFid.toFixed(2)} | - |`);
console.log(`\n| class | ${results.map((r) => r.label.replace(/ \(.*\)$/, '')).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
for (const name of classes) console.log(`| ${name} | ${results.map((r) => pct(r.perClass[name])).join(' | ')} |`);
const cfgGain = results[1].overall - results[2].overall;
const pass = results[1].overall >= 0.6 && classes.length >= 10 && cfgGain > 0;
console.log(`\ntarget: overall agreement >= 60% over >= 10 classes with CFG, and CFG above no guidance: ${pass ? 'PASS' : 'FAIL'} (${pct(results[1].overall)} over ${classes.length} classes; CFG ${cfgGain >= 0 ? '+' : ''}${(cfgGain * 100).toFixed(0)} points)`);
if (!quick) {
  await writeFile(join(gen.dir, 'eval.json'), JSON.stringify({
    model: gen.manifest.name, judge: judgeModel.manifest.name, perClass, settings: base, date: new Date().toISOString().slice(0, 10),
    results, floor: { kid: floorKid, fid: floorFid }, pass,
  }, null, 2) + '\n');
}
await gen.session.release();
await judgeModel.session.release();
process.exit(0);
