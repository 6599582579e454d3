/**
 * What running a model in its runner process costs per run: the default generator's forward pass on
 * the same feeds in this process (openInProcessSession) and through a runner (openOnnxSession), in
 * turn, at the batch sizes the sampler sends (2 and 32: batch 1 and 16 with classifier-free
 * guidance). Prints best and median per run and the difference.
 *
 * Usage: node --import tsx bench/model-runner.ts [--runs 40] [--threads 1]
 */
import { join } from 'node:path';
import { MODELS_DIR } from '../src/diffusion/manifest.js';
import { DEFAULT_GENERATOR } from '../src/diffusion/load.js';
import { openInProcessSession, openOnnxSession, type ModelSession, type TensorData } from '../src/diffusion/onnx.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const runs = Number(opt('runs', '40'));
const threads = Number(opt('threads', '1'));
const path = join(MODELS_DIR, DEFAULT_GENERATOR, 'model.onnx');

const inProcess = await openInProcessSession(path, { threads });
const runner = await openOnnxSession(path, { threads });
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

console.log(`${DEFAULT_GENERATOR}, onnxruntime threads ${threads}, ${runs} runs each, in turn`);
console.log('\n| model batch | in-process best / median ms | runner best / median ms | overhead (medians) |');
console.log('| ---: | ---: | ---: | ---: |');
for (const batch of [2, 32]) {
  const feeds: Record<string, TensorData> = {
    x: { type: 'float32', data: Float32Array.from({ length: batch * 3 * 32 * 32 }, (_, k) => Math.sin(k)), dims: [batch, 3, 32, 32] },
    t: { type: 'int64', data: new BigInt64Array(batch).fill(500n), dims: [batch] },
    class: { type: 'int64', data: new BigInt64Array(batch), dims: [batch] },
  };
  const times: Record<'a' | 'b', number[]> = { a: [], b: [] };
  for (const s of [inProcess, runner]) await s.run(feeds); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const [k, s] of [['a', inProcess], ['b', runner]] as [('a' | 'b'), ModelSession][]) {
      const t0 = performance.now();
      await s.run(feeds);
      times[k].push(performance.now() - t0);
    }
  }
  const [a, b] = [median(times.a), median(times.b)];
  console.log(`| ${batch} | ${Math.min(...times.a).toFixed(2)} / ${a.toFixed(2)} | ${Math.min(...times.b).toFixed(2)} / ${b.toFixed(2)} | ${(b - a).toFixed(2)} ms (${((b / a - 1) * 100).toFixed(1)}%) |`);
}
await inProcess.release();
await runner.release();
