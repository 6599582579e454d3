/**
 * How a session draws a batch's samples, by strategy (pure functions of the session's state and the
 * batch's random streams): `uniform` and `pruned` take the spec's own samples at their scene indices;
 * `hardness` draws each sample's cell (class and factor bins) from the mixture, or around a hard
 * recent record, and fixes it with per-sample factor overrides; `guided` draws the class only (the
 * generator makes the image). Batch b draws sample i from rngFor(seed, sceneIndex, `session-batch-b`).
 */
import { rngFor, type Rng } from '../core/random.js';
import { describeSample, matchesCombo, type SamplingPlan, type SceneDescription } from '../spec/sample.js';
import type { FactorValue, Spec } from '../spec/schema.js';
import { NO_BIN, binOf, drawInBin, type Binning } from './bins.js';
import { drawCell, type DrawnCell, type MixtureTables, type Strategy } from './strategy.js';
import type { RecentRecords } from './recent.js';
import { NO_CLASS, type ServedMap } from './served.js';
import type { ResolvedSessionOptions } from './session-options.js';

/** One sample of a batch. */
export interface BatchItem {
  /** Session sample id (set at commit). */
  id: string;
  /** Session sample number (set at commit; -1 before). */
  number: number;
  /** The scene index the sample is rendered at (the plan's `index`). */
  sceneIndex: number;
  /** The sample's factor values (its description's `factors`). */
  factors: Record<string, FactorValue>;
  classIndex: number;
  bins: number[];
  strategy: Strategy;
  /** hardness: the class cell's hardness the sample was drawn for. */
  hardness?: number;
  /** hardness: each binned factor's (class, factor, bin) cell hardness. */
  binHardness?: Record<string, number>;
  /** hardness, neighbour draws: the reported sample whose joint cell this one was drawn in, and its loss (or 1 for a wrong answer). */
  neighbourOf?: { id: string; score: number };
  /** pruned: the classifier's cross-entropy of the intended class. */
  criterion?: number;
}

/** A prepared batch: what to render (plan and scene indices) and what each sample is. */
export interface PreparedBatch {
  batch: number;
  strategy: Strategy;
  /** The session's plan with this batch's per-sample factor overrides. */
  plan: SamplingPlan;
  items: BatchItem[];
  /** pruned: the n samples to keep from the candidate items. */
  keep: number;
  committed: boolean;
}

/** Attempts at a hardness draw outside the holdout before the sample falls back to plain sampling. */
const MAX_DRAW_ATTEMPTS = 16;

/** What drawing a batch reads from its session (a Session is one). */
export interface DrawSource {
  readonly seed: number;
  /** The spec with the session's seed. */
  readonly spec: Spec;
  readonly plan: SamplingPlan;
  readonly binning: Binning;
  readonly options: ResolvedSessionOptions;
  readonly served: ServedMap;
  readonly recent: RecentRecords;
  /** The mixture hardness and guided draws use. */
  tables(): MixtureTables;
  /** The id of served sample n. */
  sampleId(n: number): string;
}

/**
 * The `count` samples of batch `batch` from scene index `first` on, drawn by `strategy`, and the plan
 * that renders them (the session's plan, with per-sample factor overrides for hardness draws).
 */
export function drawBatchItems(src: DrawSource, strategy: Strategy, batch: number, first: number, count: number): { plan: SamplingPlan; items: BatchItem[] } {
  if (strategy === 'guided') return { plan: src.plan, items: guidedItems(src, batch, first, count) };
  if (strategy === 'hardness') return hardnessItems(src, batch, first, count);
  const items: BatchItem[] = [];
  for (let i = 0; i < count; i++) {
    const desc = describeSample(src.plan, first + i);
    items.push({ id: '', number: -1, sceneIndex: first + i, factors: desc.factors, ...cellOf(src.binning, desc), strategy });
  }
  return { plan: src.plan, items };
}

/** guided: the class from the class mixture; the image comes from the generator, so no factor bins. */
function guidedItems(src: DrawSource, batch: number, first: number, count: number): BatchItem[] {
  const tables = src.tables();
  const noBins = src.binning.factors.map(() => NO_BIN);
  const items: BatchItem[] = [];
  for (let i = 0; i < count; i++) {
    const c = rngFor(src.seed, first + i, `session-batch-${batch}`).weighted(tables.classProbs);
    items.push({ id: '', number: -1, sceneIndex: first + i, factors: { class: src.binning.classes[c] }, classIndex: c, bins: noBins, strategy: 'guided', hardness: tables.classHardness[c] });
  }
  return items;
}

/**
 * hardness: each sample's cell from the mixture (or, for a share `neighbours` of the draws, around one
 * of the hardest recent records), drawn again where it would put a train-split sample in the holdout;
 * after MAX_DRAW_ATTEMPTS the sample is the spec's own (recorded as `uniform`).
 */
function hardnessItems(src: DrawSource, batch: number, first: number, count: number): { plan: SamplingPlan; items: BatchItem[] } {
  const { spec, options } = src;
  const tables = src.tables();
  const hard = options.neighbours > 0 && tables.signal !== null ? src.recent.hardest(tables.signal, options.hardFraction) : { numbers: [], scores: [] };
  const overrides = new Map<number, Readonly<Record<string, FactorValue>>>();
  const plan: SamplingPlan = { ...src.plan, overrides };
  const checkGrid = spec.holdout.length > 0 && spec.split === 'train' && spec.mode !== 'random';
  const items: BatchItem[] = [];
  for (let i = 0; i < count; i++) {
    const sceneIndex = first + i;
    const rng = rngFor(src.seed, sceneIndex, `session-batch-${batch}`);
    let drawn: (DrawnCell & { neighbourOf?: { id: string; score: number } }) | null = null;
    for (let attempt = 0; attempt < MAX_DRAW_ATTEMPTS && !drawn; attempt++) {
      const cell = hard.numbers.length > 0 && rng.next() < options.neighbours
        ? neighbourCell(src, tables, hard, rng)
        : drawCell(tables, src.binning, rng);
      if (heldOut(spec, cell.overrides)) continue;
      overrides.set(sceneIndex, cell.overrides);
      // Grid and sweep cells are not checked against the holdout by describeSample: check the mix.
      if (checkGrid && spec.holdout.some((combo) => matchesCombo(describeSample(plan, sceneIndex).factors, combo))) {
        overrides.delete(sceneIndex);
        continue;
      }
      drawn = cell;
    }
    const desc = describeSample(plan, sceneIndex);
    const actual = cellOf(src.binning, desc);
    items.push(drawn
      ? { id: '', number: -1, sceneIndex, factors: desc.factors, ...actual, strategy: 'hardness', hardness: drawn.hardness, binHardness: drawn.binHardness, ...(drawn.neighbourOf ? { neighbourOf: drawn.neighbourOf } : {}) }
      : { id: '', number: -1, sceneIndex, factors: desc.factors, ...actual, strategy: 'uniform' });
  }
  return { plan, items };
}

/**
 * A cell in the joint cell of one of the hardest recent records (picked uniformly): its class and
 * each binned factor's bin, a numeric value drawn inside the bin; a factor the record has no bin
 * for is drawn from the per-factor mixture.
 */
function neighbourCell(src: DrawSource, tables: MixtureTables, hard: { numbers: number[]; scores: number[] }, rng: Rng): DrawnCell & { neighbourOf: { id: string; score: number } } {
  const k = rng.int(0, hard.numbers.length - 1);
  const n = hard.numbers[k];
  const c = src.served.classOf(n);
  const { buf, offset } = src.served.binsAt(n);
  const overrides: Record<string, FactorValue> = { class: src.binning.classes[c] };
  const bins: number[] = [];
  const binHardness: Record<string, number> = {};
  src.binning.factors.forEach((fb, f) => {
    const j = buf[offset + f] !== NO_BIN ? buf[offset + f] : rng.weighted(tables.binProbs[c][f]);
    bins.push(j);
    overrides[fb.factor] = drawInBin(fb, j, rng);
    binHardness[fb.factor] = tables.binHardness[c][f][j];
  });
  return { classIndex: c, bins, overrides, hardness: tables.classHardness[c], binHardness, neighbourOf: { id: src.sampleId(n), score: hard.scores[k] } };
}

/** Class cell and bins of a described sample (NO_CLASS / NO_BIN where none fits). */
function cellOf(binning: Binning, desc: SceneDescription): { classIndex: number; bins: number[] } {
  const c = binning.classes.indexOf(desc.objects[0].class);
  return { classIndex: c < 0 ? NO_CLASS : c, bins: binning.factors.map((fb) => binOf(fb, desc.factors[fb.factor])) };
}

/** True when factor values alone put a train-split sample in the holdout (every key of a combination fixed and matching). */
function heldOut(spec: Spec, values: Readonly<Record<string, FactorValue>>): boolean {
  if (spec.split !== 'train') return false;
  return spec.holdout.some((combo) => Object.keys(combo).every((k) => values[k] !== undefined) && matchesCombo(values, combo));
}
