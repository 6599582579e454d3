/**
 * Diffusion schedulers over plain Float32Arrays, matching the Hugging Face `diffusers` definitions
 * (DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler with algorithm_type "dpmsolver++",
 * solver_order 2, lower_order_final), their beta schedules and timestep spacings, so a model exported
 * from a diffusers pipeline samples the same way here. No ONNX in this file: a step is arithmetic on
 * arrays, checked against golden arrays written by models/train/scheduler_reference.py.
 *
 * Coefficients are computed in float64; samples and model outputs are float32 (what the model sees).
 */

/** Beta schedules (diffusers names). */
export const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as const;
export type BetaSchedule = (typeof BETA_SCHEDULES)[number];

/** What the model predicts: the noise, the velocity v = sqrt(ᾱ)·ε − sqrt(1−ᾱ)·x0, or x0 itself. */
export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/** How inference timesteps are spread over the training steps (diffusers `timestep_spacing`). */
export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** The schedulers `createScheduler` builds. */
export const SCHEDULER_NAMES = ['ddim', 'ddpm', 'dpmpp2m'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** The training noise schedule of a model. */
export interface NoiseSchedule {
  numTrainTimesteps: number;
  betaSchedule: BetaSchedule;
  betaStart: number;
  betaEnd: number;
}

/** diffusers' defaults for a NoiseSchedule. */
export const NOISE_SCHEDULE_DEFAULTS: NoiseSchedule = { numTrainTimesteps: 1000, betaSchedule: 'linear', betaStart: 0.0001, betaEnd: 0.02 };

/** Options of createScheduler. */
export interface SchedulerOptions {
  schedule?: Partial<NoiseSchedule>;
  predictionType?: PredictionType;
  /** Number of inference steps, in [1, numTrainTimesteps]. */
  steps: number;
  /** Default: the scheduler's diffusers default (leading for DDPM and DDIM, linspace for DPM-Solver++). */
  timestepSpacing?: TimestepSpacing;
  stepsOffset?: number;
  /** Clamp the predicted x0 to ±clipSampleRange (DDPM, DDIM; diffusers default true). */
  clipSample?: boolean;
  clipSampleRange?: number;
  /** DDIM stochasticity in [0, 1]: 0 is deterministic DDIM, 1 has DDPM-like variance. */
  eta?: number;
  /** DDIM: the last step goes to ᾱ = 1 (true, diffusers' default) or to ᾱ_0 (false, e.g. Stable Diffusion's config). */
  setAlphaToOne?: boolean;
}

/** Default timestep spacing per scheduler, as in diffusers. */
export const DEFAULT_SPACING: Readonly<Record<SchedulerName, TimestepSpacing>> = { ddpm: 'leading', ddim: 'leading', dpmpp2m: 'linspace' };

/** Defaults of SchedulerOptions other than steps and spacing. */
export const SCHEDULER_DEFAULTS = { predictionType: 'epsilon' as PredictionType, stepsOffset: 0, clipSample: true, clipSampleRange: 1, eta: 0, setAlphaToOne: true };

/** numpy's round: half to even (np.round(2.5) = 2), which diffusers' timestep spacings rely on. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** numpy.linspace(start, stop, num) with the same floating-point recipe (i·step + start, exact end). */
export function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

/** numpy.arange(start, stop, step) for floats, with numpy's fill recipe (start + i·((start+step)−start)). */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  if (length === 0) return [];
  const second = start + step;
  const delta = second - start;
  return Array.from({ length }, (_, i) => (i === 0 ? start : i === 1 ? second : start + i * delta));
}

/** The training betas of a schedule (float64; diffusers builds the same in float32). */
export function betasFor(schedule: Partial<NoiseSchedule> = {}): Float64Array {
  const { numTrainTimesteps: n, betaSchedule, betaStart, betaEnd } = { ...NOISE_SCHEDULE_DEFAULTS, ...schedule };
  const betas = new Float64Array(n);
  if (betaSchedule === 'linear' || betaSchedule === 'scaled_linear') {
    const scaled = betaSchedule === 'scaled_linear';
    const a = scaled ? Math.sqrt(betaStart) : betaStart;
    const b = scaled ? Math.sqrt(betaEnd) : betaEnd;
    for (let i = 0; i < n; i++) {
      const v = n === 1 ? a : a + ((b - a) * i) / (n - 1);
      betas[i] = scaled ? v * v : v;
    }
  } else if (betaSchedule === 'squaredcos_cap_v2') {
    const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
    for (let i = 0; i < n; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
  } else {
    throw new RangeError(`schedule.betaSchedule: expected one of ${BETA_SCHEDULES.join(', ')}, got ${JSON.stringify(betaSchedule)}`);
  }
  return betas;
}

/** ᾱ_t = Π(1 − β) for t in [0, numTrainTimesteps). */
export function alphasCumprodFor(schedule: Partial<NoiseSchedule> = {}): Float64Array {
  const betas = betasFor(schedule);
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) out[i] = p *= 1 - betas[i];
  return out;
}

function checkSteps(steps: number, numTrain: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrain) {
    throw new RangeError(`steps: expected an integer in [1, ${numTrain}], got ${steps}`);
  }
}

/** DDPMScheduler/DDIMScheduler.set_timesteps: `steps` descending timesteps. @throws RangeError */
export function ddpmTimesteps(steps: number, spacing: TimestepSpacing, numTrain = 1000, stepsOffset = 0): number[] {
  checkSteps(steps, numTrain);
  if (spacing === 'linspace') return npLinspace(0, numTrain - 1, steps).map(roundHalfEven).reverse();
  if (spacing === 'leading') {
    const ratio = Math.floor(numTrain / steps);
    return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + stepsOffset);
  }
  if (spacing === 'trailing') return npArange(numTrain, 0, -numTrain / steps).map((v) => roundHalfEven(v) - 1);
  throw new RangeError(`timestepSpacing: expected one of ${TIMESTEP_SPACINGS.join(', ')}, got ${JSON.stringify(spacing)}`);
}

/** DPMSolverMultistepScheduler.set_timesteps (no λ clipping): `steps` descending timesteps. @throws RangeError */
export function dpmTimesteps(steps: number, spacing: TimestepSpacing, numTrain = 1000, stepsOffset = 0): number[] {
  checkSteps(steps, numTrain);
  if (spacing === 'linspace') return npLinspace(0, numTrain - 1, steps + 1).map(roundHalfEven).reverse().slice(0, -1);
  if (spacing === 'leading') {
    const ratio = Math.floor(numTrain / (steps + 1));
    return Array.from({ length: steps + 1 }, (_, i) => (steps - i) * ratio + stepsOffset).slice(0, -1);
  }
  if (spacing === 'trailing') return npArange(numTrain, 0, -numTrain / steps).map((v) => roundHalfEven(v) - 1);
  throw new RangeError(`timestepSpacing: expected one of ${TIMESTEP_SPACINGS.join(', ')}, got ${JSON.stringify(spacing)}`);
}

/** One reverse-diffusion solver over a fixed list of timesteps. */
export interface Scheduler {
  readonly name: SchedulerName;
  /** The model's timestep at each step index, descending. */
  readonly timesteps: readonly number[];
  readonly predictionType: PredictionType;
  /** Whether step `i` needs a noise array (DDPM except at t = 0; DDIM with eta > 0). */
  needsNoise(i: number): boolean;
  /**
   * The standard deviation σ_i that multiplies the noise at step `i` (0 where needsNoise is false): a
   * step is a deterministic mean plus σ_i·noise, so candidates of one step (SVDD) differ by σ_i·z.
   */
  noiseStd(i: number): number;
  /**
   * x at the next (less noisy) timestep from x at step `i` and the model output there. Steps must be
   * taken in order 0, 1, ...; `noise` (standard normal, same length) is required where needsNoise(i).
   * Writes into `out` (may be `sample` itself) or a new array.
   * @throws RangeError for a wrong step index, mismatched lengths or missing noise
   */
  step(i: number, modelOutput: Float32Array, sample: Float32Array, noise?: Float32Array, out?: Float32Array): Float32Array;
  /** The clean-image estimate x̂0 of the last step taken (after clipping where the scheduler clips); valid until the next step. */
  readonly predictedX0: Float32Array | null;
  /** Forget multistep history and start again at step 0. */
  reset(): void;
}

function checkArrays(name: string, i: number, n: number, expectedIndex: number, modelOutput: Float32Array, sample: Float32Array, noise: Float32Array | undefined, needsNoise: boolean): void {
  if (i !== expectedIndex) throw new RangeError(`${name}.step: expected step index ${expectedIndex} (steps run in order, 0..${n - 1}), got ${i}`);
  if (modelOutput.length !== sample.length) throw new RangeError(`${name}.step: expected a model output of ${sample.length} values (the sample's length), got ${modelOutput.length}`);
  if (needsNoise && (!noise || noise.length !== sample.length)) throw new RangeError(`${name}.step: expected a noise array of ${sample.length} values at step ${i}, got ${noise ? noise.length : 'none'}`);
}

/** x̂0 and ε from a model output at ᾱ = a (diffusers' conversions, float64). */
export function convertOutput(type: PredictionType, out: number, x: number, sqrtA: number, sqrt1mA: number): [number, number] {
  if (type === 'epsilon') return [(x - sqrt1mA * out) / sqrtA, out];
  if (type === 'v_prediction') return [sqrtA * x - sqrt1mA * out, sqrtA * out + sqrt1mA * x];
  return [out, (x - sqrtA * out) / sqrt1mA];
}

function resolve(name: SchedulerName, options: SchedulerOptions) {
  const schedule: NoiseSchedule = { ...NOISE_SCHEDULE_DEFAULTS };
  for (const [k, v] of Object.entries(options.schedule ?? {})) if (v !== undefined) (schedule as unknown as Record<string, unknown>)[k] = v;
  const opts = {
    steps: options.steps,
    predictionType: options.predictionType ?? SCHEDULER_DEFAULTS.predictionType,
    timestepSpacing: options.timestepSpacing ?? DEFAULT_SPACING[name],
    stepsOffset: options.stepsOffset ?? SCHEDULER_DEFAULTS.stepsOffset,
    clipSample: options.clipSample ?? SCHEDULER_DEFAULTS.clipSample,
    clipSampleRange: options.clipSampleRange ?? SCHEDULER_DEFAULTS.clipSampleRange,
    eta: options.eta ?? SCHEDULER_DEFAULTS.eta,
    setAlphaToOne: options.setAlphaToOne ?? SCHEDULER_DEFAULTS.setAlphaToOne,
  };
  if (!Number.isInteger(opts.stepsOffset) || opts.stepsOffset < 0) throw new RangeError(`stepsOffset: expected an integer >= 0, got ${opts.stepsOffset}`);
  if (!(opts.clipSampleRange > 0)) throw new RangeError(`clipSampleRange: expected a number > 0, got ${opts.clipSampleRange}`);
  if (!(PREDICTION_TYPES as readonly string[]).includes(opts.predictionType)) {
    throw new RangeError(`predictionType: expected one of ${PREDICTION_TYPES.join(', ')}, got ${JSON.stringify(opts.predictionType)}`);
  }
  if (!(opts.eta >= 0 && opts.eta <= 1)) throw new RangeError(`eta: expected a number in [0, 1], got ${opts.eta}`);
  return { schedule, opts, alphasCumprod: alphasCumprodFor(schedule) };
}

/** DDPM (Ho et al. 2020), diffusers' DDPMScheduler with variance_type "fixed_small". */
export class DdpmScheduler implements Scheduler {
  readonly name = 'ddpm' as const;
  readonly timesteps: readonly number[];
  readonly predictionType: PredictionType;
  predictedX0: Float32Array | null = null;
  private readonly ac: Float64Array;
  private readonly clip: number;
  private next = 0;

  constructor(options: SchedulerOptions) {
    const { schedule, opts, alphasCumprod } = resolve('ddpm', options);
    this.ac = alphasCumprod;
    this.timesteps = ddpmTimesteps(opts.steps, opts.timestepSpacing, schedule.numTrainTimesteps, opts.stepsOffset);
    this.predictionType = opts.predictionType;
    this.clip = opts.clipSample ? opts.clipSampleRange : Infinity;
  }

  needsNoise(i: number): boolean {
    return this.timesteps[i] > 0;
  }

  noiseStd(i: number): number {
    const t = this.timesteps[i];
    if (!(t > 0)) return 0;
    const prevT = i + 1 < this.timesteps.length ? this.timesteps[i + 1] : -1;
    const a = this.ac[t];
    const aPrev = prevT >= 0 ? this.ac[prevT] : 1;
    return Math.sqrt(Math.max(((1 - aPrev) / (1 - a)) * (1 - a / aPrev), 1e-20));
  }

  step(i: number, modelOutput: Float32Array, sample: Float32Array, noise?: Float32Array, out = new Float32Array(sample.length)): Float32Array {
    checkArrays('ddpm', i, this.timesteps.length, this.next, modelOutput, sample, noise, this.needsNoise(i));
    const t = this.timesteps[i];
    const prevT = i + 1 < this.timesteps.length ? this.timesteps[i + 1] : -1;
    const a = this.ac[t];
    const aPrev = prevT >= 0 ? this.ac[prevT] : 1;
    const alphaT = a / aPrev;
    const betaT = 1 - alphaT;
    const cX0 = (Math.sqrt(aPrev) * betaT) / (1 - a);
    const cX = (Math.sqrt(alphaT) * (1 - aPrev)) / (1 - a);
    const std = this.noiseStd(i);
    const sqrtA = Math.sqrt(a);
    const sqrt1mA = Math.sqrt(1 - a);
    const x0s = this.predictedX0?.length === sample.length ? this.predictedX0 : new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const x = sample[k];
      let x0 = convertOutput(this.predictionType, modelOutput[k], x, sqrtA, sqrt1mA)[0];
      if (x0 > this.clip) x0 = this.clip;
      else if (x0 < -this.clip) x0 = -this.clip;
      x0s[k] = x0;
      out[k] = cX0 * x0 + cX * x + (std > 0 ? std * noise![k] : 0);
    }
    this.predictedX0 = x0s;
    this.next = i + 1;
    return out;
  }

  reset(): void {
    this.next = 0;
    this.predictedX0 = null;
  }
}

/** DDIM (Song et al. 2021) with eta, diffusers' DDIMScheduler (set_alpha_to_one true or false). */
export class DdimScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly timesteps: readonly number[];
  readonly predictionType: PredictionType;
  readonly eta: number;
  predictedX0: Float32Array | null = null;
  private readonly ac: Float64Array;
  private readonly clip: number;
  private readonly stride: number;
  /** ᾱ after the last step: 1, or ᾱ_0 without set_alpha_to_one. */
  private readonly finalAlpha: number;
  private next = 0;

  constructor(options: SchedulerOptions) {
    const { schedule, opts, alphasCumprod } = resolve('ddim', options);
    this.ac = alphasCumprod;
    this.finalAlpha = opts.setAlphaToOne ? 1 : alphasCumprod[0];
    this.timesteps = ddpmTimesteps(opts.steps, opts.timestepSpacing, schedule.numTrainTimesteps, opts.stepsOffset);
    this.predictionType = opts.predictionType;
    this.clip = opts.clipSample ? opts.clipSampleRange : Infinity;
    this.eta = opts.eta;
    // diffusers: prev_timestep = t - T // N whatever the spacing
    this.stride = Math.floor(schedule.numTrainTimesteps / opts.steps);
  }

  needsNoise(): boolean {
    return this.eta > 0;
  }

  noiseStd(i: number): number {
    const t = this.timesteps[i];
    const prevT = t - this.stride;
    const a = this.ac[t];
    const aPrev = prevT >= 0 ? this.ac[prevT] : this.finalAlpha;
    return this.eta * Math.sqrt(((1 - aPrev) / (1 - a)) * (1 - a / aPrev));
  }

  step(i: number, modelOutput: Float32Array, sample: Float32Array, noise?: Float32Array, out = new Float32Array(sample.length)): Float32Array {
    checkArrays('ddim', i, this.timesteps.length, this.next, modelOutput, sample, noise, this.needsNoise());
    const t = this.timesteps[i];
    const prevT = t - this.stride;
    const a = this.ac[t];
    const aPrev = prevT >= 0 ? this.ac[prevT] : this.finalAlpha;
    const std = this.noiseStd(i);
    const cX0 = Math.sqrt(aPrev);
    const cEps = Math.sqrt(1 - aPrev - std * std);
    const sqrtA = Math.sqrt(a);
    const sqrt1mA = Math.sqrt(1 - a);
    const x0s = this.predictedX0?.length === sample.length ? this.predictedX0 : new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      let [x0, eps] = convertOutput(this.predictionType, modelOutput[k], sample[k], sqrtA, sqrt1mA);
      if (x0 > this.clip) x0 = this.clip;
      else if (x0 < -this.clip) x0 = -this.clip;
      x0s[k] = x0;
      out[k] = cX0 * x0 + cEps * eps + (std > 0 ? std * noise![k] : 0);
    }
    this.predictedX0 = x0s;
    this.next = i + 1;
    return out;
  }

  reset(): void {
    this.next = 0;
    this.predictedX0 = null;
  }
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022), diffusers' DPMSolverMultistepScheduler with solver_order 2,
 * midpoint, lower_order_final and final sigma 0: first order at the first and last step, second
 * order in between; the last step returns the data prediction.
 */
export class DpmSolverPlusPlus2MScheduler implements Scheduler {
  readonly name = 'dpmpp2m' as const;
  readonly timesteps: readonly number[];
  readonly predictionType: PredictionType;
  predictedX0: Float32Array | null = null;
  private readonly sigmas: Float64Array;
  private previous: Float32Array | null = null;
  private buffers: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  private next = 0;

  constructor(options: SchedulerOptions) {
    const { schedule, opts, alphasCumprod } = resolve('dpmpp2m', options);
    this.timesteps = dpmTimesteps(opts.steps, opts.timestepSpacing, schedule.numTrainTimesteps, opts.stepsOffset);
    this.predictionType = opts.predictionType;
    this.sigmas = new Float64Array(this.timesteps.length + 1);
    this.timesteps.forEach((t, i) => { this.sigmas[i] = Math.sqrt((1 - alphasCumprod[t]) / alphasCumprod[t]); });
  }

  needsNoise(): boolean {
    return false;
  }

  noiseStd(): number {
    return 0;
  }

  step(i: number, modelOutput: Float32Array, sample: Float32Array, noise?: Float32Array, out = new Float32Array(sample.length)): Float32Array {
    checkArrays('dpmpp2m', i, this.timesteps.length, this.next, modelOutput, sample, noise, false);
    const n = this.timesteps.length;
    const alphaSigma = (s: number): [number, number, number] => {
      const alpha = 1 / Math.sqrt(s * s + 1);
      const sigma = s * alpha;
      return [alpha, sigma, Math.log(alpha) - Math.log(sigma)];
    };
    const [alphaS0, sigmaS0, lambdaS0] = alphaSigma(this.sigmas[i]);
    const [alphaT, sigmaT, lambdaT] = alphaSigma(this.sigmas[i + 1]);
    const h = lambdaT - lambdaS0;
    const expm = Math.exp(-h) - 1;
    const cX = sigmaT / sigmaS0;
    const cD0 = -alphaT * expm;
    // two buffers in turn: this step's data prediction, and the previous one (the 2M history)
    if (this.buffers[0].length !== sample.length) this.buffers = [new Float32Array(sample.length), new Float32Array(sample.length)];
    const m0 = this.previous === this.buffers[0] ? this.buffers[1] : this.buffers[0];
    for (let k = 0; k < sample.length; k++) {
      m0[k] = convertOutput(this.predictionType, modelOutput[k], sample[k], alphaS0, sigmaS0)[0];
    }
    const firstOrder = i === 0 || i === n - 1 || !this.previous || this.previous.length !== sample.length;
    if (firstOrder) {
      for (let k = 0; k < sample.length; k++) out[k] = cX * sample[k] + cD0 * m0[k];
    } else {
      const lambdaS1 = alphaSigma(this.sigmas[i - 1])[2];
      const r0 = (lambdaS0 - lambdaS1) / h;
      const m1 = this.previous!;
      const cD1 = (-0.5 * alphaT * expm) / r0;
      for (let k = 0; k < sample.length; k++) out[k] = cX * sample[k] + cD0 * m0[k] + cD1 * (m0[k] - m1[k]);
    }
    this.previous = m0;
    this.predictedX0 = m0;
    this.next = i + 1;
    return out;
  }

  reset(): void {
    this.next = 0;
    this.previous = null;
    this.predictedX0 = null;
  }
}

/**
 * A scheduler by name.
 * @example createScheduler('ddim', { steps: 50, eta: 0, predictionType: 'epsilon', schedule: { betaSchedule: 'linear' } })
 * @throws RangeError for steps, eta, spacing or prediction type out of range
 */
export function createScheduler(name: SchedulerName, options: SchedulerOptions): Scheduler {
  if (name === 'ddpm') return new DdpmScheduler(options);
  if (name === 'ddim') return new DdimScheduler(options);
  if (name === 'dpmpp2m') return new DpmSolverPlusPlus2MScheduler(options);
  throw new RangeError(`scheduler: expected one of ${SCHEDULER_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
}
