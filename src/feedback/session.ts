/**
 * A feedback session: a spec, a strategy and its options, a seed, the map from served sample to
 * (class, bins), the hardness map and the counters. Plain in-memory state with pure steps:
 *
 * - `prepare(n, strategy)` chooses the next batch's samples (scene indices and, for hardness, the
 *   factor values that fix each one's cell); it only advances the scene counter, so the same state
 *   gives the same batch. Batch b draws sample cells from rngFor(seed, sceneIndex, `session-batch-b`).
 * - `commit(batch)` gives the chosen samples their ids and records them as served.
 * - `ingest(records)` applies feedback on served samples to the hardness map.
 *
 * store.ts persists it; batch.ts renders a prepared batch.
 */
import { z } from 'zod';
import { inputError } from '../core/errors.js';
import { rngFor, type Rng } from '../core/random.js';
import type { Catalog } from '../spec/catalog.js';
import { describeSample, matchesCombo, planSampling, type SamplingPlan, type SceneDescription } from '../spec/sample.js';
import type { FactorValue, Spec } from '../spec/schema.js';
import { BIN_DEFAULTS, MAX_BINS, NO_BIN, binLabel, binOf, buildBinning, drawInBin, type Binning } from './bins.js';
import { GuidedOptionsSchema, type GuidedOptions } from './guided-options.js';
import { HARDNESS_DEFAULTS, HardnessMap, type HardnessData, type HardnessSignal } from './hardness.js';
import { MIXTURE_DEFAULTS, STRATEGIES, drawCell, mixtureTables, type DrawnCell, type MixtureTables, type Strategy } from './strategy.js';
import { sampleNumberOf, sessionSampleId, type FeedbackRecord } from './ingest.js';
import { RECENT_DEFAULTS, RecentRecords, type RecentData } from './recent.js';

/** Format tag of session.json. */
export const SESSION_FORMAT = 'synth.session/1';

/** Defaults of a session's options; the CLI and HTTP read this, never a copy. */
export const SESSION_DEFAULTS = {
  strategy: 'hardness' as Strategy,
  bins: BIN_DEFAULTS.bins,
  epsilon: MIXTURE_DEFAULTS.epsilon,
  temperatureScale: MIXTURE_DEFAULTS.temperatureScale,
  halfLife: HARDNESS_DEFAULTS.halfLife,
  priorWeight: HARDNESS_DEFAULTS.priorWeight,
  signal: 'auto' as HardnessSignal,
  /** k of `pruned`: candidates rendered per kept sample. */
  candidates: 4,
  /** hardness: share of draws made in the joint cells of the hardest recent records (see recent.ts). */
  neighbours: 0,
  hardFraction: RECENT_DEFAULTS.hardFraction,
  /** Feedback records kept for the joint cells. */
  recent: RECENT_DEFAULTS.capacity,
};

/** Options of a session (every one optional; SESSION_DEFAULTS fills them). */
export const SessionOptionsSchema = z.strictObject({
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('seed of the session\'s draws and scenes (default: the spec\'s seed)'),
  bins: z.number().int().min(1).max(MAX_BINS).optional().describe(`equal-width bins of each numeric factor (default ${SESSION_DEFAULTS.bins})`),
  factors: z.array(z.string()).optional().describe('factors to bin (default: every factor the spec lists and varies); may name an unlisted factor whose default varies, e.g. yaw'),
  epsilon: z.number().min(0).max(1).optional().describe(`weight of uniform coverage in the hardness mixture (default ${SESSION_DEFAULTS.epsilon})`),
  temperature: z.number().positive().optional().describe('a fixed softmax temperature τ (default: temperatureScale × the per-sample standard deviation of the reported losses)'),
  temperatureScale: z.number().positive().optional().describe(`τ as a multiple of the per-sample spread of the signal (default ${SESSION_DEFAULTS.temperatureScale})`),
  halfLife: z.number().positive().optional().describe(`records after which old feedback weighs half (default ${SESSION_DEFAULTS.halfLife})`),
  priorWeight: z.number().min(0).optional().describe(`pseudo-records of the global mean in every cell (default ${SESSION_DEFAULTS.priorWeight})`),
  signal: z.enum(['auto', 'loss', 'error']).optional().describe('hardness from the mean loss, the error rate, or auto: loss once any loss came, else error rate'),
  candidates: z.number().int().min(1).max(64).optional().describe(`pruned: candidates rendered per kept sample (default ${SESSION_DEFAULTS.candidates})`),
  guided: GuidedOptionsSchema.optional().describe('guided: the generator and the guidance of its samples'),
  balanceClasses: z.boolean().optional().describe('hardness and guided: draw classes uniformly and tilt only the factor bins within each class (Deliberate Practice keeps classes balanced); default false'),
  neighbours: z.number().min(0).max(1).optional().describe(`hardness: share of draws made in the joint cell (class and every factor's bin) of one of the hardest recent records, the rest from the per-factor mixture (default ${SESSION_DEFAULTS.neighbours})`),
  hardFraction: z.number().gt(0).max(1).optional().describe(`hardness: the hardest fraction of the recent records whose joint cells neighbours are drawn in (default ${SESSION_DEFAULTS.hardFraction})`),
  recent: z.number().int().min(1).max(1_000_000).optional().describe(`hardness: the newest feedback records kept for neighbour draws (default ${SESSION_DEFAULTS.recent})`),
});
/** Options of a session as given (see SessionOptionsSchema). */
export type SessionOptions = z.infer<typeof SessionOptionsSchema>;

/** Options with every default filled in (the form stored in session.json). */
export interface ResolvedSessionOptions {
  bins: number;
  factors: string[];
  epsilon: number;
  temperature: number | null;
  temperatureScale: number;
  halfLife: number;
  priorWeight: number;
  signal: HardnessSignal;
  candidates: number;
  /** guided: options as given (resolved against the generator and classifier at each batch). */
  guided?: GuidedOptions;
  /** Classes drawn uniformly; hardness tilts only the factor bins. */
  balanceClasses?: boolean;
  /** hardness: share of draws in the joint cells of the hardest recent records. */
  neighbours: number;
  hardFraction: number;
  /** Feedback records kept for them. */
  recent: number;
}

/** Counters of a session. */
export interface SessionCounters {
  batches: number;
  served: number;
  /** Scene indices used (pruned draws k per kept sample). */
  drawn: number;
  feedbackBatches: number;
  accepted: number;
  rejected: number;
  /** Rejected: ids of no served sample of this session. */
  unknown: number;
  /** Rejected: ids of another session's samples. */
  otherSession: number;
  /** Feedback per strategy that made the sample: records, loss sum and count, errors and count. */
  bySource: Record<Strategy, { records: number; lossSum: number; lossRecords: number; errors: number; errorRecords: number }>;
}

/** The session's classifier snapshot (for `pruned`). */
export interface ClassifierInfo {
  name: string;
  classes: string[];
  image: [number, number];
  /** Where it came from: `upload`, `classifier:<id>`, or a path (CLI). */
  source: string;
  installedAt: string;
}

/** session.json. */
export interface SessionFile {
  format: typeof SESSION_FORMAT;
  id: string;
  createdAt: string;
  name: string;
  /** The spec as given (validated again at load). */
  spec: Record<string, unknown>;
  strategy: Strategy;
  options: ResolvedSessionOptions;
  seed: number;
  binning: Binning;
  /** Bytes per served sample in served.bin: class (u16 LE), strategy (u8), one byte per binned factor. */
  rowBytes: number;
  counters: SessionCounters;
  hardness: HardnessData;
  /** The newest feedback records (absent in files written before neighbour draws existed). */
  recent?: RecentData;
  classifier: ClassifierInfo | null;
}

/** Code of each strategy in a served row. */
const STRATEGY_CODE: Readonly<Record<Strategy, number>> = { uniform: 0, hardness: 1, pruned: 2, guided: 3 };

/** The class of a served row whose class is in no class cell. */
const NO_CLASS = 0xffff;

/** Served samples as fixed-width rows in one growing byte buffer (millions of samples stay compact). */
export class ServedMap {
  private buf: Uint8Array;
  count: number;

  constructor(readonly rowBytes: number, rows?: Uint8Array) {
    this.count = rows ? Math.floor(rows.length / rowBytes) : 0;
    this.buf = new Uint8Array(Math.max(1024, (this.count + 1024) * rowBytes));
    if (rows) this.buf.set(rows.subarray(0, this.count * rowBytes));
  }

  /** Append a row; returns its sample number. */
  push(classIndex: number, strategy: Strategy, bins: readonly number[]): number {
    const need = (this.count + 1) * this.rowBytes;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf);
      this.buf = next;
    }
    const o = this.count * this.rowBytes;
    this.buf[o] = classIndex & 0xff;
    this.buf[o + 1] = classIndex >>> 8;
    this.buf[o + 2] = STRATEGY_CODE[strategy];
    for (let f = 0; f < bins.length; f++) this.buf[o + 3 + f] = bins[f];
    return this.count++;
  }

  /** Class cell of served sample n. */
  classOf(n: number): number {
    const o = n * this.rowBytes;
    return this.buf[o] | (this.buf[o + 1] << 8);
  }

  /** The strategy that made served sample n. */
  strategyOf(n: number): Strategy {
    return STRATEGIES[this.buf[n * this.rowBytes + 2]];
  }

  /** The whole buffer and the offset of row n's bins in it (no copy). */
  binsAt(n: number): { buf: Uint8Array; offset: number } {
    return { buf: this.buf, offset: n * this.rowBytes + 3 };
  }

  /** Rows [from, to) as bytes (a view, not a copy). */
  rows(from: number, to = this.count): Uint8Array {
    return this.buf.subarray(from * this.rowBytes, to * this.rowBytes);
  }
}

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

/** What feedback ingestion did. */
export interface FeedbackResult {
  accepted: number;
  rejected: number;
  unknown: number;
  otherSession: number;
  /** The first few rejected ids. */
  unknownIds: string[];
}

/** Rejected ids listed in a FeedbackResult. */
export const MAX_LISTED_UNKNOWN = 10;

/** Attempts at a hardness draw outside the holdout before the sample falls back to plain sampling. */
const MAX_DRAW_ATTEMPTS = 16;

function emptyCounters(): SessionCounters {
  const source = () => ({ records: 0, lossSum: 0, lossRecords: 0, errors: 0, errorRecords: 0 });
  return {
    batches: 0, served: 0, drawn: 0, feedbackBatches: 0, accepted: 0, rejected: 0, unknown: 0, otherSession: 0,
    bySource: { uniform: source(), hardness: source(), pruned: source(), guided: source() },
  };
}

/** Resolve options against SESSION_DEFAULTS and the spec (the binning checks `factors`). */
export function resolveOptions(options: SessionOptions, binning: Binning): ResolvedSessionOptions {
  return {
    bins: options.bins ?? SESSION_DEFAULTS.bins,
    factors: binning.factors.map((f) => f.factor),
    epsilon: options.epsilon ?? SESSION_DEFAULTS.epsilon,
    temperature: options.temperature ?? null,
    temperatureScale: options.temperatureScale ?? SESSION_DEFAULTS.temperatureScale,
    halfLife: options.halfLife ?? SESSION_DEFAULTS.halfLife,
    priorWeight: options.priorWeight ?? SESSION_DEFAULTS.priorWeight,
    signal: options.signal ?? SESSION_DEFAULTS.signal,
    candidates: options.candidates ?? SESSION_DEFAULTS.candidates,
    ...(options.guided ? { guided: options.guided } : {}),
    ...(options.balanceClasses ? { balanceClasses: true } : {}),
    neighbours: options.neighbours ?? SESSION_DEFAULTS.neighbours,
    hardFraction: options.hardFraction ?? SESSION_DEFAULTS.hardFraction,
    recent: options.recent ?? SESSION_DEFAULTS.recent,
  };
}

/** What Session.create needs. */
export interface SessionInit {
  id: string;
  /** The spec as given, and validated. */
  rawSpec: Record<string, unknown>;
  spec: Spec;
  catalog: Catalog;
  strategy?: Strategy;
  options?: SessionOptions;
  createdAt?: string;
}

/** A feedback session (see the module comment). */
export class Session {
  readonly id: string;
  readonly createdAt: string;
  readonly rawSpec: Record<string, unknown>;
  /** The spec with the session's seed. */
  readonly spec: Spec;
  readonly plan: SamplingPlan;
  readonly binning: Binning;
  readonly strategy: Strategy;
  readonly options: ResolvedSessionOptions;
  readonly seed: number;
  readonly hardness: HardnessMap;
  /** The newest feedback records, for neighbour draws (kept only when options.neighbours > 0). */
  readonly recent: RecentRecords;
  readonly served: ServedMap;
  readonly counters: SessionCounters;
  classifier: ClassifierInfo | null;
  /** Served rows already on disk (store.ts keeps it). */
  rowsOnDisk: number;

  private constructor(fields: {
    id: string; createdAt: string; rawSpec: Record<string, unknown>; spec: Spec; catalog: Catalog; binning: Binning; strategy: Strategy;
    options: ResolvedSessionOptions; seed: number; hardness?: HardnessMap; recent?: RecentRecords; served?: ServedMap; counters?: SessionCounters; classifier?: ClassifierInfo | null;
  }) {
    this.id = fields.id;
    this.createdAt = fields.createdAt;
    this.rawSpec = fields.rawSpec;
    this.seed = fields.seed;
    this.spec = { ...fields.spec, seed: fields.seed };
    this.plan = planSampling(this.spec, fields.catalog);
    this.binning = fields.binning;
    this.strategy = fields.strategy;
    this.options = fields.options;
    this.hardness = fields.hardness ?? new HardnessMap(fields.binning);
    this.recent = fields.recent ?? new RecentRecords(fields.options.recent);
    this.served = fields.served ?? new ServedMap(3 + fields.binning.factors.length);
    this.counters = fields.counters ?? emptyCounters();
    this.classifier = fields.classifier ?? null;
    this.rowsOnDisk = this.served.count;
  }

  /**
   * A new session over a validated spec.
   * @throws InputError naming `options.*` for bad options, or `spec` when its split cannot be sampled
   */
  static create(init: SessionInit): Session {
    const options = init.options ?? {};
    const binning = buildBinning(init.spec, { bins: options.bins, factors: options.factors });
    const strategy = init.strategy ?? SESSION_DEFAULTS.strategy;
    if (!STRATEGIES.includes(strategy)) throw inputError('strategy', `one of ${STRATEGIES.join(', ')}`, strategy);
    const session = new Session({
      id: init.id, createdAt: init.createdAt ?? new Date().toISOString(), rawSpec: init.rawSpec, spec: init.spec, catalog: init.catalog,
      binning, strategy, options: resolveOptions(options, binning), seed: options.seed ?? init.spec.seed,
    });
    describeSample(session.plan, 0); // a holdout split random sampling cannot reach fails here, not at the first batch
    return session;
  }

  /**
   * A session from its session.json and served rows; `spec` is the file's spec validated again.
   * @throws RangeError when the file does not fit the spec's binning (the catalog changed)
   */
  static fromFile(file: SessionFile, spec: Spec, catalog: Catalog, rows: Uint8Array): Session {
    const binning = buildBinning({ ...spec, seed: file.seed }, { bins: file.options.bins, factors: file.options.factors });
    if (JSON.stringify(binning) !== JSON.stringify(file.binning)) throw new RangeError(`session ${file.id}: the spec's binning changed (catalog or code differs)`);
    const rowBytes = 3 + binning.factors.length;
    if (file.rowBytes !== rowBytes) throw new RangeError(`session ${file.id}: expected ${rowBytes} bytes per served row, got ${file.rowBytes}`);
    if (rows.length < file.counters.served * rowBytes) throw new RangeError(`session ${file.id}: served.bin holds ${Math.floor(rows.length / rowBytes)} rows, session.json counts ${file.counters.served}`);
    // files written before neighbour draws existed keep their behaviour (no neighbour draws)
    const stored: Partial<ResolvedSessionOptions> = file.options;
    const options: ResolvedSessionOptions = { ...file.options, neighbours: stored.neighbours ?? 0, hardFraction: stored.hardFraction ?? SESSION_DEFAULTS.hardFraction, recent: stored.recent ?? SESSION_DEFAULTS.recent };
    return new Session({
      id: file.id, createdAt: file.createdAt, rawSpec: file.spec, spec, catalog, binning, strategy: file.strategy, options,
      seed: file.seed, hardness: HardnessMap.fromJSON(binning, file.hardness), recent: RecentRecords.fromJSON(options.recent, file.recent), served: new ServedMap(rowBytes, rows.subarray(0, file.counters.served * rowBytes)),
      // sessions saved before the guided strategy existed have no counters for it
      counters: { ...file.counters, bySource: { ...emptyCounters().bySource, ...file.counters.bySource } }, classifier: file.classifier,
    });
  }

  /** The session.json form. */
  toFile(): SessionFile {
    return {
      format: SESSION_FORMAT, id: this.id, createdAt: this.createdAt, name: this.spec.name, spec: this.rawSpec, strategy: this.strategy,
      options: this.options, seed: this.seed, binning: this.binning, rowBytes: this.served.rowBytes, counters: this.counters,
      hardness: this.hardness.toJSON(), recent: this.recent.toJSON(), classifier: this.classifier,
    };
  }

  /** The id of served sample n. */
  sampleId(n: number): string {
    return sessionSampleId(this.id, n);
  }

  /** The mixture the next hardness batch draws from. */
  tables(): MixtureTables {
    const o = this.options;
    const tables = mixtureTables(this.hardness, { epsilon: o.epsilon, temperature: o.temperature, temperatureScale: o.temperatureScale, priorWeight: o.priorWeight, signal: o.signal });
    if (!o.balanceClasses) return tables;
    return { ...tables, classProbs: tables.classProbs.map(() => 1 / tables.classProbs.length) };
  }

  /** Class cell and bins of a described sample (NO_CLASS / NO_BIN where none fits). */
  private cellOf(desc: SceneDescription): { classIndex: number; bins: number[] } {
    const c = this.binning.classes.indexOf(desc.objects[0].class);
    return { classIndex: c < 0 ? NO_CLASS : c, bins: this.binning.factors.map((fb) => binOf(fb, desc.factors[fb.factor])) };
  }

  /** True when factor values alone put a train-split sample in the holdout (every key of a combination fixed and matching). */
  private heldOut(values: Readonly<Record<string, FactorValue>>): boolean {
    if (this.spec.split !== 'train') return false;
    return this.spec.holdout.some((combo) => Object.keys(combo).every((k) => values[k] !== undefined) && matchesCombo(values, combo));
  }

  /**
   * Choose the next batch: n samples (pruned: n·candidates candidates, of which n are kept later).
   * Advances only the batch and scene counters; commit() records the samples as served.
   */
  prepare(n: number, strategy: Strategy = this.strategy): PreparedBatch {
    if (!Number.isSafeInteger(n) || n < 1) throw inputError('n', 'an integer >= 1', n);
    const batch = this.counters.batches++;
    const count = strategy === 'pruned' ? n * this.options.candidates : n;
    const first = this.counters.drawn;
    this.counters.drawn += count;
    const items: BatchItem[] = [];
    if (strategy === 'guided') {
      // the class from the class mixture; the image comes from the generator, so no factor bins
      const tables = this.tables();
      const noBins = this.binning.factors.map(() => NO_BIN);
      for (let i = 0; i < count; i++) {
        const c = rngFor(this.seed, first + i, `session-batch-${batch}`).weighted(tables.classProbs);
        items.push({ id: '', number: -1, sceneIndex: first + i, factors: { class: this.binning.classes[c] }, classIndex: c, bins: noBins, strategy, hardness: tables.classHardness[c] });
      }
      return { batch, strategy, plan: this.plan, items, keep: n, committed: false };
    }
    if (strategy !== 'hardness') {
      for (let i = 0; i < count; i++) {
        const desc = describeSample(this.plan, first + i);
        items.push({ id: '', number: -1, sceneIndex: first + i, factors: desc.factors, ...this.cellOf(desc), strategy });
      }
      return { batch, strategy, plan: this.plan, items, keep: n, committed: false };
    }
    const tables = this.tables();
    const hard = this.options.neighbours > 0 && tables.signal !== null ? this.recent.hardest(tables.signal, this.options.hardFraction) : { numbers: [], scores: [] };
    const overrides = new Map<number, Readonly<Record<string, FactorValue>>>();
    const plan: SamplingPlan = { ...this.plan, overrides };
    const checkGrid = this.spec.holdout.length > 0 && this.spec.split === 'train' && this.spec.mode !== 'random';
    for (let i = 0; i < count; i++) {
      const sceneIndex = first + i;
      const rng = rngFor(this.seed, sceneIndex, `session-batch-${batch}`);
      let drawn: (DrawnCell & { neighbourOf?: { id: string; score: number } }) | null = null;
      for (let attempt = 0; attempt < MAX_DRAW_ATTEMPTS && !drawn; attempt++) {
        const cell = hard.numbers.length > 0 && rng.next() < this.options.neighbours
          ? this.neighbourCell(tables, hard, rng)
          : drawCell(tables, this.binning, rng);
        if (this.heldOut(cell.overrides)) continue;
        overrides.set(sceneIndex, cell.overrides);
        // Grid and sweep cells are not checked against the holdout by describeSample: check the mix.
        if (checkGrid && this.spec.holdout.some((combo) => matchesCombo(describeSample(plan, sceneIndex).factors, combo))) {
          overrides.delete(sceneIndex);
          continue;
        }
        drawn = cell;
      }
      const desc = describeSample(plan, sceneIndex);
      const actual = this.cellOf(desc);
      items.push(drawn
        ? { id: '', number: -1, sceneIndex, factors: desc.factors, ...actual, strategy, hardness: drawn.hardness, binHardness: drawn.binHardness, ...(drawn.neighbourOf ? { neighbourOf: drawn.neighbourOf } : {}) }
        : { id: '', number: -1, sceneIndex, factors: desc.factors, ...actual, strategy: 'uniform' });
    }
    return { batch, strategy, plan, items, keep: n, committed: false };
  }

  /**
   * A cell in the joint cell of one of the hardest recent records (picked uniformly): its class and
   * each binned factor's bin, a numeric value drawn inside the bin; a factor the record has no bin
   * for is drawn from the per-factor mixture.
   */
  private neighbourCell(tables: MixtureTables, hard: { numbers: number[]; scores: number[] }, rng: Rng): DrawnCell & { neighbourOf: { id: string; score: number } } {
    const k = rng.int(0, hard.numbers.length - 1);
    const n = hard.numbers[k];
    const c = this.served.classOf(n);
    const { buf, offset } = this.served.binsAt(n);
    const overrides: Record<string, FactorValue> = { class: this.binning.classes[c] };
    const bins: number[] = [];
    const binHardness: Record<string, number> = {};
    this.binning.factors.forEach((fb, f) => {
      const j = buf[offset + f] !== NO_BIN ? buf[offset + f] : rng.weighted(tables.binProbs[c][f]);
      bins.push(j);
      overrides[fb.factor] = drawInBin(fb, j, rng);
      binHardness[fb.factor] = tables.binHardness[c][f][j];
    });
    return { classIndex: c, bins, overrides, hardness: tables.classHardness[c], binHardness, neighbourOf: { id: this.sampleId(n), score: hard.scores[k] } };
  }

  /**
   * Keep the `keep` candidates of a pruned batch with the highest criterion (ties: the earlier
   * candidate), in candidate order. `criteria[i]` scores items[i].
   */
  static selectPruned(prepared: PreparedBatch, criteria: ArrayLike<number>): PreparedBatch {
    const order = prepared.items.map((_, i) => i).sort((a, b) => (criteria[b] - criteria[a]) || (a - b)).slice(0, prepared.keep).sort((a, b) => a - b);
    return { ...prepared, items: order.map((i) => ({ ...prepared.items[i], criterion: criteria[i] })) };
  }

  /** Record a prepared batch's samples as served: each gets its sample number and id. */
  commit(prepared: PreparedBatch): void {
    if (prepared.committed) throw new Error(`batch ${prepared.batch} of session ${this.id} is already committed`);
    for (const item of prepared.items) {
      item.number = this.served.push(item.classIndex, item.strategy, item.bins);
      item.id = this.sampleId(item.number);
    }
    this.counters.served = this.served.count;
    prepared.committed = true;
  }

  /**
   * Apply validated feedback: every accepted record (an id of a served sample of this session) ages
   * the evidence by one record (half-life), then adds its loss and/or correctness to its class cell
   * and its (class, factor, bin) cells. Unknown and other sessions' ids are counted, never applied.
   */
  ingest(records: readonly FeedbackRecord[]): FeedbackResult {
    const numbers = new Float64Array(records.length);
    let accepted = 0, unknown = 0, otherSession = 0;
    const unknownIds: string[] = [];
    for (let i = 0; i < records.length; i++) {
      let n = sampleNumberOf(records[i].id, this.id);
      if (n >= this.served.count) n = -1;
      numbers[i] = n;
      if (n >= 0) accepted++;
      else {
        if (n === -2) otherSession++;
        else unknown++;
        if (unknownIds.length < MAX_LISTED_UNKNOWN) unknownIds.push(records[i].id);
      }
    }
    const map = this.hardness;
    map.age(accepted, this.options.halfLife);
    const F = this.binning.factors.length;
    const bins = new Array<number>(F);
    for (let i = 0; i < records.length; i++) {
      const n = numbers[i];
      if (n < 0) continue;
      const r = records[i];
      const loss = r.loss ?? NaN;
      const error = r.correct === undefined ? NaN : r.correct ? 0 : 1;
      const source = this.counters.bySource[this.served.strategyOf(n)];
      source.records++;
      if (r.loss !== undefined) { source.lossRecords++; source.lossSum += r.loss; }
      if (r.correct !== undefined) { source.errorRecords++; source.errors += error; }
      const c = this.served.classOf(n);
      if (c === NO_CLASS) continue;
      const { buf, offset } = this.served.binsAt(n);
      for (let f = 0; f < F; f++) bins[f] = buf[offset + f];
      map.add(c, bins, loss, error);
      if (this.options.neighbours > 0) this.recent.add(n, loss, error); // kept only for neighbour draws
    }
    const rejected = unknown + otherSession;
    this.counters.feedbackBatches++;
    this.counters.accepted += accepted;
    this.counters.rejected += rejected;
    this.counters.unknown += unknown;
    this.counters.otherSession += otherSession;
    return { accepted, rejected, unknown, otherSession, unknownIds };
  }

  /** A short summary (lists). */
  summary(): SessionSummary {
    const c = this.counters;
    return {
      id: this.id, name: this.spec.name, createdAt: this.createdAt, strategy: this.strategy,
      counts: { batches: c.batches, served: c.served, drawn: c.drawn, feedbackBatches: c.feedbackBatches, accepted: c.accepted, rejected: c.rejected },
    };
  }

  /** The full view: counts, per-class and per-factor-bin hardness, the mixture in use. */
  view(): SessionView {
    const map = this.hardness;
    const t = this.tables();
    const signal = t.signal;
    const o = this.options;
    const hard = signal === null ? { numbers: [], scores: [] } : this.recent.hardest(signal, o.hardFraction);
    const mean = (s: { lossWeight: number; lossSum: number }) => (s.lossWeight > 0 ? s.lossSum / s.lossWeight : null);
    const err = (s: { errorWeight: number; errorSum: number }) => (s.errorWeight > 0 ? s.errorSum / s.errorWeight : null);
    const g = map.global;
    const classes = this.binning.classes.map((name, c) => {
      const s = map.stats(c);
      return { class: name, hardness: t.classHardness[c], loss: mean(s), errorRate: err(s), weight: signal === 'error' ? s.errorWeight : s.lossWeight, records: s.records, probability: t.classProbs[c] };
    });
    const factors = this.binning.factors.map((fb, f) => ({
      factor: fb.factor,
      kind: fb.kind,
      bins: Array.from({ length: fb.count }, (_, j) => {
        const s = map.marginal(f, j);
        return {
          bin: j, label: binLabel(fb, j), hardness: signal === null ? 0 : map.hardnessOf(s, signal, o.priorWeight), loss: mean(s), errorRate: err(s),
          weight: signal === 'error' ? s.errorWeight : s.lossWeight, records: s.records,
          probability: t.classProbs.reduce((p, pc, c) => p + pc * t.binProbs[c][f][j], 0),
          byClass: t.binHardness.map((row) => row[f][j]),
        };
      }),
    }));
    const c = this.counters;
    const bySource = Object.fromEntries(STRATEGIES.map((s) => {
      const b = c.bySource[s];
      return [s, { records: b.records, meanLoss: b.lossRecords > 0 ? b.lossSum / b.lossRecords : null, errorRate: b.errorRecords > 0 ? b.errors / b.errorRecords : null }];
    })) as SessionView['feedback']['bySource'];
    return {
      id: this.id, name: this.spec.name, createdAt: this.createdAt, strategy: this.strategy, seed: this.seed, options: o, spec: this.rawSpec,
      counts: { batches: c.batches, served: c.served, drawn: c.drawn },
      feedback: { batches: c.feedbackBatches, accepted: c.accepted, rejected: c.rejected, unknown: c.unknown, otherSession: c.otherSession, bySource },
      hardness: {
        signal, temperature: t.temperature, epsilon: o.epsilon,
        global: { loss: mean(g), lossStd: g.lossWeight > 0 ? map.globalStd('loss') : null, errorRate: err(g), records: g.records },
        classes, factors,
        neighbours: { share: o.neighbours, hardFraction: o.hardFraction, records: this.recent.size, hard: hard.numbers.length, minScore: hard.scores.length > 0 ? hard.scores[hard.scores.length - 1] : null },
      },
      classifier: this.classifier,
    };
  }
}

/** A session in a list. */
export interface SessionSummary {
  id: string;
  name: string;
  createdAt: string;
  strategy: Strategy;
  counts: { batches: number; served: number; drawn: number; feedbackBatches: number; accepted: number; rejected: number };
}

/** The full view of a session (GET /v1/sessions/:id, `synth session show`). */
export interface SessionView {
  id: string;
  name: string;
  createdAt: string;
  strategy: Strategy;
  seed: number;
  options: ResolvedSessionOptions;
  spec: Record<string, unknown>;
  counts: { batches: number; served: number; drawn: number };
  feedback: {
    batches: number; accepted: number; rejected: number; unknown: number; otherSession: number;
    bySource: Record<Strategy, { records: number; meanLoss: number | null; errorRate: number | null }>;
  };
  hardness: {
    signal: 'loss' | 'error' | null;
    temperature: number;
    epsilon: number;
    global: { loss: number | null; lossStd: number | null; errorRate: number | null; records: number };
    /** Neighbour draws: their share, the recent records kept, how many are the hard ones drawn around, and the lowest score among them. */
    neighbours: { share: number; hardFraction: number; records: number; hard: number; minScore: number | null };
    classes: { class: string; hardness: number; loss: number | null; errorRate: number | null; weight: number; records: number; probability: number }[];
    factors: {
      factor: string; kind: 'range' | 'values';
      bins: { bin: number; label: string; hardness: number; loss: number | null; errorRate: number | null; weight: number; records: number; probability: number; byClass: number[] }[];
    }[];
  };
  classifier: ClassifierInfo | null;
}

