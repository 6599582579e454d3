import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_GENERATOR, DEFAULT_JUDGE, loadClassifier, loadDenoiser } from '../../src/diffusion/load.js';
import type { SchedulerName } from '../../src/diffusion/schedulers.js';

// Golden: models/train/make_model_golden.py runs the same weights in PyTorch with the Python reference
// schedulers and the Python port of rngFor; here our sampler runs them over onnxruntime. No retraining.
interface GoldenCase { scheduler: SchedulerName; steps: number; cfg: number; eta: number; seed: number; requests: [string, number][]; output: number[] }
const golden = JSON.parse(readFileSync(new URL(`./golden/${DEFAULT_GENERATOR}.json`, import.meta.url), 'utf8')) as { cases: GoldenCase[] };

test('the committed generator reproduces its golden outputs (fixed seeds, a few steps, batch 2) at 1e-4', async (t) => {
  const model = await loadDenoiser(DEFAULT_GENERATOR, { threads: 1 });
  try {
    t.true(statSync(`${model.dir}/model.onnx`).size < 20e6, 'ONNX file under 20 MB');
    t.true(golden.cases.length >= 3, 'one case per scheduler');
    for (const c of golden.cases) {
      const requests = c.requests.map(([name, noiseIndex]) => ({ classId: model.manifest.classes.indexOf(name), noiseIndex }));
      const x = await model.sampler.sampleBatch(requests, { scheduler: c.scheduler, steps: c.steps, cfg: c.cfg, eta: c.eta, seed: c.seed });
      t.is(x.length, c.output.length, `${c.scheduler}: batch of 2 images`);
      let worst = 0;
      x.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - c.output[k])); });
      t.true(worst <= 1e-4, `${c.scheduler} ${c.steps} steps cfg ${c.cfg}: max abs difference ${worst}`);
    }
  } finally {
    await model.session.release();
  }
});

test('the committed judge loads against its manifest and covers the generator classes', async (t) => {
  const gen = JSON.parse(readFileSync(new URL(`../../models/${DEFAULT_GENERATOR}/model.json`, import.meta.url), 'utf8'));
  const judge = await loadClassifier(DEFAULT_JUDGE, { threads: 1 });
  try {
    t.deepEqual(judge.manifest.classes, gen.classes, 'same classes, same order');
    t.truthy(judge.manifest.outputs.features, 'exports penultimate features for KID/FID');
    const out = await judge.classifier.classify(new Uint8Array(2 * 32 * 32 * 3).fill(128), 2);
    t.is(out.classes, gen.classes.length, 'one logit per class');
    t.is(out.featureDim, 128, '128-d features');
  } finally {
    await judge.session.release();
  }
});
