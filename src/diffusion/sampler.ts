/**
 * The sampler: reverse diffusion of a class-conditional denoiser (any `ModelSession` that fits its
 * manifest) with a scheduler from schedulers.ts and classifier-free guidance.
 *
 * Determinism: the starting noise and every stochastic step's noise of sample `noiseIndex` are standard
 * normal draws (Box-Muller) from `rngFor(seed, noiseIndex, 'noise')`, so (model, class, seed, noise
 * index, steps, scheduler, cfg, eta) always gives the same image, whatever the batch it runs in.
 * Guidance: `out = uncond + w·(cond − uncond)` from ONE session.run of size 2B (conditional half
 * first, then the null-class half); w = 1 runs only the conditional batch.
 */
import { rngFor, type Rng } from '../core/random.js';
import { InputError, inputError } from '../core/errors.js';
import { alphasCumprodFor, convertOutput, createScheduler, SCHEDULER_NAMES, TIMESTEP_SPACINGS, type SchedulerName, type TimestepSpacing } from './schedulers.js';
import { checkDenoiserSignature, schedulerOptionsOf, type DenoiserManifest } from './manifest.js';
import type { ModelSession, TensorData } from './onnx.js';
import { expWeights, hardness, pickCandidate, systematicResample, type Guide, type GuidanceSettings } from './guidance.js';

/** Settings of one generation run. */
export interface SampleSettings {
  scheduler: SchedulerName;
  steps: number;
  /** Classifier-free guidance weight w (1 = conditional only, 0 = unconditional). */
  cfg: number;
  /** DDIM stochasticity in [0, 1] (DDIM only). */
  eta: number;
  seed: number;
  /** Default: the scheduler's diffusers default. */
  timestepSpacing?: TimestepSpacing;
}

/** Defaults of SampleSettings and the batch size; a model's manifest `defaults` override them. */
export const SAMPLE_DEFAULTS: Readonly<SampleSettings & { batch: number }> = { scheduler: 'dpmpp2m', steps: 25, cfg: 3, eta: 0, seed: 0, batch: 16 };

/** Largest guidance weight accepted. */
export const MAX_CFG = 50;

/**
 * Fill in and validate settings for a model: manifest defaults under explicit values.
 * @throws InputError naming the setting, what was expected and what came
 */
export function resolveSettings(manifest: DenoiserManifest, partial: Partial<SampleSettings> = {}): SampleSettings {
  const d = manifest.defaults ?? {};
  const scheduler = partial.scheduler ?? d.scheduler ?? SAMPLE_DEFAULTS.scheduler;
  const s: SampleSettings = {
    scheduler,
    steps: partial.steps ?? d.steps ?? SAMPLE_DEFAULTS.steps,
    cfg: partial.cfg ?? d.cfg ?? SAMPLE_DEFAULTS.cfg,
    // the manifest's eta is a DDIM default: other schedulers take none
    eta: partial.eta ?? (scheduler === 'ddim' ? d.eta ?? SAMPLE_DEFAULTS.eta : 0),
    seed: partial.seed ?? SAMPLE_DEFAULTS.seed,
    ...(partial.timestepSpacing ? { timestepSpacing: partial.timestepSpacing } : {}),
  };
  const T = manifest.schedule.numTrainTimesteps;
  if (!(SCHEDULER_NAMES as readonly string[]).includes(s.scheduler)) throw inputError('scheduler', `one of ${SCHEDULER_NAMES.join(', ')}`, s.scheduler);
  if (!Number.isInteger(s.steps) || s.steps < 1 || s.steps > T) throw inputError('steps', `an integer in [1, ${T}] (the model's training timesteps)`, s.steps);
  if (!Number.isFinite(s.cfg) || s.cfg < 0 || s.cfg > MAX_CFG) throw inputError('cfg', `a guidance weight in [0, ${MAX_CFG}] (1 = no guidance)`, s.cfg);
  if (s.cfg !== 1 && manifest.nullClass === null) throw inputError('cfg', `1 (model ${manifest.name} has no null class for classifier-free guidance)`, s.cfg);
  if (!Number.isFinite(s.eta) || s.eta < 0 || s.eta > 1) throw inputError('eta', 'a number in [0, 1]', s.eta);
  if (s.eta > 0 && s.scheduler !== 'ddim') throw inputError('eta', `0 with scheduler ${s.scheduler} (eta applies to ddim)`, s.eta);
  if (s.timestepSpacing && !(TIMESTEP_SPACINGS as readonly string[]).includes(s.timestepSpacing)) throw inputError('timestepSpacing', `one of ${TIMESTEP_SPACINGS.join(', ')}`, s.timestepSpacing);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 2 ** 32 - 1) throw inputError('seed', 'an integer in [0, 4294967295]', s.seed);
  return s;
}

/** Time spent by a sampler, for benchmarks: session.run against everything else. */
export interface SamplerStats {
  runs: number;
  /** Seconds inside session.run. */
  runSeconds: number;
  /** Seconds inside sampleBatch, session.run included. */
  totalSeconds: number;
  /** Batch size of each session.run, in order (the last 1000). */
  runBatches: number[];
}

/** One sample of a batch: its class index and the index of its noise stream. */
export interface SampleRequest {
  classId: number;
  noiseIndex: number;
}

/** Classifier-feedback guidance of a batch: resolved settings and the guide that scores x̂0. */
export interface SamplerGuidance {
  settings: GuidanceSettings;
  guide: Guide;
}

/** A sampler bound to one model. */
export interface Sampler {
  readonly manifest: DenoiserManifest;
  readonly stats: SamplerStats;
  /**
   * Denoise a batch from pure noise; resolves to the final samples, [B, C, H, W] flattened, in the
   * model's image range (clamped to it).
   * @throws InputError for an unknown class index
   */
  sampleBatch(requests: readonly SampleRequest[], settings: SampleSettings, onStep?: (step: number, steps: number) => void, guidance?: SamplerGuidance): Promise<Float32Array>;
}

/**
 * Standard normal draws as float32, by Box-Muller on pairs of uniforms from `rng`, using both the
 * cosine and the sine branch (half the uniforms and logs of Rng.normal): for each pair (u, v),
 * r = sqrt(−2 ln(1 − u)), out[2i] = r·cos(2πv), out[2i+1] = r·sin(2πv); an odd tail uses the cosine.
 */
export function normalNoise(rng: Rng, n: number, out = new Float32Array(n)): Float32Array {
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * A sampler over a session that fits `manifest` (checked here).
 * @throws InputError listing every mismatch between the session and the manifest
 */
export function createSampler(deps: { session: ModelSession; manifest: DenoiserManifest }): Sampler {
  const { session, manifest } = deps;
  checkDenoiserSignature(manifest, session);
  const { sample: xSpec, timestep: tSpec, class: cSpec } = manifest.inputs;
  const outName = manifest.outputs.prediction.name;
  const timestepType = session.inputs.find((i) => i.name === tSpec.name)?.type ?? tSpec.dtype;
  const { channels, height, width, range } = manifest.image;
  const perSample = channels * height * width;
  const stats: SamplerStats = { runs: 0, runSeconds: 0, totalSeconds: 0, runBatches: [] };

  /** Feeds of one batch: x (filled per step), the timestep (filled per step) and the fixed classes. */
  function feedsFor(x: Float32Array, classes: readonly number[]) {
    const b = classes.length;
    const t: TensorData = timestepType === 'float32'
      ? { type: 'float32', data: new Float32Array(b), dims: [b] }
      : { type: 'int64', data: new BigInt64Array(b), dims: [b] };
    const feeds: Record<string, TensorData> = {
      [xSpec.name]: { type: 'float32', data: x, dims: [b, channels, height, width] },
      [tSpec.name]: t,
      [cSpec.name]: { type: 'int64', data: BigInt64Array.from(classes, (c) => BigInt(c)), dims: [b] },
    };
    return {
      feeds,
      setTimestep(value: number) {
        if (t.type === 'float32') t.data.fill(value);
        else t.data.fill(BigInt(value));
      },
    };
  }

  async function run(feeds: Record<string, TensorData>, b: number): Promise<Float32Array> {
    const t0 = performance.now();
    const result = await session.run(feeds, [outName]);
    stats.runSeconds += (performance.now() - t0) / 1000;
    stats.runs++;
    stats.runBatches.push(b);
    if (stats.runBatches.length > 1000) stats.runBatches.shift();
    const out = result[outName];
    if (!out || out.data.length !== b * perSample) {
      throw new InputError(`${manifest.name}: output ${outName}: expected ${b * perSample} values ([${b}, ${channels}, ${height}, ${width}]), got ${out ? `${out.data.length} ([${out.dims.join(', ')}])` : 'no such output'}`);
    }
    return out.data;
  }

  const alphasCumprod = alphasCumprodFor(manifest.schedule);
  /** Feed buffers by batch rows; one cache per sampleBatch call, so concurrent calls never share buffers. */
  type FeedCache = Map<number, { x: Float32Array; feeds: ReturnType<typeof feedsFor> }>;

  /**
   * The model output at timestep `t` for a population `x` of samples with classes `classIds`, under
   * classifier-free guidance w (one session.run of 2N, conditional half first; N when w = 1).
   */
  async function denoise(feedCache: FeedCache, x: Float32Array, classIds: readonly number[], t: number, w: number, into: Float32Array): Promise<Float32Array> {
    const n = classIds.length;
    const size = n * perSample;
    const guided = w !== 1;
    const rows = guided ? 2 * n : n;
    // within one sampleBatch call a population size always has the same classes (the batch, or its
    // candidates, or its particles), so the class feed is built once per size
    let cached = feedCache.get(rows);
    if (!cached) {
      const buf = new Float32Array(rows * perSample);
      const classes = guided ? [...classIds, ...classIds.map(() => manifest.nullClass!)] : classIds;
      cached = { x: buf, feeds: feedsFor(buf, classes) };
      feedCache.set(rows, cached);
    }
    cached.x.set(x, 0);
    if (guided) cached.x.set(x, size);
    cached.feeds.setTimestep(t);
    const out = await run(cached.feeds.feeds, rows);
    if (!guided) {
      into.set(out.subarray(0, size));
      return into;
    }
    for (let k = 0; k < size; k++) {
      const u = out[size + k];
      into[k] = u + w * (out[k] - u);
    }
    return into;
  }

  /** x̂0 at timestep t from model outputs (the prediction type's conversion), clamped to the image range. */
  function predictX0(out: Float32Array, x: Float32Array, t: number, into = new Float32Array(x.length)): Float32Array {
    const a = alphasCumprod[t];
    const sa = Math.sqrt(a);
    const s1 = Math.sqrt(1 - a);
    const [lo, hi] = range;
    for (let k = 0; k < x.length; k++) {
      const v = convertOutput(manifest.predictionType, out[k], x[k], sa, s1)[0];
      into[k] = v < lo ? lo : v > hi ? hi : v;
    }
    return into;
  }

  /** Copy row `from` of a [rows, perSample] array to row `to` of another. */
  const copyRow = (src: Float32Array, from: number, dst: Float32Array, to: number) => dst.set(src.subarray(from * perSample, (from + 1) * perSample), to * perSample);

  return {
    manifest,
    stats,
    async sampleBatch(requests, settings, onStep, guidance) {
      const start = performance.now();
      const b = requests.length;
      for (const r of requests) {
        if (!Number.isInteger(r.classId) || r.classId < 0 || r.classId >= manifest.classes.length) {
          throw inputError('class', `a class index in [0, ${manifest.classes.length - 1}] of model ${manifest.name}`, r.classId);
        }
      }
      const scheduler = createScheduler(settings.scheduler, {
        ...schedulerOptionsOf(manifest), steps: settings.steps, eta: settings.eta,
        timestepSpacing: settings.timestepSpacing ?? manifest.schedule.timestepSpacing,
      });
      const w = settings.cfg;
      const feedCache: FeedCache = new Map();
      const mode = guidance?.settings.mode ?? null;
      const guidedSteps = new Set(guidance?.settings.steps ?? []);
      const steps = scheduler.timesteps.length;
      // particles: K trajectories per request, particle 0 on the request's own noise stream
      const k = mode === 'particles' ? guidance!.settings.candidates : 1;
      const n = b * k;
      const classIds = requests.flatMap((r) => Array.from({ length: k }, () => r.classId));
      const rngs = requests.flatMap((r) => Array.from({ length: k }, (_, p) => rngFor(settings.seed, r.noiseIndex, p === 0 ? 'noise' : `noise-particle-${p}`)));
      const choiceRngs = requests.map((r) => rngFor(settings.seed, r.noiseIndex, 'guidance'));
      let x = new Float32Array(n * perSample);
      rngs.forEach((rng, i) => normalNoise(rng, perSample, x.subarray(i * perSample, (i + 1) * perSample)));
      const noise = new Float32Array(n * perSample);
      let out = new Float32Array(n * perSample);
      let next = new Float32Array(n * perSample);
      let haveOut = false;
      for (let i = 0; i < steps; i++) {
        const t = scheduler.timesteps[i];
        if (!haveOut) await denoise(feedCache, x, classIds, t, w, out);
        haveOut = false;
        if (guidance && guidedSteps.has(i) && mode === 'gradient') {
          const { criterion, scale } = guidance.settings;
          const { gradient } = await guidance.guide.evaluate(predictX0(out, x, t), classIds, criterion, true);
          const sign = hardness(criterion, 1);
          for (let j = 0; j < n; j++) {
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
        if (guidance && guidedSteps.has(i) && mode === 'particles') {
          const { criterion, scale } = guidance.settings;
          const { values } = await guidance.guide.evaluate(predictX0(out, x, t), classIds, criterion);
          const xs = x.slice();
          const outs = out.slice();
          for (let j = 0; j < b; j++) {
            const h = Array.from(values.subarray(j * k, (j + 1) * k), (v) => hardness(criterion, v));
            const picks = systematicResample(expWeights(h, scale), k, choiceRngs[j].next());
            picks.forEach((from, p) => { copyRow(xs, j * k + from, x, j * k + p); copyRow(outs, j * k + from, out, j * k + p); });
          }
        }
        const sigma = scheduler.noiseStd(i);
        if (guidance && guidedSteps.has(i) && mode === 'svdd' && sigma > 0) {
          const { criterion, scale, candidates: m } = guidance.settings;
          noise.fill(0);
          scheduler.step(i, out, x, noise, next);
          // M candidates per request: mean + σ·z, z from the request's noise stream
          const cands = new Float32Array(b * m * perSample);
          const candClasses = classIds.flatMap((c) => Array.from({ length: m }, () => c));
          const z = new Float32Array(perSample);
          for (let j = 0; j < b; j++) {
            const mean = next.subarray(j * perSample, (j + 1) * perSample);
            for (let c = 0; c < m; c++) {
              normalNoise(rngs[j], perSample, z);
              const dst = cands.subarray((j * m + c) * perSample, (j * m + c + 1) * perSample);
              for (let q = 0; q < perSample; q++) dst[q] = mean[q] + sigma * z[q];
            }
          }
          const last = i + 1 >= steps;
          let candOut: Float32Array | null = null;
          let scored: Float32Array = cands;
          if (!last) {
            candOut = await denoise(feedCache, cands, candClasses, scheduler.timesteps[i + 1], w, new Float32Array(cands.length));
            scored = predictX0(candOut, cands, scheduler.timesteps[i + 1]);
          }
          const { values } = await guidance.guide.evaluate(scored, candClasses, criterion);
          for (let j = 0; j < b; j++) {
            const h = Array.from(values.subarray(j * m, (j + 1) * m), (v) => hardness(criterion, v));
            const c = pickCandidate(h, scale, choiceRngs[j].next());
            copyRow(cands, j * m + c, next, j);
            if (candOut) copyRow(candOut, j * m + c, out, j);
          }
          haveOut = !last;
        } else {
          if (scheduler.needsNoise(i)) rngs.forEach((rng, j) => normalNoise(rng, perSample, noise.subarray(j * perSample, (j + 1) * perSample)));
          scheduler.step(i, out, x, scheduler.needsNoise(i) ? noise : undefined, next);
        }
        [x, next] = [next, x];
        onStep?.(i + 1, steps);
      }
      const [lo, hi] = range;
      for (let q = 0; q < x.length; q++) x[q] = x[q] < lo ? lo : x[q] > hi ? hi : x[q];
      if (mode === 'particles') {
        // keep each request's hardest particle
        const { criterion } = guidance!.settings;
        const { values } = await guidance!.guide.evaluate(x, classIds, criterion);
        const chosen = new Float32Array(b * perSample);
        for (let j = 0; j < b; j++) {
          const h = Array.from(values.subarray(j * k, (j + 1) * k), (v) => hardness(criterion, v));
          copyRow(x, j * k + pickCandidate(h, 0, 0), chosen, j);
        }
        x = chosen;
      }
      stats.totalSeconds += (performance.now() - start) / 1000;
      return x;
    },
  };
}

/**
 * Sample `i` of a batch as 8-bit pixels, interleaved (HWC: RGB, or grey for one channel), mapping the
 * model's range to [0, 255].
 */
export function toPixels(batch: Float32Array, i: number, image: DenoiserManifest['image']): Uint8Array {
  const { channels, height, width, range } = image;
  const plane = height * width;
  const base = i * channels * plane;
  const out = new Uint8Array(channels * plane);
  const scale = 255 / (range[1] - range[0]);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      const v = Math.round((batch[base + c * plane + p] - range[0]) * scale);
      out[p * channels + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
