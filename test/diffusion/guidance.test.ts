import test from 'ava';
import { rngFor } from '../../src/core/random.js';
import { InputError } from '../../src/core/errors.js';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE, DEFAULT_JUDGE, loadClassifier, loadDenoiser, loadGuidance } from '../../src/diffusion/load.js';
import { resolveSettings, type SampleSettings } from '../../src/diffusion/sampler.js';
import { normalNoise } from '../../src/diffusion/noise.js';
import { createScheduler } from '../../src/diffusion/schedulers.js';
import { probeClassifier } from '../../src/diffusion/classifier.js';
import {
  checkGuideCompatible, createGuide, criterionValues, expWeights, hardness, pickCandidate, resolveGuidance, spreadSteps, systematicResample,
  type Criterion, type Guide, type GuidanceSettings,
} from '../../src/diffusion/guidance.js';
import type { ClassifierManifest } from '../../src/diffusion/manifest.js';
import type { ModelSession } from '../../src/diffusion/onnx.js';
import { TINY, spySession, tinyModel } from './tiny.js';

const PER = 3 * 8 * 8;

test('criteria: entropy, cross-entropy and top-1 minus top-2 probability, from logits', (t) => {
  const logits = Float32Array.from([0, 0, 0, 0, /**/ 2, 1, 0, -1]);
  const p = [2, 1, 0, -1].map((z) => Math.exp(z));
  const sum = p.reduce((a, b) => a + b);
  const q = p.map((v) => v / sum);
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  const h = criterionValues(logits, 4, 'entropy');
  t.true(close(h[0], Math.log(4)), 'uniform: ln K');
  t.true(close(h[1], -q.reduce((s, v) => s + v * Math.log(v), 0)));
  const l = criterionValues(logits, 4, 'loss', [3, 1]);
  t.true(close(l[0], Math.log(4)) && close(l[1], -Math.log(q[1])), 'loss = −log p_target');
  const m = criterionValues(logits, 4, 'margin');
  t.true(close(m[0], 0) && close(m[1], q[0] - q[1]), 'margin of probabilities');
  t.throws(() => criterionValues(logits, 4, 'loss'), { instanceOf: RangeError, message: /target class/ });
  t.is(hardness('margin', 0.3), -0.3, 'a small margin is hard');
  t.is(hardness('entropy', 0.3), 0.3);
});

test('guided steps spread evenly away from the ends; resampling is proportional and deterministic', (t) => {
  t.deepEqual(spreadSteps(30, 6), [4, 9, 13, 17, 21, 26], "the papers' 6 of 30");
  t.deepEqual(spreadSteps(3, 5), [0, 1, 2], 'more than the steps: every step');
  t.deepEqual(systematicResample([0, 1, 0], 4, 0.7), [1, 1, 1, 1]);
  const picks = systematicResample([1, 3], 400, 0.5);
  t.is(picks.filter((i) => i === 1).length, 300, 'counts ∝ weights');
  t.deepEqual(expWeights([1, 2], Math.log(2)), [0.5, 1]);
  t.is(pickCandidate([0.1, 0.9, 0.3], 0, 0.99), 1, 'temperature 0 keeps the hardest');
  t.is(pickCandidate([0.1, 0.9, 0.3], 1e-9, 0.2), 1, 'a tiny temperature too');
  t.is(pickCandidate([0, 0], 1, 0.75), 1, 'equal weights: by the uniform');
});

test('resolveGuidance: defaults per mode, and bad options name the option path', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const ddim = resolveSettings(manifest, { scheduler: 'ddim', steps: 30, eta: 1 });
  t.deepEqual(resolveGuidance({ criterion: 'entropy' }, ddim), { criterion: 'entropy', mode: 'gradient', scale: 0.03, steps: [4, 9, 13, 17, 21, 26], candidates: 1 });
  const svdd = resolveGuidance({ criterion: 'loss', mode: 'svdd' }, ddim);
  t.is(svdd.steps.length, 15, 'svdd: half the steps');
  t.is(svdd.candidates, 4);
  t.is(resolveGuidance({ criterion: 'margin', mode: 'particles', steps: [2, 2, 5] }, ddim).steps.join(), '2,5');
  const det = resolveSettings(manifest, { scheduler: 'dpmpp2m', steps: 10 });
  t.throws(() => resolveGuidance({ criterion: 'entropy', mode: 'svdd' }, det), { instanceOf: InputError, message: /^scheduler: expected ddpm, or ddim with eta > 0 .*got "?dpmpp2m/ });
  t.throws(() => resolveGuidance({ criterion: 'entropy', mode: 'particles' }, { ...ddim, eta: 0 }), { instanceOf: InputError, message: /got "?ddim with eta 0/ });
  t.throws(() => resolveGuidance({ criterion: 'entropy', mode: 'svdd', candidates: 1 }, ddim), { instanceOf: InputError, message: /^guidance\.candidates: expected an integer in \[2, 64\]/ });
  t.throws(() => resolveGuidance({ criterion: 'entropy', mode: 'particles', candidates: 100 }, ddim), { instanceOf: InputError, message: /^guidance\.candidates: expected an integer in \[2, 64\] \(particles\)/ });
  t.throws(() => resolveGuidance({ criterion: 'entropy', scale: 0 }, ddim), { instanceOf: InputError, message: /^guidance\.scale: expected a step size > 0/ });
  t.throws(() => resolveGuidance({ criterion: 'entropy', steps: [30] }, ddim), { instanceOf: InputError, message: /^guidance\.steps: expected step indices in \[0, 29\], got 30/ });
  t.throws(() => resolveGuidance({ criterion: 'fun' as Criterion }, ddim), { instanceOf: InputError, message: /^guidance\.criterion: expected one of entropy, loss, margin/ });
});

/** A guide stand-in: criterion = mean pixel of each image (so "hard" = bright), gradient = all ones. */
function brightGuide(): Guide & { calls: { batch: number; gradient: boolean; images: Float32Array }[] } {
  const calls: { batch: number; gradient: boolean; images: Float32Array }[] = [];
  return {
    classifier: { name: 'bright' } as ClassifierManifest,
    stats: { runs: 0, images: 0, runSeconds: 0 },
    targetOf: [0, 1, 2],
    calls,
    async evaluate(images, classes, _criterion, withGradient = false) {
      calls.push({ batch: classes.length, gradient: withGradient, images: images.slice() });
      const values = Float64Array.from(classes, (_, i) => images.subarray(i * PER, (i + 1) * PER).reduce((s, v) => s + v, 0) / PER);
      return withGradient ? { values, gradient: new Float32Array(images.length).fill(1) } : { values };
    },
  };
}

const mean = (x: Float32Array, i: number) => x.subarray(i * PER, (i + 1) * PER).reduce((s, v) => s + v, 0) / PER;

test('gradient mode moves x_t by s·‖x_t‖·g/‖g‖ at the guided steps only, and the step goes on from there', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const { sampler, runs } = spySession(manifest);
  const settings: SampleSettings = { scheduler: 'ddim', steps: 5, cfg: 2, eta: 0, seed: 4 };
  const guidance: GuidanceSettings = { criterion: 'entropy', mode: 'gradient', scale: 0.05, steps: [1, 3], candidates: 1 };
  const guide = brightGuide();
  const got = await sampler.sampleBatch([{ classId: 1, noiseIndex: 2 }], settings, undefined, { settings: guidance, guide });
  t.is(runs.length, 5, 'no extra denoiser runs');
  t.deepEqual(guide.calls.map((c) => c.gradient), [true, true], 'one gradient call per guided step');
  // the same loop by hand
  let x = normalNoise(rngFor(4, 2, 'noise'), PER);
  const s = createScheduler('ddim', { steps: 5, predictionType: manifest.predictionType, schedule: manifest.schedule });
  for (let i = 0; i < 5; i++) {
    const cond = tinyModel(x, s.timesteps[i], [1]);
    const uncond = tinyModel(x, s.timesteps[i], [3]);
    const out = Float32Array.from(cond, (c, k) => uncond[k] + 2 * (c - uncond[k]));
    if (i === 1 || i === 3) {
      const norm = Math.sqrt(x.reduce((a, v) => a + v * v, 0));
      x = x.map((v) => v + (0.05 * norm) / Math.sqrt(PER));
    }
    x = s.step(i, out, x);
  }
  let worst = 0;
  x.forEach((v, k) => { worst = Math.max(worst, Math.abs(Math.min(1, Math.max(-1, v)) - got[k])); });
  t.true(worst < 1e-5, `matches the hand-written loop (max diff ${worst})`);
  const plain = await sampler.sampleBatch([{ classId: 1, noiseIndex: 2 }], settings);
  t.true(mean(got, 0) > mean(plain, 0), 'moved towards the criterion');
  const margin = await sampler.sampleBatch([{ classId: 1, noiseIndex: 2 }], settings, undefined, { settings: { ...guidance, criterion: 'margin' }, guide: brightGuide() });
  t.true(mean(margin, 0) < mean(plain, 0), 'margin is descended');
});

test('svdd: M candidates per guided step scored at their x̂0 in one batched run; the hardest is kept', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const { sampler, runs } = spySession(manifest);
  const settings: SampleSettings = { scheduler: 'ddim', steps: 6, cfg: 2, eta: 1, seed: 9 };
  const requests = [0, 1, 2, 3].map((i) => ({ classId: i % 3, noiseIndex: i }));
  const guide = brightGuide();
  const guided = await sampler.sampleBatch(requests, settings, undefined, { settings: { criterion: 'entropy', mode: 'svdd', scale: 0, steps: [0, 1, 2, 3, 4, 5], candidates: 3 }, guide });
  t.deepEqual(runs.map((r) => r.batch), [8, 24, 24, 24, 24, 24], 'first step plain (2B), then one run of 2·M·B per step; the chosen output is reused');
  t.deepEqual(guide.calls.map((c) => c.batch), [12, 12, 12, 12, 12], 'one classifier call of M·B per step but the last (DDIM\'s last step has σ = 0)');
  runs.length = 0;
  const plain = await sampler.sampleBatch(requests, settings);
  t.is(runs.length, 6);
  const brighter = requests.filter((_, i) => mean(guided, i) > mean(plain, i)).length;
  t.is(brighter, 4, 'every sample ends brighter than its unguided twin');
  const again = await sampler.sampleBatch(requests, settings, undefined, { settings: { criterion: 'entropy', mode: 'svdd', scale: 0, steps: [0, 1, 2, 3, 4, 5], candidates: 3 }, guide: brightGuide() });
  t.deepEqual(Array.from(again), Array.from(guided), 'deterministic');
  const soft = await sampler.sampleBatch(requests, settings, undefined, { settings: { criterion: 'entropy', mode: 'svdd', scale: 0.5, steps: [2, 4], candidates: 3 }, guide: brightGuide() });
  t.is(soft.length, guided.length, 'softmax selection on a subset of steps runs');
});

test('particles: K trajectories per sample, resampled by exp(λ·hardness) at the listed steps; particle 0 is the unguided one', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const { sampler, runs } = spySession(manifest);
  const settings: SampleSettings = { scheduler: 'ddpm', steps: 6, cfg: 1, eta: 0, seed: 2 };
  const requests = [{ classId: 0, noiseIndex: 0 }, { classId: 2, noiseIndex: 1 }];
  const guide = brightGuide();
  const guided = await sampler.sampleBatch(requests, settings, undefined, { settings: { criterion: 'loss', mode: 'particles', scale: 50, steps: [2, 4], candidates: 4 }, guide });
  t.deepEqual(runs.map((r) => r.batch), [8, 8, 8, 8, 8, 8], 'K·B per run');
  t.deepEqual(guide.calls.map((c) => c.batch), [8, 8, 8], 'two resampling steps and the final choice');
  const plain = await sampler.sampleBatch(requests, settings);
  for (let i = 0; i < 2; i++) t.true(mean(guided, i) >= mean(plain, i), `sample ${i}: the kept particle is at least as hard as particle 0`);
  // with λ = 0 and one resampling step the resample is uniform; with no steps the final pick still applies
  const noResample = await sampler.sampleBatch(requests, settings, undefined, { settings: { criterion: 'loss', mode: 'particles', scale: 0, steps: [], candidates: 2 }, guide: brightGuide() });
  t.is(noResample.length, 2 * PER);
});

test('classifiers: a test inference on load names wrong sizes and NaNs; gradient mode asks for gradient outputs', async (t) => {
  const judge = await loadClassifier(DEFAULT_JUDGE, { threads: 1 });
  const model = await loadDenoiser(DEFAULT_GENERATOR, { threads: 1 });
  try {
    const fake = (values: number[]): ModelSession => ({
      inputs: judge.session.inputs, outputs: judge.session.outputs,
      run: async () => ({ logits: { data: Float32Array.from(values), dims: [2, values.length / 2] }, features: { data: new Float32Array(256), dims: [2, 128] } }),
      release: async () => {},
    });
    await t.throwsAsync(probeClassifier(fake(new Array(18).fill(0)), judge.manifest), { instanceOf: InputError, message: /output logits: expected 30 values for a batch of 3 \(10 classes in model.json\), got 18/ });
    await t.throwsAsync(probeClassifier(fake([NaN, ...new Array(29).fill(0)]), judge.manifest), { instanceOf: InputError, message: /output logits has a non-finite value \(NaN\) at index 0/ });
    const nanGuide = createGuide({ session: fake([NaN, ...new Array(19).fill(0)]), classifier: judge.manifest, model: model.manifest });
    await t.throwsAsync(nanGuide.evaluate(new Float32Array(2 * 3 * 32 * 32), [0, 1], 'entropy'), { instanceOf: InputError, message: /non-finite value \(NaN\)/ });
    t.throws(() => checkGuideCompatible(judge.manifest, model.manifest, { criterion: 'entropy', mode: 'gradient' }), { instanceOf: InputError, message: /^guidance\.mode: expected svdd or particles: classifier synth-classifier-32 has no input-gradient output for entropy/ });
    t.throws(() => checkGuideCompatible({ ...judge.manifest, image: { width: 64, height: 64, channels: 3 } }, model.manifest, { criterion: 'entropy', mode: 'svdd' }), { instanceOf: InputError, message: /resizing for guidance is not supported yet/ });
    t.throws(() => checkGuideCompatible({ ...judge.manifest, classes: judge.manifest.classes.slice(1) }, model.manifest, { criterion: 'loss', mode: 'svdd' }), { instanceOf: InputError, message: /cube/ });
    t.notThrows(() => checkGuideCompatible({ ...judge.manifest, classes: judge.manifest.classes.slice(1) }, model.manifest, { criterion: 'entropy', mode: 'svdd' }), 'entropy needs no target class');
  } finally {
    await judge.session.release();
    await model.session.release();
  }
});

test('the committed generator with the forward-only judge: svdd raises the entropy of the judge over unguided at the same seeds', async (t) => {
  const model = await loadDenoiser(DEFAULT_GENERATOR, { threads: 1 });
  const settings = resolveSettings(model.manifest, { scheduler: 'ddim', eta: 1, steps: 8, seed: 5 });
  const { guidance, classifier } = await loadGuidance(model.manifest, { criterion: 'entropy', mode: 'svdd', candidates: 4, classifier: DEFAULT_JUDGE }, settings, ['car', 'mug'], { threads: 1 });
  try {
    const requests = [3, 3, 6, 6].map((classId, i) => ({ classId, noiseIndex: i }));
    const plain = await model.sampler.sampleBatch(requests, settings);
    const guided = await model.sampler.sampleBatch(requests, settings, undefined, guidance);
    const h0 = (await guidance.guide.evaluate(plain, requests.map((r) => r.classId), 'entropy')).values;
    const h1 = (await guidance.guide.evaluate(guided, requests.map((r) => r.classId), 'entropy')).values;
    const avg = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    t.true(avg(h1) > avg(h0), `mean entropy ${avg(h0).toFixed(3)} → ${avg(h1).toFixed(3)}`);
  } finally {
    await classifier.session.release();
    await model.session.release();
  }
});

test('the committed guidance classifier: its gradient outputs, mapped to the model\'s image space, match finite differences', async (t) => {
  const model = await loadDenoiser(DEFAULT_GENERATOR, { threads: 1 });
  const guideModel = await loadClassifier(DEFAULT_GUIDE, { threads: 1 });
  try {
    t.truthy(guideModel.manifest.forwardFile, 'ships a forward-only graph for logits-only calls');
    const guide = createGuide({ session: guideModel.session, classifier: guideModel.manifest, model: model.manifest });
    // an uncertain input: a generated car blended towards grey
    const settings = resolveSettings(model.manifest, { steps: 6, seed: 3 });
    const car = await model.sampler.sampleBatch([{ classId: 3, noiseIndex: 0 }], settings);
    const x = car.map((v) => 0.35 * v);
    for (const criterion of ['entropy', 'loss', 'margin'] as const) {
      const { values, gradient } = await guide.evaluate(x, [3], criterion, true);
      const order = Array.from(gradient!.keys()).sort((a, b) => Math.abs(gradient![b]) - Math.abs(gradient![a])).slice(0, 4);
      for (const k of order) {
        const eps = 2e-3;
        const plus = x.slice(); plus[k] += eps;
        const minus = x.slice(); minus[k] -= eps;
        const fd = ((await guide.evaluate(plus, [3], criterion)).values[0] - (await guide.evaluate(minus, [3], criterion)).values[0]) / (2 * eps);
        t.true(Math.abs(fd - gradient![k]) <= 0.05 * Math.abs(gradient![k]) + 1e-4, `${criterion} (value ${values[0].toFixed(3)}) pixel ${k}: finite difference ${fd.toExponential(3)} vs graph ${gradient![k].toExponential(3)}`);
      }
    }
    const forwardOnly = await guide.evaluate(x, [3], 'entropy');
    const viaFull = await guide.evaluate(x, [3], 'entropy', true);
    t.true(Math.abs(forwardOnly.values[0] - viaFull.values[0]) < 1e-5, 'forward graph and full graph agree');
  } finally {
    await guideModel.session.release();
    await model.session.release();
  }
});
