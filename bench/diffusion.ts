/**
 * Diffusion sampler benchmark: images/s and denoising steps/s of the default generator at batch 1, 16
 * and 64 for each scheduler (with classifier-free guidance, so the model runs on 2B), the share of time
 * spent outside session.run (scheduler arithmetic, guidance, noise, copies), and the same model's
 * forward pass in ONNX Runtime and in PyTorch (bench/diffusion_torch.py, Debian python3-torch) on the
 * same inputs at the same thread count.
 *
 * Then the cost of classifier-feedback guidance per mode against unguided sampling: time per image,
 * and denoiser and classifier runs per batch and images through each graph per generated image.
 *
 * Usage: npm run bench:diffusion [-- --steps 20] [-- --threads 1] [-- --rounds 2] [-- --quick] [-- --no-torch] [-- --no-guidance]
 */
import { execFile } from 'node:child_process';
import { writeFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE, loadDenoiser, loadGuidance } from '../src/diffusion/load.js';
import type { GuidanceOptions } from '../src/diffusion/guidance.js';
import { resolveSettings } from '../src/diffusion/sampler.js';
import { SCHEDULER_NAMES } from '../src/diffusion/schedulers.js';
import { rngFor } from '../src/core/random.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const quick = args.includes('--quick');
const steps = Number(opt('steps', quick ? '5' : '20'));
const threads = Number(opt('threads', '1'));
const rounds = Number(opt('rounds', quick ? '1' : '2'));
const batches = quick ? [1, 16] : [1, 16, 64];
const modelRef = opt('model', DEFAULT_GENERATOR);

const model = await loadDenoiser(modelRef, { threads });
const { manifest, sampler, session } = model;
const { channels, height, width } = manifest.image;
console.log(`model ${manifest.name} (${manifest.training?.architecture ? JSON.stringify((manifest.training.architecture as { parameters?: number }).parameters) + ' parameters' : ''}), ${channels}x${height}x${width}; onnxruntime threads ${threads}; ${steps} steps; CFG on (model batch 2B); best of ${rounds}`);

console.log('\n| scheduler | batch | images/s | steps/s | time outside session.run |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const scheduler of SCHEDULER_NAMES) {
  const settings = resolveSettings(manifest, { scheduler, steps, cfg: 3, eta: scheduler === 'ddim' ? 0 : undefined, seed: 1 });
  for (const b of batches) {
    const requests = Array.from({ length: b }, (_, i) => ({ classId: i % manifest.classes.length, noiseIndex: i }));
    await sampler.sampleBatch(requests.slice(0, 1), { ...settings, steps: 2 }); // warm-up
    let best = { total: Infinity, run: 0 };
    for (let r = 0; r < rounds; r++) {
      const before = { ...sampler.stats };
      await sampler.sampleBatch(requests, settings);
      const total = sampler.stats.totalSeconds - before.totalSeconds;
      const run = sampler.stats.runSeconds - before.runSeconds;
      if (total < best.total) best = { total, run };
    }
    const share = (best.total - best.run) / best.total;
    console.log(`| ${scheduler} | ${b} | ${(b / best.total).toFixed(1)} | ${(steps / best.total).toFixed(2)} | ${(share * 100).toFixed(1)}% |`);
  }
}

// Classifier-feedback guidance: cost of each mode against unguided sampling at the same batch and steps
// (the papers' 30 steps; gradient mode on the model's default solver, svdd and particles on stochastic DDIM).
if (!args.includes('--no-guidance')) {
  const gSteps = quick ? 10 : 30;
  const b = 16;
  const requests = Array.from({ length: b }, (_, i) => ({ classId: i % manifest.classes.length, noiseIndex: i }));
  const det = resolveSettings(manifest, { steps: gSteps, seed: 1 });
  const sto = resolveSettings(manifest, { scheduler: 'ddim', eta: 1, steps: gSteps, seed: 1 });
  const cases: { label: string; settings: typeof det; options: GuidanceOptions | null; base: string }[] = [
    { label: `unguided (${det.scheduler})`, settings: det, options: null, base: `unguided (${det.scheduler})` },
    { label: 'gradient, entropy', settings: det, options: { criterion: 'entropy', mode: 'gradient' }, base: `unguided (${det.scheduler})` },
    { label: 'unguided (ddim, eta 1)', settings: sto, options: null, base: 'unguided (ddim, eta 1)' },
    { label: 'svdd M = 4, entropy', settings: sto, options: { criterion: 'entropy', mode: 'svdd', candidates: 4 }, base: 'unguided (ddim, eta 1)' },
    { label: 'particles K = 4, entropy', settings: sto, options: { criterion: 'entropy', mode: 'particles', candidates: 4 }, base: 'unguided (ddim, eta 1)' },
  ];
  const seconds: Record<string, number> = {};
  console.log(`\nGuidance cost: batch ${b}, ${gSteps} steps, CFG ${det.cfg}, classifier ${DEFAULT_GUIDE}; best of ${rounds}`);
  console.log('\n| mode | s / image | vs unguided | target | denoiser runs / batch | denoiser images / image | classifier runs / batch | classifier images / image |');
  console.log('| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const c of cases) {
    const loaded = c.options ? await loadGuidance(manifest, c.options, c.settings, manifest.classes, { threads }).catch((err: Error) => { console.log(`| ${c.label} | skipped: ${err.message.split('\n')[0]} |`); return null; }) : null;
    if (c.options && !loaded) continue;
    const g = loaded?.guidance;
    let best = Infinity;
    let calls = { runs: 0, images: 0, cRuns: 0, cImages: 0 };
    for (let r = 0; r < rounds; r++) {
      const before = { runs: sampler.stats.runs, batches: [...sampler.stats.runBatches], cRuns: g?.guide.stats.runs ?? 0, cImages: g?.guide.stats.images ?? 0 };
      const t0 = performance.now();
      await sampler.sampleBatch(requests, c.settings, undefined, g);
      const dt = (performance.now() - t0) / 1000;
      const runs = sampler.stats.runs - before.runs;
      calls = { runs, images: sampler.stats.runBatches.slice(-runs).reduce((s, v) => s + v, 0), cRuns: (g?.guide.stats.runs ?? 0) - before.cRuns, cImages: (g?.guide.stats.images ?? 0) - before.cImages };
      best = Math.min(best, dt);
    }
    seconds[c.label] = best / b;
    const ratio = seconds[c.label] / seconds[c.base];
    const target = c.options?.mode === 'gradient' ? `≤ 2x: ${ratio <= 2 ? 'met' : 'missed'}` : c.options?.mode === 'svdd' ? `≤ 5x: ${ratio <= 5 ? 'met' : 'missed'}` : '';
    console.log(`| ${c.label} | ${(best / b).toFixed(3)} | ${ratio.toFixed(2)}x | ${target} | ${calls.runs} | ${(calls.images / b).toFixed(0)} | ${calls.cRuns} | ${(calls.cImages / b).toFixed(1)} |`);
    await loaded?.classifier.session.release();
  }
}

// ONNX Runtime vs PyTorch: the model's forward pass on identical inputs (batch = 2B, as under CFG).
if (!args.includes('--no-torch')) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-diffusion-'));
  const modelBatches = batches.map((b) => 2 * b);
  const per = channels * height * width;
  const ortTimes: Record<number, number> = {};
  for (const mb of modelBatches) {
    const r = rngFor(5, mb, 'bench');
    const x = Float32Array.from({ length: mb * per }, () => r.normal());
    const t = BigInt64Array.from({ length: mb }, (_, i) => BigInt((i * 37) % manifest.schedule.numTrainTimesteps));
    const c = BigInt64Array.from({ length: mb }, (_, i) => BigInt(i % (manifest.classes.length + 1)));
    await writeFile(join(dir, `x${mb}.bin`), x);
    await writeFile(join(dir, `t${mb}.bin`), t);
    await writeFile(join(dir, `c${mb}.bin`), c);
    const feeds = {
      [manifest.inputs.sample.name]: { type: 'float32' as const, data: x, dims: [mb, channels, height, width] },
      [manifest.inputs.timestep.name]: { type: 'int64' as const, data: t, dims: [mb] },
      [manifest.inputs.class.name]: { type: 'int64' as const, data: c, dims: [mb] },
    };
    const out = await session.run(feeds);
    await writeFile(join(dir, `ort${mb}.bin`), out[manifest.outputs.prediction.name].data);
    const reps = Math.max(3, Math.round(48 / mb));
    let best = Infinity;
    for (let k = 0; k < rounds; k++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) await session.run(feeds);
      best = Math.min(best, (performance.now() - t0) / 1000 / reps);
    }
    ortTimes[mb] = best;
  }
  const script = new URL('./diffusion_torch.py', import.meta.url).pathname;
  const torch = await new Promise<string>((resolve, reject) => {
    execFile('/usr/bin/python3', [script, '--model-dir', model.dir, '--inputs', dir, '--batches', modelBatches.join(','), '--threads', String(threads), '--rounds', String(rounds)], { timeout: 1_800_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  }).catch((err: Error) => { console.log(`\nPyTorch comparison skipped: ${err.message.split('\n')[0]}`); return null; });
  if (torch) {
    const rows = JSON.parse(torch) as { batch: number; seconds: number; maxAbsDiff: number }[];
    console.log(`\nForward pass, same inputs, ${threads} thread(s): onnxruntime-node ${(await readFile(new URL('../node_modules/onnxruntime-node/package.json', import.meta.url), 'utf8').then((s) => JSON.parse(s).version))} vs PyTorch (Debian python3-torch)`);
    console.log('\n| model batch | ORT ms | PyTorch ms | ORT speed-up | max abs diff of outputs |');
    console.log('| ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      const ort = ortTimes[row.batch];
      console.log(`| ${row.batch} | ${(ort * 1000).toFixed(1)} | ${(row.seconds * 1000).toFixed(1)} | ${(row.seconds / ort).toFixed(2)}x | ${row.maxAbsDiff.toExponential(1)} |`);
    }
  }
}
await session.release();
process.exit(0);
