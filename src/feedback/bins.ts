/**
 * A binning of a spec's factor space for the feedback loop: the class axis, and for each factor the
 * spec varies, its bins. A numeric factor drawn from `uniform`, `normal` or `int` gets k equal-width
 * bins over its range; a `choice`/`values` factor one bin per (drawable) value; `const` factors and
 * single-valued lists none. Pure functions over plain data.
 */
import { inputError } from '../core/errors.js';
import type { Rng } from '../core/random.js';
import { FACTOR_BY_NAME } from '../spec/factors.js';
import type { Distribution, FactorValue, Spec } from '../spec/schema.js';

/** Defaults of the binning. */
export const BIN_DEFAULTS = {
  /** Equal-width bins of a numeric factor. */
  bins: 4,
};

/** Most bins of one factor (a bin number is stored in one byte; 255 means "no bin"). */
export const MAX_BINS = 254;

/** The stored bin number of a value that falls in no bin (a value outside a choice list). */
export const NO_BIN = 255;

/** The bins of one numeric factor: equal-width over [min, max] (integers: over [min, max + 1)). */
export interface RangeBins {
  factor: string;
  kind: 'range';
  integer: boolean;
  min: number;
  max: number;
  count: number;
}

/** The bins of a listed factor: one per distinct value. */
export interface ValueBins {
  factor: string;
  kind: 'values';
  values: FactorValue[];
  count: number;
}

/** The bins of one factor. */
export type FactorBins = RangeBins | ValueBins;

/** The class axis and the binned factors of a spec. */
export interface Binning {
  /** Classes the spec draws (its `factors.class` list, else `classes`), in order: the class cells. */
  classes: string[];
  /** The binned factors, in canonical factor order. */
  factors: FactorBins[];
}

/** Distinct values of a list (numbers compared exactly), in first-seen order. */
function distinct(values: readonly FactorValue[]): FactorValue[] {
  return [...new Set(values)];
}

/** Bins of one distribution, or null when it does not vary. */
function binsOf(name: string, dist: Distribution, k: number): FactorBins | null {
  const def = FACTOR_BY_NAME.get(name);
  if ('const' in dist) return null;
  if ('choice' in dist || 'values' in dist) {
    const list = 'choice' in dist ? dist.choice.filter((_, i) => !dist.weights || dist.weights[i] > 0) : dist.values;
    const values = distinct(list);
    return values.length < 2 ? null : { factor: name, kind: 'values', values, count: values.length };
  }
  if ('int' in dist) {
    const [a, b] = dist.int;
    if (a >= b) return null;
    return { factor: name, kind: 'range', integer: true, min: a, max: b, count: Math.min(k, b - a + 1) };
  }
  let min: number;
  let max: number;
  if ('uniform' in dist) [min, max] = dist.uniform;
  else {
    const [mu, sigma] = dist.normal;
    const [lo, hi] = dist.clip ?? def?.range ?? [-Infinity, Infinity];
    min = Math.max(lo, mu - 3 * sigma);
    max = Math.min(hi, mu + 3 * sigma);
  }
  if (!(max > min)) return null;
  return { factor: name, kind: 'range', integer: false, min, max, count: k };
}

/** The distribution factor `name` is drawn from under `spec` (listed, else the factor's default); null for none. */
function distributionOf(spec: Spec, name: string): Distribution | null {
  return spec.factors[name] ?? FACTOR_BY_NAME.get(name)?.default ?? null;
}

const FACTOR_ORDER: readonly string[] = [...FACTOR_BY_NAME.keys()];

/** The classes a spec draws: its `factors.class` (zero-weight choices left out), else `classes`. */
export function classAxis(spec: Spec): string[] {
  const d = spec.factors.class;
  if (!d) return [...spec.classes];
  if ('const' in d) return [String(d.const)];
  if ('choice' in d) return distinct(d.choice.filter((_, i) => !d.weights || d.weights[i] > 0)).map(String);
  if ('values' in d) return distinct(d.values).map(String);
  return [...spec.classes];
}

/** Names of the factors a spec lists and varies (class excluded), in canonical order. */
export function variedFactors(spec: Spec, k = BIN_DEFAULTS.bins): string[] {
  return FACTOR_ORDER.filter((name) => name !== 'class' && spec.factors[name] && binsOf(name, spec.factors[name], k) !== null);
}

/**
 * The binning of a spec: the class axis, and the factors `factors` (default: every factor the spec
 * lists and varies), each with `bins` equal-width bins when numeric.
 * @throws InputError naming `path` (e.g. `options.factors[1]`) for a factor the spec does not vary,
 * or a listed factor with more than MAX_BINS values.
 * @example buildBinning(spec, { bins: 4 }).factors.map((f) => f.factor) // ['yaw', 'texture']
 */
export function buildBinning(spec: Spec, opts: { bins?: number; factors?: readonly string[]; path?: string } = {}): Binning {
  const k = opts.bins ?? BIN_DEFAULTS.bins;
  const path = opts.path ?? 'options';
  if (!Number.isInteger(k) || k < 1 || k > MAX_BINS) throw inputError(`${path}.bins`, `an integer in [1, ${MAX_BINS}]`, k);
  const classes = classAxis(spec);
  const wanted = opts.factors ?? variedFactors(spec, k);
  const seen = new Set<string>();
  const factors: FactorBins[] = [];
  const binnable = (name: string): FactorBins | null => {
    if (name === 'class' || !FACTOR_BY_NAME.has(name) || (name === 'asset' && !spec.factors.asset)) return null;
    const dist = distributionOf(spec, name);
    return dist ? binsOf(name, dist, k) : null;
  };
  wanted.forEach((name, i) => {
    const at = `${path}.factors[${i}]`;
    if (name === 'class') throw inputError(at, 'a factor other than class (classes are always binned)', name);
    if (seen.has(name)) throw inputError(at, 'each factor listed once', name);
    seen.add(name);
    const bins = binnable(name);
    if (!bins) {
      const valid = FACTOR_ORDER.filter((n) => binnable(n) !== null);
      throw inputError(at, `a factor the spec varies (one of: ${valid.join(', ') || 'none'})`, name);
    }
    if (bins.count > MAX_BINS) throw inputError(at, `a factor with at most ${MAX_BINS} values`, `${name} with ${bins.count}`);
    factors.push(bins);
  });
  factors.sort((a, b) => FACTOR_ORDER.indexOf(a.factor) - FACTOR_ORDER.indexOf(b.factor));
  return { classes, factors };
}

/** Number of bins over all binned factors. */
export function totalBins(binning: Binning): number {
  return binning.factors.reduce((s, f) => s + f.count, 0);
}

/** The bin of `value` (NO_BIN when a listed factor's value is not in its list; numbers are clamped into range). */
export function binOf(bins: FactorBins, value: FactorValue | undefined): number {
  if (value === undefined) return NO_BIN;
  if (bins.kind === 'values') {
    const i = bins.values.indexOf(value);
    if (i >= 0) return i;
    if (typeof value === 'number') {
      const j = bins.values.findIndex((v) => typeof v === 'number' && Math.abs(v - value) <= 1e-9);
      if (j >= 0) return j;
    }
    return NO_BIN;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return NO_BIN;
  const span = bins.integer ? bins.max - bins.min + 1 : bins.max - bins.min;
  const j = Math.floor(((value - bins.min) * bins.count) / span);
  return Math.min(bins.count - 1, Math.max(0, j));
}

/** A value drawn uniformly inside bin `bin` (integers: uniformly among the integers of the bin). */
export function drawInBin(bins: FactorBins, bin: number, rng: Rng): FactorValue {
  if (bins.kind === 'values') return bins.values[bin];
  if (bins.integer) {
    const n = bins.max - bins.min + 1;
    const lo = bins.min + Math.ceil((bin * n) / bins.count);
    const hi = bins.min + Math.ceil(((bin + 1) * n) / bins.count) - 1;
    return rng.int(lo, hi);
  }
  const w = (bins.max - bins.min) / bins.count;
  return rng.uniform(bins.min + bin * w, bin === bins.count - 1 ? bins.max : bins.min + (bin + 1) * w);
}

/** A short label of a bin: `[0, 90)` for ranges (`[0, 2]` for integers), the value for lists. */
export function binLabel(bins: FactorBins, bin: number): string {
  if (bins.kind === 'values') return String(bins.values[bin]);
  const round = (v: number) => String(Math.round(v * 1000) / 1000);
  if (bins.integer) {
    const n = bins.max - bins.min + 1;
    const lo = bins.min + Math.ceil((bin * n) / bins.count);
    const hi = bins.min + Math.ceil(((bin + 1) * n) / bins.count) - 1;
    return lo === hi ? String(lo) : `[${lo}, ${hi}]`;
  }
  const w = (bins.max - bins.min) / bins.count;
  const last = bin === bins.count - 1;
  return `[${round(bins.min + bin * w)}, ${round(last ? bins.max : bins.min + (bin + 1) * w)}${last ? ']' : ')'}`;
}
