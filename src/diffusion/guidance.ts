/**
 * Classifier-feedback guidance (Askari-Hemmat et al., "Feedback-guided Data Synthesis"; "Deliberate
 * Practice"): steer sampling towards images the trainer's classifier finds hard. This module holds the
 * pure parts (criteria, their direction, step subsets, resampling) and the `Guide`, a thin shell that
 * runs a classifier on the sampler's clean-image estimates x̂0 in the model's own value range.
 *
 * Criteria on p = softmax(logits) of the classifier at x̂0 for the intended class y:
 * entropy H = −Σ p log p, loss = −log p_y, margin = p_top1 − p_top2. Entropy and loss are higher on
 * hard samples, margin is lower: `hardness()` orients them all so that guidance ascends hardness.
 *
 * Modes: `gradient` moves x_t along the normalised input-gradient of the criterion, which the classifier
 * graph must provide (see models/train/export_guided.py); `svdd` and `particles` need only forward
 * passes. guidance-steps.ts runs each mode inside the sampler's loop.
 */
import { InputError, inputError, unknownName } from '../core/errors.js';
import type { ClassifierManifest, DenoiserManifest } from './manifest.js';
import type { ModelSession, TensorData } from './onnx.js';
import type { SchedulerName } from './schedulers.js';

/** Guidance criteria. */
export const CRITERIA = ['entropy', 'loss', 'margin'] as const;
export type Criterion = (typeof CRITERIA)[number];

/** Guidance modes. */
export const GUIDANCE_MODES = ['gradient', 'svdd', 'particles'] as const;
export type GuidanceMode = (typeof GUIDANCE_MODES)[number];

/** Resolved guidance settings of one run. */
export interface GuidanceSettings {
  criterion: Criterion;
  mode: GuidanceMode;
  /**
   * gradient: step size s of x_t ← x_t + s·‖x_t‖·g/‖g‖; svdd: softmax temperature α over candidates'
   * hardness (0 keeps the hardest); particles: λ of the resampling weights exp(λ·hardness).
   */
  scale: number;
  /** Step indices (0-based, ascending) where guidance acts: gradient moves, svdd draws candidates, particles resample. */
  steps: number[];
  /** svdd: candidates M per sample and step; particles: particles K per sample; gradient: 1. */
  candidates: number;
}

/** What a user may set; the rest comes from GUIDANCE_DEFAULTS of the mode. */
export interface GuidanceOptions {
  criterion: Criterion;
  mode?: GuidanceMode;
  scale?: number;
  /** Explicit step indices, or a count of evenly spread steps. */
  steps?: readonly number[] | number;
  candidates?: number;
}

/** Defaults per mode (gradient: the papers' 6 of 30 steps at 0.03). */
export const GUIDANCE_DEFAULTS: Readonly<Record<GuidanceMode, { scale: number; stepFraction: number; candidates: number }>> = {
  gradient: { scale: 0.03, stepFraction: 6 / 30, candidates: 1 },
  svdd: { scale: 0, stepFraction: 0.5, candidates: 4 },
  particles: { scale: 10, stepFraction: 4 / 30, candidates: 4 },
};

/** Largest svdd candidate count or particle count accepted. */
export const MAX_CANDIDATES = 64;

/**
 * `count` step indices spread evenly over `steps`, away from both ends (the first x̂0 is mostly noise
 * and the last step cannot change much): round((k + 1)·steps/(count + 1)) for k < count; with
 * count ≥ steps, every step.
 */
export function spreadSteps(steps: number, count: number): number[] {
  if (count >= steps) return Array.from({ length: steps }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(Math.min(steps - 1, Math.round(((k + 1) * steps) / (count + 1))));
  return [...out].sort((a, b) => a - b);
}

/**
 * Fill in and validate guidance options for a run of `settings` (the guidance mode may constrain the
 * scheduler: svdd and particles need stochastic steps, i.e. ddpm or ddim with eta > 0).
 * @throws InputError naming the option path (`guidance.scale`, `scheduler`), what was expected and what came
 */
export function resolveGuidance(options: GuidanceOptions, settings: { steps: number; scheduler: SchedulerName; eta: number }): GuidanceSettings {
  const mode = options.mode ?? 'gradient';
  if (!(CRITERIA as readonly string[]).includes(options.criterion)) throw inputError('guidance.criterion', `one of ${CRITERIA.join(', ')}`, options.criterion);
  if (!(GUIDANCE_MODES as readonly string[]).includes(mode)) throw inputError('guidance.mode', `one of ${GUIDANCE_MODES.join(', ')}`, mode);
  const d = GUIDANCE_DEFAULTS[mode];
  const scale = options.scale ?? d.scale;
  if (!Number.isFinite(scale) || scale < 0 || scale > 1000) throw inputError('guidance.scale', 'a number in [0, 1000]', scale);
  if (mode === 'gradient' && scale === 0) throw inputError('guidance.scale', 'a step size > 0 for gradient guidance', scale);
  const candidates = mode === 'gradient' ? 1 : options.candidates ?? d.candidates;
  if (mode !== 'gradient' && (!Number.isInteger(candidates) || candidates < 2 || candidates > MAX_CANDIDATES)) {
    throw inputError('guidance.candidates', `an integer in [2, ${MAX_CANDIDATES}] (${mode === 'svdd' ? 'candidates per step' : 'particles'})`, candidates);
  }
  const n = settings.steps;
  let steps: number[];
  if (options.steps === undefined) steps = spreadSteps(n, Math.max(1, Math.round(n * d.stepFraction)));
  else if (typeof options.steps === 'number') {
    if (!Number.isInteger(options.steps) || options.steps < 1 || options.steps > n) throw inputError('guidance.steps', `a count in [1, ${n}] (the sampling steps)`, options.steps);
    steps = spreadSteps(n, options.steps);
  } else {
    steps = [...new Set(options.steps)].sort((a, b) => a - b);
    const bad = steps.find((s) => !Number.isInteger(s) || s < 0 || s >= n);
    if (bad !== undefined || steps.length === 0) throw inputError('guidance.steps', `step indices in [0, ${n - 1}]`, bad ?? '[]');
  }
  if (mode !== 'gradient') {
    const stochastic = settings.scheduler === 'ddpm' || (settings.scheduler === 'ddim' && settings.eta > 0);
    if (!stochastic) {
      throw inputError('scheduler', `ddpm, or ddim with eta > 0 (${mode} guidance draws among stochastic steps)`, settings.scheduler === 'ddim' ? `ddim with eta ${settings.eta}` : settings.scheduler);
    }
  }
  return { criterion: options.criterion, mode, scale, steps, candidates };
}

/** Criterion values for B rows of logits [B, K]; `targets` (classifier class indices) are needed by `loss`. */
export function criterionValues(logits: Float32Array, k: number, criterion: Criterion, targets?: ArrayLike<number>): Float64Array {
  const b = logits.length / k;
  const out = new Float64Array(b);
  const p = new Float64Array(k);
  for (let r = 0; r < b; r++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += p[c] = Math.exp(logits[r * k + c] - max);
    const logSum = Math.log(sum);
    if (criterion === 'entropy') {
      let h = 0;
      for (let c = 0; c < k; c++) {
        const q = p[c] / sum;
        if (q > 0) h -= q * (logits[r * k + c] - max - logSum);
      }
      out[r] = h;
    } else if (criterion === 'loss') {
      const y = targets?.[r];
      if (y === undefined || y < 0 || y >= k) throw new RangeError(`criterionValues: row ${r}: expected a target class in [0, ${k - 1}], got ${y}`);
      out[r] = -(logits[r * k + y] - max - logSum);
    } else {
      let a = 0;
      let s = 0;
      for (let c = 0; c < k; c++) {
        const q = p[c] / sum;
        if (q > a) [a, s] = [q, a];
        else if (q > s) s = q;
      }
      out[r] = a - s;
    }
  }
  return out;
}

/** The criterion oriented so that larger is harder (margin is negated). */
export function hardness(criterion: Criterion, value: number): number {
  return criterion === 'margin' ? -value : value;
}

/**
 * Indices drawn by systematic resampling: `n` draws ∝ `weights` from ONE uniform `u` in [0, 1).
 * Low variance, and deterministic given u.
 */
export function systematicResample(weights: ArrayLike<number>, n: number, u: number): number[] {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  const out: number[] = [];
  let acc = weights[0] / total;
  let j = 0;
  for (let i = 0; i < n; i++) {
    const pos = (i + u) / n;
    while (pos > acc && j < weights.length - 1) acc += weights[++j] / total;
    out.push(j);
  }
  return out;
}

/** Weights exp(λ·(h − max h)) of hardness values (stable softmax numerators). */
export function expWeights(values: ArrayLike<number>, lambda: number): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  return Array.from(values, (v) => Math.exp(lambda * (v - max)));
}

/**
 * Pick one of the candidates' hardness values: the hardest when `temperature` is 0, else a draw
 * ∝ exp(h/temperature) with the uniform `u`.
 */
export function pickCandidate(values: ArrayLike<number>, temperature: number, u: number): number {
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
    return best;
  }
  return systematicResample(expWeights(values, 1 / temperature), 1, u)[0];
}

/** What a guide returns for a batch of x̂0. */
export interface GuideResult {
  /** Criterion values (un-oriented: margin as is). */
  values: Float64Array;
  /** d criterion / d x̂0 in the model's value space, [B, C, H, W] flattened; only when asked. */
  gradient?: Float32Array;
}

/** Counters of a guide, for benchmarks. */
export interface GuideStats {
  runs: number;
  images: number;
  runSeconds: number;
}

/** A classifier bound to a denoiser's image space. */
export interface Guide {
  readonly classifier: ClassifierManifest;
  readonly stats: GuideStats;
  /** Classifier class index of each of the model's classes (−1 where the classifier lacks it). */
  readonly targetOf: readonly number[];
  /**
   * Evaluate the criterion on B images in the model's range ([B, C, H, W]), for intended model classes
   * `modelClasses`; with `withGradient`, also its gradient with respect to the images.
   * @throws InputError when the classifier returns non-finite values or lacks a gradient output
   */
  evaluate(images: Float32Array, modelClasses: readonly number[], criterion: Criterion, withGradient?: boolean): Promise<GuideResult>;
}

/**
 * Check that a classifier can guide a model with a criterion and mode.
 * @throws InputError naming the problem: image size or channels, a class the loss needs, a missing gradient output
 */
export function checkGuideCompatible(classifier: ClassifierManifest, model: DenoiserManifest, guidance: Pick<GuidanceSettings, 'criterion' | 'mode'>, classes: readonly string[] = model.classes): void {
  const { width, height } = classifier.image;
  if (model.image.channels !== 3) throw inputError('guidance.classifier', `a model with RGB images (guidance of ${model.image.channels}-channel models is not supported yet)`, model.name);
  if (width !== model.image.width || height !== model.image.height) {
    throw inputError('guidance.classifier', `a classifier of the model's image size ${model.image.width}x${model.image.height} (resizing for guidance is not supported yet)`, `${classifier.name}: ${width}x${height}`);
  }
  if (guidance.criterion === 'loss') {
    for (const c of classes) if (!classifier.classes.includes(c)) throw unknownName('classes', `class of classifier ${classifier.name} (the loss criterion needs the intended class)`, c, classifier.classes);
  }
  if (guidance.mode === 'gradient' && !classifier.outputs.gradients?.[guidance.criterion]) {
    const has = Object.keys(classifier.outputs.gradients ?? {});
    throw inputError('guidance.mode', `svdd or particles: classifier ${classifier.name} has no input-gradient output for ${guidance.criterion}${has.length ? ` (it has: ${has.join(', ')})` : ''}; export one with models/train/export_guided.py`, 'gradient');
  }
}

function finiteOrThrow(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new InputError(`${what}: the classifier returned a non-finite value (${values[i]}) at index ${i}`);
  }
}

/**
 * A guide over a classifier session (already checked against its manifest) for images of `model`.
 * Preprocessing maps x in the model range [lo, hi] to the classifier's input
 * ((x − lo)/(hi − lo)·255·scale − mean_c)/std_c; the gradient is mapped back by the chain rule.
 */
export function createGuide(deps: { session: ModelSession; classifier: ClassifierManifest; model: DenoiserManifest }): Guide {
  const { session, classifier, model } = deps;
  const { width, height } = classifier.image;
  const plane = width * height;
  const [lo, hi] = model.image.range;
  const { scale, mean, std, name } = classifier.input;
  const k = classifier.classes.length;
  const gain = [0, 1, 2].map((c) => (255 * scale) / ((hi - lo) * std[c]));
  const offset = [0, 1, 2].map((c) => -lo * gain[c] - mean[c] / std[c]);
  const targetOf = model.classes.map((c) => classifier.classes.indexOf(c));
  const stats: GuideStats = { runs: 0, images: 0, runSeconds: 0 };
  return {
    classifier,
    stats,
    targetOf,
    async evaluate(images, modelClasses, criterion, withGradient = false) {
      const b = modelClasses.length;
      if (images.length !== b * 3 * plane) throw new RangeError(`guide: expected ${b} images of 3x${height}x${width}, got ${images.length} values`);
      const x = new Float32Array(images.length);
      for (let i = 0; i < b; i++) {
        for (let c = 0; c < 3; c++) {
          const base = (i * 3 + c) * plane;
          for (let p = 0; p < plane; p++) x[base + p] = images[base + p] * gain[c] + offset[c];
        }
      }
      const targets = modelClasses.map((m) => targetOf[m] ?? -1);
      if (criterion === 'loss') {
        const missing = targets.findIndex((t) => t < 0);
        if (missing >= 0) throw unknownName('classes', `class of classifier ${classifier.name} (the loss criterion needs the intended class)`, model.classes[modelClasses[missing]], classifier.classes);
      }
      const feeds: Record<string, TensorData> = { [name]: { type: 'float32', data: x, dims: [b, 3, height, width] } };
      if (classifier.target) feeds[classifier.target.name] = { type: 'int64', data: BigInt64Array.from(targets, (t) => BigInt(Math.max(0, t))), dims: [b] };
      const gradName = withGradient ? classifier.outputs.gradients?.[criterion]?.name : undefined;
      if (withGradient && !gradName) throw inputError('guidance.mode', `a classifier with an input-gradient output for ${criterion}`, classifier.name);
      const names = [classifier.outputs.logits.name, ...(gradName ? [gradName] : [])];
      const t0 = performance.now();
      const out = await session.run(feeds, names);
      stats.runSeconds += (performance.now() - t0) / 1000;
      stats.runs++;
      stats.images += b;
      const logits = out[classifier.outputs.logits.name]?.data;
      if (!logits || logits.length !== b * k) throw new InputError(`${classifier.name}: output ${classifier.outputs.logits.name}: expected ${b * k} values ([${b}, ${k}]), got ${logits?.length ?? 'none'}`);
      finiteOrThrow(logits, `${classifier.name}: ${classifier.outputs.logits.name}`);
      const values = criterionValues(logits, k, criterion, targets);
      if (!gradName) return { values };
      const g = out[gradName]?.data;
      if (!g || g.length !== x.length) throw new InputError(`${classifier.name}: output ${gradName}: expected ${x.length} values ([${b}, 3, ${height}, ${width}]), got ${g?.length ?? 'none'}`);
      finiteOrThrow(g, `${classifier.name}: ${gradName}`);
      const gradient = new Float32Array(g.length);
      for (let i = 0; i < b; i++) {
        for (let c = 0; c < 3; c++) {
          const base = (i * 3 + c) * plane;
          for (let p = 0; p < plane; p++) gradient[base + p] = g[base + p] * gain[c];
        }
      }
      return { values, gradient };
    },
  };
}
