/**
 * The three classifier-feedback guidance modes as steps of the sampler's loop (guidance.ts holds
 * their pure parts and the Guide that scores x̂0):
 *
 * - `gradient` (gradientStep): before the scheduler step, x_t ← x_t + s·‖x_t‖·g/‖g‖ along the
 *   classifier's input-gradient of the oriented criterion at x̂0.
 * - `particles` (resampleParticles, keepHardestParticles): K trajectories per request; at a guided step
 *   they are resampled by weights exp(λ·hardness(x̂0)), and at the end each request keeps its hardest.
 * - `svdd` (svddStep): in place of the scheduler's noise draw, M candidates mean + σ·z per request,
 *   each scored at its next x̂0; one is kept by a softmax over hardness (the hardest at scale 0).
 *
 * Each works on a StepState, the sampler's buffers at step i of one batch, with rows [rows, perSample].
 */
import type { Rng } from '../core/random.js';
import type { Scheduler } from './schedulers.js';
import { expWeights, hardness, pickCandidate, systematicResample, type Guide, type GuidanceSettings } from './guidance.js';
import { normalNoise } from './noise.js';

/** What a guidance mode needs from the sampler at step i of one batch. */
export interface StepState {
  /** Values per sample (C·H·W). */
  perSample: number;
  /** Requests in the batch. */
  requests: number;
  /** Population rows per request: particles K, else 1. */
  rowsPerRequest: number;
  /** The model class of each population row. */
  classIds: readonly number[];
  /** x_t, one row per population member (updated in place). */
  x: Float32Array;
  /** The (classifier-free guided) model output at x_t. */
  out: Float32Array;
  /** The timestep of step i. */
  t: number;
  guide: Guide;
  settings: GuidanceSettings;
  /** Each request's stream for guidance's random choices. */
  choiceRngs: readonly Rng[];
  /** x̂0 at timestep t from model outputs, clamped to the image range. */
  predictX0(out: Float32Array, x: Float32Array, t: number): Float32Array;
}

/** Copy row `from` of a [rows, per] array to row `to` of another. */
function copyRow(per: number, src: Float32Array, from: number, dst: Float32Array, to: number): void {
  dst.set(src.subarray(from * per, (from + 1) * per), to * per);
}

/** The oriented hardness of row range [from, from + count) of criterion values. */
function hardnessOf(values: Float64Array, from: number, count: number, criterion: GuidanceSettings['criterion']): number[] {
  return Array.from(values.subarray(from, from + count), (v) => hardness(criterion, v));
}

/** gradient: move every row of x along the normalised input-gradient of the criterion at x̂0 (in place). */
export async function gradientStep(s: StepState): Promise<void> {
  const { perSample, x, settings: { criterion, scale } } = s;
  const { gradient } = await s.guide.evaluate(s.predictX0(s.out, x, s.t), s.classIds, criterion, true);
  const sign = hardness(criterion, 1);
  for (let j = 0; j < s.classIds.length; j++) {
    const row = x.subarray(j * perSample, (j + 1) * perSample);
    const g = gradient!.subarray(j * perSample, (j + 1) * perSample);
    let xn = 0;
    let gn = 0;
    for (let q = 0; q < perSample; q++) { xn += row[q] * row[q]; gn += g[q] * g[q]; }
    if (gn === 0) continue;
    const f = (sign * scale * Math.sqrt(xn)) / Math.sqrt(gn);
    for (let q = 0; q < perSample; q++) row[q] += f * g[q];
  }
}

/** particles: resample each request's K particles (rows of x and out together) by exp(λ·hardness of x̂0). */
export async function resampleParticles(s: StepState): Promise<void> {
  const { perSample, x, out, rowsPerRequest: k, settings: { criterion, scale } } = s;
  const { values } = await s.guide.evaluate(s.predictX0(out, x, s.t), s.classIds, criterion);
  const xs = x.slice();
  const outs = out.slice();
  for (let j = 0; j < s.requests; j++) {
    const picks = systematicResample(expWeights(hardnessOf(values, j * k, k, criterion), scale), k, s.choiceRngs[j].next());
    picks.forEach((from, p) => { copyRow(perSample, xs, j * k + from, x, j * k + p); copyRow(perSample, outs, j * k + from, out, j * k + p); });
  }
}

/** particles, after the last step: each request's hardest particle of the final samples x ([requests·K] rows). */
export async function keepHardestParticles(s: Pick<StepState, 'perSample' | 'requests' | 'rowsPerRequest' | 'classIds' | 'guide' | 'settings'>, x: Float32Array): Promise<Float32Array> {
  const { perSample, rowsPerRequest: k, settings: { criterion } } = s;
  const { values } = await s.guide.evaluate(x, s.classIds, criterion);
  const chosen = new Float32Array(s.requests * perSample);
  for (let j = 0; j < s.requests; j++) copyRow(perSample, x, j * k + pickCandidate(hardnessOf(values, j * k, k, criterion), 0, 0), chosen, j);
  return chosen;
}

/** What svddStep needs beyond StepState: the scheduler, the step, the noise streams and the model. */
export interface SvddContext {
  scheduler: Scheduler;
  /** Step index i and the number of steps. */
  step: number;
  steps: number;
  /** The scheduler's noise standard deviation at step i (> 0). */
  sigma: number;
  /** Each request's noise stream (candidates draw their z from it). */
  rngs: readonly Rng[];
  /** Scratch: zero noise for the scheduler's mean step. */
  noise: Float32Array;
  /** The model output (classifier-free guided) for rows x with classes at timestep t. */
  denoise(x: Float32Array, classIds: readonly number[], t: number, into: Float32Array): Promise<Float32Array>;
}

/**
 * svdd: the step's mean (the scheduler step without noise), then M candidates mean + σ·z per request,
 * each scored by the criterion at its x̂0 of the next timestep (at the last step, on itself); the pick
 * is written to row j of `next`, and its model output to `out` for the next step.
 * @returns true when `out` already holds the model output at `next` (every step but the last)
 */
export async function svddStep(s: StepState, c: SvddContext, next: Float32Array): Promise<boolean> {
  const { perSample, out, settings: { criterion, scale, candidates: m } } = s;
  const b = s.requests;
  c.noise.fill(0);
  c.scheduler.step(c.step, out, s.x, c.noise, next);
  // M candidates per request: mean + σ·z, z from the request's noise stream
  const cands = new Float32Array(b * m * perSample);
  const candClasses = s.classIds.flatMap((cls) => Array.from({ length: m }, () => cls));
  const z = new Float32Array(perSample);
  for (let j = 0; j < b; j++) {
    const mean = next.subarray(j * perSample, (j + 1) * perSample);
    for (let q = 0; q < m; q++) {
      normalNoise(c.rngs[j], perSample, z);
      const dst = cands.subarray((j * m + q) * perSample, (j * m + q + 1) * perSample);
      for (let p = 0; p < perSample; p++) dst[p] = mean[p] + c.sigma * z[p];
    }
  }
  const last = c.step + 1 >= c.steps;
  let candOut: Float32Array | null = null;
  let scored: Float32Array = cands;
  if (!last) {
    const tNext = c.scheduler.timesteps[c.step + 1];
    candOut = await c.denoise(cands, candClasses, tNext, new Float32Array(cands.length));
    scored = s.predictX0(candOut, cands, tNext);
  }
  const { values } = await s.guide.evaluate(scored, candClasses, criterion);
  for (let j = 0; j < b; j++) {
    const pick = pickCandidate(hardnessOf(values, j * m, m, criterion), scale, s.choiceRngs[j].next());
    copyRow(perSample, cands, j * m + pick, next, j);
    if (candOut) copyRow(perSample, candOut, j * m + pick, out, j);
  }
  return !last;
}
