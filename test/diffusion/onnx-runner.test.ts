import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InputError } from '../../src/core/errors.js';
import { loadClassifier, loadDenoiser } from '../../src/diffusion/load.js';
import { ClassifierManifestSchema, DenoiserManifestSchema, parseManifest } from '../../src/diffusion/manifest.js';
import { MODEL_LIMITS, ModelBudgetError, resolveModelBudget } from '../../src/diffusion/model-limits.js';
import { withRunSignal } from '../../src/diffusion/model-runner.js';
import { openOnnxSession, type TensorData } from '../../src/diffusion/onnx.js';
import { resolveSettings } from '../../src/diffusion/sampler.js';
import { tinyModel } from './tiny.js';

// Hostile fixtures: test/diffusion/fixtures/hostile/make_hostile.py (python3-onnx helper API).
const hostile = (name: string) => fileURLToPath(new URL(`./fixtures/hostile/${name}`, import.meta.url));
const TINY_ONNX = fileURLToPath(new URL('./fixtures/tiny/model.onnx', import.meta.url));

/** A batch of two 3x8x8 images of constant `value` for the hostile classifiers. */
const images = (value: number): Record<string, TensorData> => ({ image: { type: 'float32', data: new Float32Array(2 * 3 * 64).fill(value), dims: [2, 3, 8, 8] } });

/** Pids of this process's children that run the model runner module. */
function runnerChildren(parent = process.pid): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (Number(/PPid:\s+(\d+)/.exec(status)?.[1]) === parent && cmdline.includes('model-runner-process')) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

test.serial('a session in a runner process gives the graph\'s outputs, and this process never loads onnxruntime-node', async (t) => {
  const session = await openOnnxSession(TINY_ONNX, { threads: 1 });
  t.deepEqual(session.inputs.map((i) => i.name), ['x', 't', 'class']);
  t.deepEqual(session.outputs.map((o) => o.name), ['pred']);
  const x = Float32Array.from({ length: 2 * 3 * 64 }, (_, k) => Math.sin(k));
  // a view into a larger buffer, as the sampler's reused feed buffers are
  const big = new Float32Array(x.length * 2);
  big.set(x, 64);
  const feeds: Record<string, TensorData> = {
    x: { type: 'float32', data: big.subarray(64, 64 + x.length), dims: [2, 3, 8, 8] },
    t: { type: 'int64', data: BigInt64Array.from([500n, 500n]), dims: [2] },
    class: { type: 'int64', data: BigInt64Array.from([0n, 2n]), dims: [2] },
  };
  const out = await session.run(feeds, ['pred']);
  t.deepEqual(out.pred.dims, [2, 3, 8, 8]);
  const expected = tinyModel(x, 500, [0, 2]);
  t.true(out.pred.data.every((v, k) => Math.abs(v - expected[k]) < 1e-6), 'pred = 0.5 x + 0.05 class - 0.0001 t');
  t.is(runnerChildren().length, 1, 'one runner process for the session');
  await session.release();
  t.deepEqual(runnerChildren(), [], 'release ends the runner process');
  const cache = Object.keys(createRequire(import.meta.url).cache);
  t.false(cache.some((k) => k.includes('onnxruntime-node')), 'onnxruntime-node is loaded in the runner process only');
  await t.throwsAsync(session.run(feeds), { message: /released/ });
});

test.serial('a run over the time budget fails with ModelBudgetError; the next run gets a fresh runner', async (t) => {
  // trip count max|x| * 1e12: nothing to do on zeros, endless on anything else
  const session = await openOnnxSession(join(hostile('loop-input'), 'model.onnx'), { timeoutMs: 3000, label: 'loop-input' });
  t.is((await session.run(images(0))).logits.data.length, 4, 'an all-zero batch runs');
  const err = await t.throwsAsync(session.run(images(0.5)), { instanceOf: ModelBudgetError });
  t.is(err!.budget, 'time');
  t.is(err!.limit, 3000);
  t.regex(err!.message, /model loop-input: stopped after the time budget of 3000 ms per run \(SYNTH_MODEL_TIMEOUT_MS\)/);
  const again = await session.run(images(0));
  t.true(again.logits.data.length === 4 && again.logits.data.every((v) => v === 0), 'the session runs again after the kill');
  t.is(runnerChildren().length, 1, 'the killed runner was replaced, not leaked');
  await session.release();
});

test.serial('an output over MODEL_LIMITS.maxOutputValues fails naming the output, before it is sent', async (t) => {
  const session = await openOnnxSession(join(hostile('huge-output'), 'model.onnx'), { threads: 1 });
  const err = await t.throwsAsync(session.run(images(0)), { instanceOf: ModelBudgetError });
  t.is(err!.budget, 'output');
  t.is(err!.limit, MODEL_LIMITS.maxOutputValues);
  t.regex(err!.message, /output features \(70000000 values, dims \[70000000\]\): an output over the bound of 67108864 values/);
  const logits = await session.run(images(0), ['logits']);
  t.is(logits.logits.data.length, 4, 'fetching only the small output works');
  await session.release();
});

test.serial('a run over the memory budget fails with ModelBudgetError memory', async (t) => {
  // a hidden 1.2 GB ConstantOfShape summed into the logits
  const session = await openOnnxSession(join(hostile('memory-hog'), 'model.onnx'), { memoryMb: 300, threads: 1 });
  const err = await t.throwsAsync(session.run(images(0)), { instanceOf: ModelBudgetError });
  t.is(err!.budget, 'memory');
  t.regex(err!.message, /stopped at the memory budget of 300 MiB \(SYNTH_MODEL_MEMORY_MB\)/);
  await session.release();
});

test.serial('withRunSignal stops a run in flight when its signal fires', async (t) => {
  const session = await openOnnxSession(join(hostile('loop-forever'), 'model.onnx'), { timeoutMs: 600_000 });
  const controller = new AbortController();
  const running = withRunSignal(controller.signal, () => session.run(images(0)));
  setTimeout(() => controller.abort(), 300);
  const err = await t.throwsAsync(running);
  t.is(err!.name, 'AbortError');
  await t.throwsAsync(withRunSignal(controller.signal, () => session.run(images(0))), { name: 'AbortError' }, 'an aborted signal runs nothing');
  await session.release();
});

test.serial('a runner stuck in a model dies with its parent', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-runner-'));
  const script = join(dir, 'stuck.mts');
  await writeFile(script, [
    `import { openOnnxSession } from ${JSON.stringify(pathToFileURL(fileURLToPath(new URL('../../src/diffusion/onnx.ts', import.meta.url))).href)};`,
    `const s = await openOnnxSession(${JSON.stringify(join(hostile('loop-forever'), 'model.onnx'))}, { timeoutMs: 600000 });`,
    `void s.run({ image: { type: 'float32', data: new Float32Array(192), dims: [1, 3, 8, 8] } });`,
    `console.log('running');`,
  ].join('\n'));
  const parent = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    parent.stdout.on('data', (d) => { if (String(d).includes('running')) resolve(); });
    parent.on('exit', (code) => reject(new Error(`the script exited ${code}`)));
  });
  const runners = runnerChildren(parent.pid);
  t.is(runners.length, 1, 'the script has one runner process');
  parent.kill('SIGKILL');
  const t0 = Date.now();
  while (existsSync(`/proc/${runners[0]}`) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
  t.false(existsSync(`/proc/${runners[0]}`), 'the orphaned runner killed itself');
});

test.serial('a classifier whose test inference loops on real images is an InputError naming the budget', async (t) => {
  const err = await t.throwsAsync(loadClassifier(hostile('loop-input'), { timeoutMs: 3000 }), { instanceOf: InputError });
  t.regex(err!.message, /loop-input: test inference on 3 images \(mid-grey, seeded noise, seeded smooth pattern\): model loop-input: stopped after the time budget of 3000 ms/);
  t.deepEqual(runnerChildren(), [], 'the failed load released its runner');
});

test.serial('a denoiser that never returns fails its run, not its caller', async (t) => {
  const model = await loadDenoiser(hostile('loop-denoiser'), { timeoutMs: 3000 });
  const err = await t.throwsAsync(model.sampler.sampleBatch([{ classId: 0, noiseIndex: 0 }], resolveSettings(model.manifest, { steps: 2, seed: 1 })), { instanceOf: ModelBudgetError });
  t.is(err!.budget, 'time');
  await model.session.release();
});

test.serial('manifests declare images of at most MODEL_LIMITS.maxImageSide', (t) => {
  const classifier = JSON.parse(readFileSync(join(hostile('loop-forever'), 'model.json'), 'utf8'));
  for (const side of [8000, 100_000]) {
    const err = t.throws(() => parseManifest(ClassifierManifestSchema, { ...classifier, image: { width: side, height: 8, channels: 3 } }), { instanceOf: InputError });
    t.regex(err!.message, new RegExp(`model\\.json: image\\.width: expected .*${MODEL_LIMITS.maxImageSide}, got ${side}`));
  }
  const denoiser = JSON.parse(readFileSync(join(hostile('loop-denoiser'), 'model.json'), 'utf8'));
  t.throws(() => parseManifest(DenoiserManifestSchema, { ...denoiser, image: { ...denoiser.image, height: MODEL_LIMITS.maxImageSide + 1 } }), { message: /image\.height/ });
  t.notThrows(() => parseManifest(ClassifierManifestSchema, { ...classifier, image: { width: MODEL_LIMITS.maxImageSide, height: 8, channels: 3 } }));
});

test.serial('budgets come from options, then the environment, then MODEL_LIMITS; bad values name their source', (t) => {
  t.deepEqual(resolveModelBudget({}, {}), { timeoutMs: MODEL_LIMITS.timeoutMs, memoryMb: MODEL_LIMITS.memoryMb });
  t.deepEqual(resolveModelBudget({}, { SYNTH_MODEL_TIMEOUT_MS: '2500', SYNTH_MODEL_MEMORY_MB: '512' }), { timeoutMs: 2500, memoryMb: 512 });
  t.deepEqual(resolveModelBudget({ timeoutMs: 100 }, { SYNTH_MODEL_TIMEOUT_MS: '2500' }), { timeoutMs: 100, memoryMb: MODEL_LIMITS.memoryMb });
  t.throws(() => resolveModelBudget({}, { SYNTH_MODEL_TIMEOUT_MS: 'soon' }), { instanceOf: RangeError, message: /SYNTH_MODEL_TIMEOUT_MS: expected an integer in \[1, 86400000\], got "soon"/ });
  t.throws(() => resolveModelBudget({ memoryMb: 0 }, {}), { instanceOf: RangeError, message: /memoryMb: expected an integer/ });
});
