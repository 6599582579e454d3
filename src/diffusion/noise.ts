/**
 * The sampler's Gaussian noise: standard normal draws from a seeded stream, so a sample's starting
 * noise and every stochastic step's noise follow from (seed, noise index) alone.
 */
import type { Rng } from '../core/random.js';

/**
 * Standard normal draws as float32, by Box-Muller on pairs of uniforms from `rng`, using both the
 * cosine and the sine branch (half the uniforms and logs of Rng.normal): for each pair (u, v),
 * r = sqrt(−2 ln(1 − u)), out[2i] = r·cos(2πv), out[2i+1] = r·sin(2πv); an odd tail uses the cosine.
 */
export function normalNoise(rng: Rng, n: number, out: Float32Array = new Float32Array(n)): Float32Array {
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}
