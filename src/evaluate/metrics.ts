/**
 * The aggregation maths of a robustness evaluation, as pure functions over per-sample predictions:
 * accuracy with Wilson intervals, mean loss and expected calibration error (ECE) overall, per factor
 * value, per class × factor value and per pair of factors; PUG's consistency over sweeps; the worst
 * factor cells. Numeric factors with many distinct values (random specs) are binned first.
 */
import type { FactorValue } from '../spec/schema.js';

/** One evaluated sample, as the aggregation sees it. */
export interface ScoredSample {
  /** Sample index (orders sweeps). */
  index: number;
  /** The spec class of the sample (its first object's). */
  trueClass: string;
  /** The sample's factor values (without `class`). */
  factors: Readonly<Record<string, FactorValue>>;
  /** The model's top-1 output index. */
  top1: number;
  /** Probability of the top-1 output (the confidence ECE bins). */
  confidence: number;
  correct: boolean;
  /** Cross-entropy of the true class (its mapped outputs' probabilities summed), natural log. */
  loss: number;
}

/** Accuracy, its 95% Wilson interval, mean loss and ECE over a group of samples. */
export interface GroupStats {
  n: number;
  correct: number;
  accuracy: number;
  /** 95% Wilson score interval of the accuracy. */
  ci: [number, number];
  meanLoss: number;
  ece: number;
}

/** Defaults of the aggregation. */
export const METRICS_DEFAULTS = {
  /** z of the two-sided 95% interval. */
  z: 1.959963984540054,
  /** Equal-width confidence bins of the ECE. */
  eceBins: 15,
  /** A numeric factor with more distinct values than this is binned. */
  maxLevels: 12,
  /** Equal-width bins of a binned numeric factor. */
  bins: 8,
  /** Cells listed among the worst. */
  worst: 10,
  /** Fewest samples a cell needs to be listed among the worst. */
  minCellCount: 3,
};

/** Round to 6 decimals (reports stay readable and byte-stable). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6 + 0; // + 0 turns -0 into 0
}

/**
 * The Wilson score interval of `k` successes in `n` trials at normal quantile `z` (0.95 by default).
 * @example wilsonInterval(8, 10) // [0.4902, 0.9433]
 * @throws RangeError unless 0 <= k <= n
 */
export function wilsonInterval(k: number, n: number, z = METRICS_DEFAULTS.z): [number, number] {
  if (!(k >= 0 && k <= n)) throw new RangeError(`wilsonInterval: expected 0 <= k <= n, got k ${k}, n ${n}`);
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * Expected calibration error: Σ_b (n_b / N)·|accuracy_b − mean confidence_b| over `bins` equal-width
 * confidence bins on [0, 1] (a confidence of exactly 1 falls in the last bin).
 */
export function expectedCalibrationError(samples: readonly Pick<ScoredSample, 'confidence' | 'correct'>[], bins = METRICS_DEFAULTS.eceBins): number {
  if (samples.length === 0) return 0;
  const n = new Float64Array(bins);
  const conf = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (const s of samples) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(s.confidence * bins)));
    n[b]++;
    conf[b] += s.confidence;
    if (s.correct) hits[b]++;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (n[b] > 0) ece += (n[b] / samples.length) * Math.abs(hits[b] / n[b] - conf[b] / n[b]);
  return ece;
}

/** GroupStats of `samples` (rounded to 6 decimals). */
export function groupStats(samples: readonly ScoredSample[]): GroupStats {
  const n = samples.length;
  let correct = 0;
  let loss = 0;
  for (const s of samples) {
    if (s.correct) correct++;
    loss += s.loss;
  }
  const [lo, hi] = wilsonInterval(correct, n);
  return {
    n, correct, accuracy: round6(n > 0 ? correct / n : 0), ci: [round6(lo), round6(hi)],
    meanLoss: round6(n > 0 ? loss / n : 0), ece: round6(expectedCalibrationError(samples)),
  };
}

/** How a factor's values become table cells. */
export interface FactorAxis {
  factor: string;
  /** `values`: each distinct value is a cell; `bins`: equal-width numeric bins. */
  kind: 'values' | 'bins';
  /** Cell labels in order: the values themselves, or `[lo, hi)` for bins (the last one closed). */
  levels: FactorValue[];
  /** Bins: the edges (levels + 1 of them); values: null. */
  edges: number[] | null;
}

function compareValues(a: FactorValue, b: FactorValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatEdge(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/** Which factors become axes, and how. */
export interface AxisOptions {
  /** A numeric factor with more distinct values than this is binned. */
  maxLevels?: number;
  /** Equal-width bins of a binned factor. */
  bins?: number;
  /** Only these factors (absent: every factor the samples carry). */
  only?: readonly string[];
  /** Numeric factors binned whatever their count of values (those drawn from continuous distributions). */
  binned?: ReadonlySet<string>;
  /** Level order of listed factors (a spec's values, in its order); values not listed follow, sorted. */
  levelOrder?: Readonly<Record<string, readonly FactorValue[]>>;
}

/**
 * The axes of the factors that vary among `samples` (factors with one value are left out), in
 * `order` (factor names; others after, sorted). A numeric factor with more than `maxLevels` distinct
 * values, or listed in `binned`, gets `bins` equal-width bins over its observed range (when it takes
 * fewer distinct values than `bins`, as many bins as values).
 */
export function factorAxes(samples: readonly ScoredSample[], order: readonly string[] = [], opts: AxisOptions = {}): FactorAxis[] {
  const maxLevels = opts.maxLevels ?? METRICS_DEFAULTS.maxLevels;
  const bins = opts.bins ?? METRICS_DEFAULTS.bins;
  const values = new Map<string, Map<string, FactorValue>>();
  for (const s of samples) {
    for (const [name, v] of Object.entries(s.factors)) {
      if (opts.only && !opts.only.includes(name)) continue;
      let m = values.get(name);
      if (!m) values.set(name, (m = new Map()));
      m.set(`${typeof v}:${v}`, v);
    }
  }
  const names = [...values.keys()].sort((a, b) => {
    const ia = order.indexOf(a), ib = order.indexOf(b);
    if (ia >= 0 || ib >= 0) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const axes: FactorAxis[] = [];
  for (const factor of names) {
    const listed = opts.levelOrder?.[factor];
    const rank = (v: FactorValue) => { const i = listed ? listed.indexOf(v) : -1; return i < 0 ? Infinity : i; };
    const distinct = [...values.get(factor)!.values()].sort((a, b) => (rank(a) - rank(b)) || compareValues(a, b));
    if (distinct.length < 2) continue;
    const numeric = distinct.every((v) => typeof v === 'number');
    if (!numeric || (distinct.length <= maxLevels && !opts.binned?.has(factor))) {
      axes.push({ factor, kind: 'values', levels: distinct, edges: null });
      continue;
    }
    const lo = Math.min(...(distinct as number[]));
    const hi = Math.max(...(distinct as number[]));
    const n = Math.min(bins, distinct.length);
    const edges = Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + ((hi - lo) * i) / n));
    const levels = Array.from({ length: n }, (_, i) => `[${formatEdge(edges[i])}, ${formatEdge(edges[i + 1])}${i === n - 1 ? ']' : ')'}`);
    axes.push({ factor, kind: 'bins', levels, edges });
  }
  return axes;
}

/** The level index of a sample on an axis (-1 when it lacks the factor). */
export function levelOf(axis: FactorAxis, s: Pick<ScoredSample, 'factors'>): number {
  const v = s.factors[axis.factor];
  if (v === undefined) return -1;
  if (axis.kind === 'values') return axis.levels.findIndex((l) => l === v);
  const edges = axis.edges!;
  const x = Number(v);
  const bins = edges.length - 1;
  for (let i = 0; i < bins; i++) if (x < edges[i + 1]) return i;
  return bins - 1;
}

/** Stats of one cell: its coordinates and GroupStats. */
export type Cell<K extends Record<string, FactorValue>> = K & GroupStats;

function groupBy(samples: readonly ScoredSample[], key: (s: ScoredSample) => string | null): Map<string, ScoredSample[]> {
  const out = new Map<string, ScoredSample[]>();
  for (const s of samples) {
    const k = key(s);
    if (k === null) continue;
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(s);
  }
  return out;
}

/** Per class (in `classes` order; classes without samples are left out). */
export function perClass(samples: readonly ScoredSample[], classes: readonly string[]): Cell<{ class: string }>[] {
  const groups = groupBy(samples, (s) => s.trueClass);
  return classes.filter((c) => groups.has(c)).map((c) => ({ class: c, ...groupStats(groups.get(c)!) }));
}

/** Per level of an axis, in level order (levels without samples are left out). */
export function perLevel(samples: readonly ScoredSample[], axis: FactorAxis): Cell<{ value: FactorValue }>[] {
  const groups = groupBy(samples, (s) => { const l = levelOf(axis, s); return l < 0 ? null : String(l); });
  return axis.levels.flatMap((value, l) => (groups.has(String(l)) ? [{ value, ...groupStats(groups.get(String(l))!) }] : []));
}

/** Per class × level of an axis (classes in `classes` order, then levels). */
export function perClassLevel(samples: readonly ScoredSample[], axis: FactorAxis, classes: readonly string[]): Cell<{ class: string; value: FactorValue }>[] {
  const out: Cell<{ class: string; value: FactorValue }>[] = [];
  for (const c of classes) {
    const own = samples.filter((s) => s.trueClass === c);
    for (const cell of perLevel(own, axis)) out.push({ class: c, ...cell });
  }
  return out;
}

/** Per pair of levels of two axes (a's levels outer). */
export function perPair(samples: readonly ScoredSample[], a: FactorAxis, b: FactorAxis): Cell<{ a: FactorValue; b: FactorValue }>[] {
  const groups = groupBy(samples, (s) => {
    const i = levelOf(a, s), j = levelOf(b, s);
    return i < 0 || j < 0 ? null : `${i},${j}`;
  });
  const out: Cell<{ a: FactorValue; b: FactorValue }>[] = [];
  a.levels.forEach((va, i) => b.levels.forEach((vb, j) => {
    const g = groups.get(`${i},${j}`);
    if (g) out.push({ a: va, b: vb, ...groupStats(g) });
  }));
  return out;
}

/** Consistency of one swept factor (PUG): sweeps whose prediction stays the top-1 of their canonical sample. */
export interface Consistency {
  factor: string;
  sweeps: number;
  consistent: number;
  share: number;
  ci: [number, number];
}

/**
 * PUG's consistency over sweeps. Samples carry `factors[sweepKey]`: `canonical`, or the factor the
 * sample varies. In index order, each canonical sample opens a group (a spec's sweep cells list a
 * canonical cell, then the cells that vary one factor each); the sweep of factor f in a group is its
 * canonical sample and the group's samples varying f. A sweep is consistent when every prediction in
 * it equals the canonical one. Returns one entry per swept factor, in order of first appearance;
 * empty when no sample has `sweepKey`.
 */
export function sweepConsistency(samples: readonly ScoredSample[], sweepKey = 'sweep'): Consistency[] {
  const ordered = [...samples].filter((s) => s.factors[sweepKey] !== undefined).sort((x, y) => x.index - y.index);
  const tally = new Map<string, { sweeps: number; consistent: number }>();
  let canonical: ScoredSample | null = null;
  let group = new Map<string, boolean>();
  const close = () => {
    for (const [factor, same] of group) {
      const t = tally.get(factor)!;
      t.sweeps++;
      if (same) t.consistent++;
    }
    group = new Map();
  };
  for (const s of ordered) {
    const varied = String(s.factors[sweepKey]);
    if (varied === 'canonical') {
      close();
      canonical = s;
      continue;
    }
    if (!canonical) continue; // a sweep cut before its canonical sample (an index range): nothing to compare with
    if (!tally.has(varied)) tally.set(varied, { sweeps: 0, consistent: 0 });
    group.set(varied, (group.get(varied) ?? true) && s.top1 === canonical.top1);
  }
  close();
  return [...tally].map(([factor, t]) => {
    const [lo, hi] = wilsonInterval(t.consistent, t.sweeps);
    return { factor, sweeps: t.sweeps, consistent: t.consistent, share: round6(t.sweeps > 0 ? t.consistent / t.sweeps : 0), ci: [round6(lo), round6(hi)] };
  });
}

/** A factor cell among the worst: its factor values and stats. */
export interface WorstCell extends GroupStats {
  factors: Record<string, FactorValue>;
}

/**
 * The `k` worst cells among single-factor and pair cells with at least `minCount` samples, ranked by
 * the upper end of their Wilson interval (cells surely bad first), then accuracy, then more samples.
 */
export function worstCells(
  single: readonly { factor: string; cells: readonly Cell<{ value: FactorValue }>[] }[],
  pairs: readonly { a: string; b: string; cells: readonly Cell<{ a: FactorValue; b: FactorValue }>[] }[],
  k = METRICS_DEFAULTS.worst,
  minCount = METRICS_DEFAULTS.minCellCount,
): WorstCell[] {
  const all: WorstCell[] = [];
  const strip = (c: GroupStats): GroupStats => ({ n: c.n, correct: c.correct, accuracy: c.accuracy, ci: c.ci, meanLoss: c.meanLoss, ece: c.ece });
  for (const t of single) for (const c of t.cells) all.push({ factors: { [t.factor]: c.value }, ...strip(c) });
  for (const p of pairs) for (const c of p.cells) all.push({ factors: { [p.a]: c.a, [p.b]: c.b }, ...strip(c) });
  return all.filter((c) => c.n >= minCount)
    .sort((x, y) => (x.ci[1] - y.ci[1]) || (x.accuracy - y.accuracy) || (y.n - x.n))
    .slice(0, k);
}

/** Every table of an evaluation. */
export interface Aggregates {
  overall: GroupStats;
  perClass: Cell<{ class: string }>[];
  axes: FactorAxis[];
  factors: { factor: string; kind: FactorAxis['kind']; cells: Cell<{ value: FactorValue }>[] }[];
  classFactors: { factor: string; cells: Cell<{ class: string; value: FactorValue }>[] }[];
  pairs: { a: string; b: string; cells: Cell<{ a: FactorValue; b: FactorValue }>[] }[];
  consistency: Consistency[];
  worst: WorstCell[];
}

/**
 * Every table of an evaluation from its samples: overall, per class, per factor value, per class ×
 * factor value, per factor pair, sweep consistency and the worst cells. `order` lists factor names in
 * the order tables should follow; `sweepKey` factors are left out of the tables (they feed consistency);
 * `only` and `binned` pick and bin the axes (see factorAxes).
 */
export function aggregate(samples: readonly ScoredSample[], classes: readonly string[], opts: AxisOptions & { order?: readonly string[]; sweepKey?: string; worst?: number; minCellCount?: number } = {}): Aggregates {
  const sweepKey = opts.sweepKey ?? 'sweep';
  const axes = factorAxes(samples, opts.order, opts).filter((a) => a.factor !== sweepKey);
  const factors = axes.map((a) => ({ factor: a.factor, kind: a.kind, cells: perLevel(samples, a) }));
  const classFactors = axes.map((a) => ({ factor: a.factor, cells: perClassLevel(samples, a, classes) }));
  const pairs: Aggregates['pairs'] = [];
  for (let i = 0; i < axes.length; i++) {
    for (let j = i + 1; j < axes.length; j++) pairs.push({ a: axes[i].factor, b: axes[j].factor, cells: perPair(samples, axes[i], axes[j]) });
  }
  return {
    overall: groupStats(samples), perClass: perClass(samples, classes), axes, factors, classFactors, pairs,
    consistency: sweepConsistency(samples, sweepKey),
    worst: worstCells(factors, pairs, opts.worst, opts.minCellCount),
  };
}
