/**
 * How a session chooses new samples (pure functions):
 *
 * - `uniform`: the spec's own sampling (the static baseline).
 * - `hardness`: each sample's class, then each binned factor's bin given the class, is drawn from
 *   `(1 − ε)·softmax(hardness / τ) + ε·uniform`; a numeric factor's value is then drawn uniformly
 *   inside its bin, a listed factor takes the bin's value, every other factor is drawn as the spec says.
 *   τ defaults to `temperatureScale` (0.5) × the decayed standard deviation of the reported per-sample
 *   losses (or sqrt(p(1−p)) for error rates): a cell whose mean loss is one per-sample standard
 *   deviation above another's is drawn e² ≈ 7.4 times as often before the ε mix, whatever the loss scale.
 *   With `options.neighbours` = ρ, a share ρ of the draws instead takes the joint cell (class and every
 *   factor's bin) of one of the hardest recent feedback records (recent.ts; drawn in session.ts).
 * - `pruned`: k·n candidates drawn uniformly, scored by the session's classifier (cross-entropy of
 *   the intended class), the n hardest kept.
 * - `guided`: each sample's class drawn from the class mixture above, its image made by the diffusion
 *   sampler with classifier-feedback guidance from the session's classifier (see guided.ts).
 *
 * Why the default strategy is `uniform` and why ε, τ and the hardness map's defaults have their
 * values: docs/feedback-defaults.md.
 */
import type { Rng } from '../core/random.js';
import type { Binning } from './bins.js';
import { drawInBin } from './bins.js';
import type { HardnessMap, HardnessSignal } from './hardness.js';
import type { FactorValue } from '../spec/schema.js';

/** Strategies a session can use. */
export const STRATEGIES = ['uniform', 'hardness', 'pruned', 'guided'] as const;
/** A strategy's name. */
export type Strategy = (typeof STRATEGIES)[number];

/** Strategies that need the session's classifier. */
export const NEEDS_CLASSIFIER: readonly Strategy[] = ['pruned', 'guided'];

/** Defaults of the mixture. */
export const MIXTURE_DEFAULTS = {
  /** Weight of uniform coverage in the mixture. */
  epsilon: 0.2,
  /** τ = temperatureScale × the per-sample spread of the signal (unless `temperature` is set). */
  temperatureScale: 0.5,
};

/** Settings of the mixture. */
export interface MixtureOptions {
  epsilon: number;
  /** A fixed τ; null: temperatureScale × the signal's per-sample standard deviation. */
  temperature: number | null;
  temperatureScale: number;
  priorWeight: number;
  signal: HardnessSignal;
}

/**
 * `(1 − ε)·softmax(h / τ) + ε / n` over `h`; τ = Infinity (or no spread in h) gives uniform.
 * @example softmaxMixture([0, 1], 1, 0.2) // [0.8·0.269 + 0.1, 0.8·0.731 + 0.1]
 */
export function softmaxMixture(h: ArrayLike<number>, tau: number, epsilon: number): Float64Array {
  const n = h.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, h[i]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Number.isFinite(tau) && tau > 0 ? Math.exp((h[i] - max) / tau) : 1;
    sum += out[i];
  }
  for (let i = 0; i < n; i++) out[i] = (1 - epsilon) * (out[i] / sum) + epsilon / n;
  return out;
}

/** The probabilities a hardness batch draws from, and the hardness behind them. */
export interface MixtureTables {
  /** The signal in use; null when no feedback came yet (every table is then uniform). */
  signal: 'loss' | 'error' | null;
  temperature: number;
  classHardness: number[];
  classProbs: number[];
  /** Per class c and binned factor f: binHardness[c][f][j] and binProbs[c][f][j]. */
  binHardness: number[][][];
  binProbs: number[][][];
}

/** The draw tables of a hardness map under `opts` (computed once per batch). */
export function mixtureTables(map: HardnessMap, opts: MixtureOptions): MixtureTables {
  const { binning } = map;
  const signal = map.signal(opts.signal);
  const K = binning.classes.length;
  const tau = signal === null ? Infinity : opts.temperature ?? opts.temperatureScale * map.globalStd(signal);
  const temperature = tau > 1e-12 ? tau : Infinity;
  const h = (i: number) => (signal === null ? 0 : map.hardness(i, signal, opts.priorWeight));
  const classHardness = Array.from({ length: K }, (_, c) => h(c));
  const classProbs = Array.from(softmaxMixture(classHardness, temperature, opts.epsilon));
  const binHardness: number[][][] = [];
  const binProbs: number[][][] = [];
  for (let c = 0; c < K; c++) {
    binHardness.push(binning.factors.map((fb, f) => Array.from({ length: fb.count }, (_, j) => h(map.cell(c, f, j)))));
    binProbs.push(binHardness[c].map((row) => Array.from(softmaxMixture(row, temperature, opts.epsilon))));
  }
  return { signal, temperature: Number.isFinite(temperature) ? temperature : 0, classHardness, classProbs, binHardness, binProbs };
}

/** A cell drawn for one sample: class, bins, the factor values that fix them, and the hardness behind them. */
export interface DrawnCell {
  classIndex: number;
  bins: number[];
  /** Factor values for the sample (class, and each binned factor's value inside its bin). */
  overrides: Record<string, FactorValue>;
  /** Hardness of the class cell drawn. */
  hardness: number;
  /** Hardness of each binned factor's drawn (class, factor, bin) cell. */
  binHardness: Record<string, number>;
}

/** Draw one sample's cell from the tables with `rng` (class first, then each factor in binning order). */
export function drawCell(tables: MixtureTables, binning: Binning, rng: Rng): DrawnCell {
  const c = rng.weighted(tables.classProbs);
  const overrides: Record<string, FactorValue> = { class: binning.classes[c] };
  const bins: number[] = [];
  const binHardness: Record<string, number> = {};
  binning.factors.forEach((fb, f) => {
    const j = rng.weighted(tables.binProbs[c][f]);
    bins.push(j);
    overrides[fb.factor] = drawInBin(fb, j, rng);
    binHardness[fb.factor] = tables.binHardness[c][f][j];
  });
  return { classIndex: c, bins, overrides, hardness: tables.classHardness[c], binHardness };
}

/**
 * Cross-entropy of class `target` for row `row` of [rows, k] logits: logsumexp(logits) − logits[target].
 * @throws RangeError for a target outside [0, k)
 */
export function crossEntropy(logits: ArrayLike<number>, row: number, k: number, target: number): number {
  if (!(target >= 0 && target < k)) throw new RangeError(`crossEntropy: expected a target in [0, ${k}), got ${target}`);
  const o = row * k;
  let max = -Infinity;
  for (let i = 0; i < k; i++) max = Math.max(max, logits[o + i]);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += Math.exp(logits[o + i] - max);
  return max + Math.log(sum) - logits[o + target];
}

/** Positions of the `n` largest scores, in ascending position order (ties: the earlier position wins). */
export function hardestIndices(scores: ArrayLike<number>, n: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => (scores[b] - scores[a]) || (a - b));
  return order.slice(0, Math.max(0, n)).sort((a, b) => a - b);
}

/**
 * RGBA8 pixels (w×h, rows top-down) to RGB8 at outW×outH by area averaging (box filter over the
 * source pixels each output pixel covers, partial pixels weighted by coverage); a copy without alpha
 * when the sizes match.
 */
export function resizeToRgb(rgba: Uint8Array, w: number, h: number, outW: number, outH: number, out = new Uint8Array(outW * outH * 3)): Uint8Array {
  if (w === outW && h === outH) {
    for (let p = 0; p < w * h; p++) {
      out[p * 3] = rgba[p * 4]; out[p * 3 + 1] = rgba[p * 4 + 1]; out[p * 3 + 2] = rgba[p * 4 + 2];
    }
    return out;
  }
  const sx = w / outW;
  const sy = h / outH;
  for (let oy = 0; oy < outH; oy++) {
    const y0 = oy * sy, y1 = y0 + sy;
    for (let ox = 0; ox < outW; ox++) {
      const x0 = ox * sx, x1 = x0 + sx;
      let r = 0, g = 0, b = 0, area = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const a = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          const p = (y * w + x) * 4;
          r += a * rgba[p]; g += a * rgba[p + 1]; b += a * rgba[p + 2]; area += a;
        }
      }
      const o = (oy * outW + ox) * 3;
      out[o] = Math.round(r / area); out[o + 1] = Math.round(g / area); out[o + 2] = Math.round(b / area);
    }
  }
  return out;
}
