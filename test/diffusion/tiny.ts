/** The tiny denoiser fixture (test/diffusion/fixtures/tiny): its graph in plain JS, and a spy session over it. */
import { fileURLToPath } from 'node:url';
import { createSampler } from '../../src/diffusion/sampler.js';
import type { ModelSession, TensorData } from '../../src/diffusion/onnx.js';
import type { DenoiserManifest } from '../../src/diffusion/manifest.js';

export const TINY = fileURLToPath(new URL('./fixtures/tiny', import.meta.url));

/** The tiny fixture's graph in plain JS: pred = 0.5 x + 0.05 class − 0.0001 t. */
export function tinyModel(x: Float32Array, t: number, classes: readonly number[]): Float32Array {
  const per = x.length / classes.length;
  return Float32Array.from(x, (v, k) => 0.5 * v + 0.05 * classes[Math.floor(k / per)] - 0.0001 * t);
}

/** A fake session with the tiny model's signature that records every run. */
export function spySession(manifest: DenoiserManifest) {
  const runs: { batch: number; classes: number[]; t: number; halvesEqual: boolean }[] = [];
  const session: ModelSession = {
    inputs: [{ name: 'x', type: 'float32', shape: ['B', 3, 8, 8] }, { name: 't', type: 'int64', shape: ['B'] }, { name: 'class', type: 'int64', shape: ['B'] }],
    outputs: [{ name: 'pred', type: 'float32', shape: ['B', 3, 8, 8] }],
    async run(feeds: Record<string, TensorData>) {
      const x = feeds.x.data as Float32Array;
      const classes = Array.from(feeds.class.data as BigInt64Array, Number);
      const t = Number((feeds.t.data as BigInt64Array)[0]);
      const half = x.length / 2;
      runs.push({ batch: feeds.x.dims[0], classes, t, halvesEqual: x.subarray(0, half).every((v, i) => v === x[half + i]) });
      return { pred: { data: tinyModel(x, t, classes), dims: feeds.x.dims } };
    },
    release: async () => {},
  };
  return { session, runs, sampler: createSampler({ session, manifest }) };
}
