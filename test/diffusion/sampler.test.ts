import test from 'ava';
import { rngFor } from '../../src/core/random.js';
import { InputError } from '../../src/core/errors.js';
import { loadDenoiser } from '../../src/diffusion/load.js';
import { resolveSettings, type SampleSettings } from '../../src/diffusion/sampler.js';
import { normalNoise } from '../../src/diffusion/noise.js';
import { createScheduler } from '../../src/diffusion/schedulers.js';
import { TINY, spySession, tinyModel } from './tiny.js';

test('classifier-free guidance runs ONE session.run of size 2B per step: conditional half, then null class', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const { runs, sampler } = spySession(manifest);
  const settings = resolveSettings(manifest, { scheduler: 'ddim', steps: 5, cfg: 2.5, seed: 3 });
  await sampler.sampleBatch([{ classId: 0, noiseIndex: 0 }, { classId: 2, noiseIndex: 1 }, { classId: 1, noiseIndex: 2 }], settings);
  t.is(runs.length, 5, 'one run per step');
  for (const r of runs) {
    t.is(r.batch, 6, 'batch of 2B = 6');
    t.deepEqual(r.classes, [0, 2, 1, 3, 3, 3], 'classes first, then the null class (3)');
    t.true(r.halvesEqual, 'both halves see the same x_t');
  }
  t.deepEqual(runs.map((r) => r.t), [800, 600, 400, 200, 0], 'DDIM leading timesteps');
  runs.length = 0;
  await sampler.sampleBatch([{ classId: 1, noiseIndex: 0 }], { ...settings, cfg: 1 });
  t.deepEqual(runs.map((r) => r.batch), [1, 1, 1, 1, 1], 'w = 1 runs the conditional batch only');
});

test('the sampler equals a hand-written loop: Box-Muller noise from rngFor(seed, index, "noise"), guidance, DPM-Solver++', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const { sampler } = spySession(manifest);
  const settings: SampleSettings = { scheduler: 'dpmpp2m', steps: 6, cfg: 3, eta: 0, seed: 11 };
  const got = await sampler.sampleBatch([{ classId: 2, noiseIndex: 4 }], settings);
  let x = normalNoise(rngFor(11, 4, 'noise'), 192);
  const s = createScheduler('dpmpp2m', { steps: 6, predictionType: 'epsilon', schedule: manifest.schedule });
  for (let i = 0; i < s.timesteps.length; i++) {
    const cond = tinyModel(x, s.timesteps[i], [2]);
    const uncond = tinyModel(x, s.timesteps[i], [3]);
    const guided = Float32Array.from(cond, (c, k) => uncond[k] + 3 * (c - uncond[k]));
    x = s.step(i, guided, x);
  }
  const expected = x.map((v) => Math.min(1, Math.max(-1, v)));
  let worst = 0;
  expected.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - got[k])); });
  t.true(worst < 1e-6, `max difference ${worst}`);
});

test('normalNoise draws Box-Muller pairs (cosine, then sine) from the given stream', (t) => {
  const a = normalNoise(rngFor(5, 9, 'noise'), 5);
  const r = rngFor(5, 9, 'noise');
  const expected: number[] = [];
  for (let i = 0; i < 3; i++) {
    const radius = Math.sqrt(-2 * Math.log(1 - r.next()));
    const angle = 2 * Math.PI * r.next();
    expected.push(radius * Math.cos(angle), radius * Math.sin(angle));
  }
  t.deepEqual(Array.from(a), Array.from(Float32Array.from(expected.slice(0, 5))), 'pairs of uniforms, both branches, odd tail from the cosine');
  t.deepEqual(Array.from(normalNoise(rngFor(5, 9, 'noise'), 5)), Array.from(a), 'same stream, same draws');
  const n = normalNoise(rngFor(1, 0, 'noise'), 20000);
  const mean = n.reduce((s, v) => s + v, 0) / n.length;
  const variance = n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length;
  t.true(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
});

test('same (model, class, seed, noise index, steps, scheduler) gives the same image in any batch; the real ONNX session agrees', async (t) => {
  const model = await loadDenoiser(TINY);
  try {
    const settings = resolveSettings(model.manifest, { scheduler: 'ddpm', steps: 8, cfg: 2, seed: 7 });
    const pair = await model.sampler.sampleBatch([{ classId: 0, noiseIndex: 0 }, { classId: 1, noiseIndex: 5 }], settings);
    const alone = await model.sampler.sampleBatch([{ classId: 1, noiseIndex: 5 }], settings);
    const again = await model.sampler.sampleBatch([{ classId: 1, noiseIndex: 5 }], settings);
    t.deepEqual(Array.from(alone), Array.from(again), 'bitwise reproducible');
    let worst = 0;
    alone.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - pair[192 + k])); });
    t.true(worst < 1e-6, `batch position does not change the image (max diff ${worst})`);
    const other = await model.sampler.sampleBatch([{ classId: 1, noiseIndex: 5 }], { ...settings, seed: 8 });
    t.notDeepEqual(Array.from(other), Array.from(alone), 'another seed gives another image');
    const { sampler: fake } = spySession(model.manifest);
    const viaFake = await fake.sampleBatch([{ classId: 1, noiseIndex: 5 }], settings);
    let diff = 0;
    viaFake.forEach((v, k) => { diff = Math.max(diff, Math.abs(v - alone[k])); });
    t.true(diff < 1e-5, `onnxruntime and the JS twin of the graph agree (max diff ${diff})`);
  } finally {
    await model.session.release();
  }
});

test('bad settings and classes are InputErrors naming the option', async (t) => {
  const { manifest } = await loadDenoiser(TINY);
  const { sampler } = spySession(manifest);
  t.throws(() => resolveSettings(manifest, { steps: 0 }), { instanceOf: InputError, message: /^steps: expected an integer in \[1, 1000\]/ });
  t.throws(() => resolveSettings(manifest, { steps: 1001 }), { instanceOf: InputError, message: /got 1001/ });
  t.throws(() => resolveSettings(manifest, { cfg: -1 }), { instanceOf: InputError, message: /^cfg: expected a guidance weight/ });
  t.throws(() => resolveSettings(manifest, { scheduler: 'dpmpp2m', eta: 0.5 }), { instanceOf: InputError, message: /^eta: expected 0 with scheduler dpmpp2m/ });
  t.throws(() => resolveSettings({ ...manifest, nullClass: null }, { cfg: 3 }), { instanceOf: InputError, message: /has no null class/ });
  t.notThrows(() => resolveSettings({ ...manifest, nullClass: null }, { cfg: 1 }), 'w = 1 needs no null class');
  const settings = resolveSettings(manifest, {});
  t.deepEqual(settings, { scheduler: 'ddim', steps: 4, cfg: 2, eta: 0, seed: 0 }, 'manifest defaults fill in');
  await t.throwsAsync(sampler.sampleBatch([{ classId: 3, noiseIndex: 0 }], settings), { instanceOf: InputError, message: /class: expected a class index in \[0, 2\]/ });
});
