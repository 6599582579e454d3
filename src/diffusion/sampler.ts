/**
 * The sampler: reverse diffusion of a class-conditional denoiser (any `ModelSession` that fits its
 * manifest) with a scheduler from schedulers.ts and classifier-free guidance.
 *
 * Determinism: the starting noise and every stochastic step's noise of sample `noiseIndex` are standard
 * normal draws (Box-Muller) from `rngFor(seed, noiseIndex, 'noise')`, so (model, class, seed, noise
 * index, steps, scheduler, cfg, eta) always gives the same image, whatever the batch it runs in.
 * Guidance: `out = uncond + w·(cond − uncond)` from ONE session.run of size 2B (conditional half
 * first, then the null-class half); w = 1 runs only the conditional batch. Classifier-feedback
 * guidance (gradient, svdd, particles) acts at its steps through guidance-steps.ts.
 */
import { rngFor } from '../core/random.js';
import { InputError, inputError } from '../core/errors.js';
import { alphasCumprodFor, convertOutput, createScheduler, SCHEDULER_NAMES, TIMESTEP_SPACINGS, type SchedulerName, type TimestepSpacing } from './schedulers.js';
import { checkDenoiserSignature, schedulerOptionsOf, type DenoiserManifest } from './manifest.js';
import type { ModelSession, TensorData } from './onnx.js';
import type { Guide, GuidanceSettings } from './guidance.js';
import { gradientStep, keepHardestParticles, resampleParticles, svddStep, type StepState } from './guidance-steps.js';
import { normalNoise } from './noise.js';

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
      let x: Float32Array = new Float32Array(n * perSample);
      rngs.forEach((rng, i) => normalNoise(rng, perSample, x.subarray(i * perSample, (i + 1) * perSample)));
      const noise = new Float32Array(n * perSample);
      const out = new Float32Array(n * perSample);
      let next: Float32Array = new Float32Array(n * perSample);
      const guided = guidance ? { perSample, requests: b, rowsPerRequest: k, classIds, out, guide: guidance.guide, settings: guidance.settings, choiceRngs, predictX0 } : null;
      const denoiseRows = (rows: Float32Array, classes: readonly number[], t: number, into: Float32Array) => denoise(feedCache, rows, classes, t, w, into);
      let haveOut = false;
      for (let i = 0; i < steps; i++) {
        const t = scheduler.timesteps[i];
        if (!haveOut) await denoise(feedCache, x, classIds, t, w, out);
        haveOut = false;
        const state: StepState | null = guided && guidedSteps.has(i) ? { ...guided, x, t } : null;
        if (state && mode === 'gradient') await gradientStep(state);
        if (state && mode === 'particles') await resampleParticles(state);
        const sigma = scheduler.noiseStd(i);
        if (state && mode === 'svdd' && sigma > 0) {
          haveOut = await svddStep(state, { scheduler, step: i, steps, sigma, rngs, noise, denoise: denoiseRows }, next);
        } else {
          if (scheduler.needsNoise(i)) rngs.forEach((rng, j) => normalNoise(rng, perSample, noise.subarray(j * perSample, (j + 1) * perSample)));
          scheduler.step(i, out, x, scheduler.needsNoise(i) ? noise : undefined, next);
        }
        [x, next] = [next, x];
        onStep?.(i + 1, steps);
      }
      const [lo, hi] = range;
      for (let q = 0; q < x.length; q++) x[q] = x[q] < lo ? lo : x[q] > hi ? hi : x[q];
      if (guided && mode === 'particles') x = await keepHardestParticles(guided, x); // each request's hardest particle
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
