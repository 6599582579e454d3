import test from 'ava';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/core/errors.js';
import { loadDenoiser } from '../../src/diffusion/load.js';
import {
  checkDenoiserSignature, DenoiserManifestSchema, locateModel, parseManifest, type DenoiserManifest, type SessionSignature,
} from '../../src/diffusion/manifest.js';

// Fixtures: test/diffusion/fixtures/make_fixtures.py (python3-onnx helper API).
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tinyManifest = (): DenoiserManifest => parseManifest(DenoiserManifestSchema, JSON.parse(readFileSync(`${fixture('tiny')}/model.json`, 'utf8')));

const GOOD: SessionSignature = {
  inputs: [{ name: 'x', type: 'float32', shape: ['B', 3, 8, 8] }, { name: 't', type: 'int64', shape: ['B'] }, { name: 'class', type: 'int64', shape: ['B'] }],
  outputs: [{ name: 'pred', type: 'float32', shape: ['B', 3, 8, 8] }],
};

test('a session that fits its manifest passes; t may be int64 or float32', (t) => {
  const m = tinyManifest();
  t.notThrows(() => checkDenoiserSignature(m, GOOD));
  t.notThrows(() => checkDenoiserSignature(m, { ...GOOD, inputs: [GOOD.inputs[0], { name: 't', type: 'float32', shape: ['B'] }, GOOD.inputs[2]] }));
});

test('wrong input and output names are named, expected vs actual (real ONNX fixture)', async (t) => {
  const err = await t.throwsAsync(loadDenoiser(fixture('wrong-names')), { instanceOf: InputError });
  t.regex(err!.message, /input names: expected \[x, t, class\] \(from model\.json\), got \["sample","timestep","labels"\]/);
  t.regex(err!.message, /output names: expected \[pred\] \(from model\.json\), got \["out"\]/);
});

test('wrong dtypes and ranks are named (real ONNX fixture)', async (t) => {
  const err = await t.throwsAsync(loadDenoiser(fixture('wrong-types')), { instanceOf: InputError });
  t.regex(err!.message, /input x rank: expected 4 \(\[B, 3, 8, 8\]\), got "2 \(\[B, 192\]\)"/);
  t.regex(err!.message, /input class dtype: expected int64/);
  t.regex(err!.message, /got "float32"/);
  t.notRegex(err!.message, /input t dtype/, 'a float32 timestep is allowed');
});

test('wrong fixed sizes are named', (t) => {
  const m = tinyManifest();
  const sig: SessionSignature = { ...GOOD, inputs: [{ name: 'x', type: 'float32', shape: ['B', 3, 16, 16] }, GOOD.inputs[1], GOOD.inputs[2]] };
  t.throws(() => checkDenoiserSignature(m, sig), { instanceOf: InputError, message: /input x shape\[2\]: expected 8 \(\[B, 3, 8, 8\]\), got "16 \(\[B, 3, 16, 16\]\)"/ });
});

test('a file that is not ONNX is an InputError quoting onnxruntime', async (t) => {
  await t.throwsAsync(loadDenoiser(fixture('malformed')), { instanceOf: InputError, message: /expected an ONNX model onnxruntime can load.*protobuf parsing failed/s });
});

test('manifest fields are validated with their JSON path', (t) => {
  const raw = JSON.parse(readFileSync(`${fixture('tiny')}/model.json`, 'utf8'));
  t.throws(() => parseManifest(DenoiserManifestSchema, { ...raw, predictionType: 'noise' }, 'm.json'), { instanceOf: InputError, message: /m\.json: predictionType: expected one of .*"epsilon".*got "noise"/ });
  t.throws(() => parseManifest(DenoiserManifestSchema, { ...raw, inputs: { ...raw.inputs, class: { ...raw.inputs.class, dtype: 'float32' } } }, 'm.json'), { instanceOf: InputError, message: /inputs\.class\.dtype/ });
  const m = tinyManifest();
  t.throws(() => checkDenoiserSignature({ ...m, nullClass: 1 }, GOOD), { instanceOf: InputError, message: /nullClass: expected an index >= the 3 classes/ });
  t.throws(() => checkDenoiserSignature({ ...m, image: { ...m.image, width: 16 } }, GOOD), { instanceOf: InputError, message: /inputs\.sample\.shape\[3\]: expected 16/ });
});

test('an unknown model name lists the models that exist', (t) => {
  t.throws(() => locateModel('no-such-model', fixture('')), { instanceOf: InputError, message: /^model: expected a model name .*malformed, tiny, wrong-names, wrong-types.*got "no-such-model"/ });
  t.is(locateModel('tiny', fixture('')), `${fixture('tiny')}/model.json`);
});

test('a model folder with a diffusers scheduler_config.json samples with its settings, matching the reference at 1e-5', async (t) => {
  const { mkdtemp, cp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createScheduler } = await import('../../src/diffusion/schedulers.js');
  const { schedulerOptionsOf } = await import('../../src/diffusion/manifest.js');
  const dir = await mkdtemp(join(tmpdir(), 'synth-scheduler-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(fixture('tiny'), dir, { recursive: true });
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  delete model.schedule;
  delete model.predictionType;
  await writeFile(join(dir, 'model.json'), JSON.stringify(model));
  // A latent model's config (Stable Diffusion's keys) with the reference's betas.
  const config = {
    _class_name: 'DDIMScheduler', _diffusers_version: '0.25.0', num_train_timesteps: 1000, beta_schedule: 'scaled_linear', beta_start: 0.0001, beta_end: 0.02,
    clip_sample: false, set_alpha_to_one: false, steps_offset: 1, prediction_type: 'epsilon', trained_betas: null, timestep_spacing: 'leading', skip_prk_steps: true,
  };
  await writeFile(join(dir, 'scheduler_config.json'), JSON.stringify(config));
  const loaded = await loadDenoiser(dir);
  t.teardown(() => loaded.session.release());
  const m = loaded.manifest;
  t.deepEqual(m.schedule, { numTrainTimesteps: 1000, betaSchedule: 'scaled_linear', betaStart: 0.0001, betaEnd: 0.02, clipSample: false, clipSampleRange: 1, setAlphaToOne: false, stepsOffset: 1, timestepSpacing: 'leading' });
  t.is(m.predictionType, 'epsilon');

  const golden = JSON.parse(readFileSync(fileURLToPath(new URL('./golden/ddim.json', import.meta.url)), 'utf8'));
  const c = golden.cases.find((k: { config: Record<string, unknown> }) => k.config.setAlphaToOne === false && k.config.stepsOffset === 1 && k.config.clipSample === false);
  t.truthy(c, 'the reference has the latent-model case');
  const s = createScheduler('ddim', { ...schedulerOptionsOf(m), steps: c.config.steps, eta: 0 });
  t.deepEqual([...s.timesteps], c.timesteps, 'timesteps offset by steps_offset');
  let x: Float32Array = Float32Array.from(golden.xT as number[]);
  const e = Float32Array.from(golden.E as number[]);
  for (let i = 0; i < s.timesteps.length; i++) {
    const out = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) out[k] = e[k] * Math.cos(0.3 * i) + 0.2 * x[k];
    x = s.step(i, out, x);
    const err = Math.max(...x.map((v, k) => Math.abs(v - c.samples[i][k]) / Math.max(1, Math.abs(c.samples[i][k]))));
    t.true(err < 1e-5, `step ${i}: max error ${err}`);
  }
  const defaults = createScheduler('ddim', { steps: c.config.steps, eta: 0, schedule: { betaSchedule: 'scaled_linear' } });
  t.notDeepEqual([...defaults.timesteps], c.timesteps, 'without the config the timesteps differ');

  await writeFile(join(dir, 'model.json'), JSON.stringify({ ...model, predictionType: 'v_prediction' }));
  const conflict = await t.throwsAsync(loadDenoiser(dir), { instanceOf: InputError });
  t.regex(conflict!.message, /scheduler_config\.json: prediction_type: expected the value model\.json gives \(predictionType "v_prediction"\), got "epsilon"/);
  await writeFile(join(dir, 'model.json'), JSON.stringify(model));
  await writeFile(join(dir, 'scheduler_config.json'), JSON.stringify({ ...config, thresholding: true }));
  const unsupported = await t.throwsAsync(loadDenoiser(dir), { instanceOf: InputError });
  t.regex(unsupported!.message, /scheduler_config\.json: thresholding: expected false \(other values are not supported yet\), got true/);
});

test('model.json takes clipSample, clipSampleRange, setAlphaToOne and stepsOffset in its schedule; defaults are diffusers\'', (t) => {
  const raw = JSON.parse(readFileSync(`${fixture('tiny')}/model.json`, 'utf8'));
  const m = parseManifest(DenoiserManifestSchema, { ...raw, schedule: { ...raw.schedule, clipSample: false, setAlphaToOne: false, stepsOffset: 1, clipSampleRange: 2 } });
  t.like(m.schedule, { clipSample: false, setAlphaToOne: false, stepsOffset: 1, clipSampleRange: 2 });
  t.like(tinyManifest().schedule, { clipSample: true, setAlphaToOne: true, stepsOffset: 0, clipSampleRange: 1 });
  t.throws(() => parseManifest(DenoiserManifestSchema, { ...raw, schedule: { ...raw.schedule, stepsOffset: -1 } }), { instanceOf: InputError, message: /schedule\.stepsOffset/ });
});

test('a manifest with thousands of bad values reports the first problems only', (t) => {
  const raw = JSON.parse(readFileSync(`${fixture('tiny')}/model.json`, 'utf8'));
  const err = t.throws(() => parseManifest(DenoiserManifestSchema, { ...raw, classes: Array(5000).fill(7) }), { instanceOf: InputError });
  t.is(err!.issues.length, 21, 'the first 20, then one saying there are more');
  t.regex(err!.message, /model\.json: classes\.0: expected string, got 7/);
});
