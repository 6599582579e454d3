/**
 * A feedback session: a spec, a strategy and its options, a seed, the map from served sample to
 * (class, bins), the hardness map and the counters. Plain in-memory state with pure steps:
 *
 * - `prepare(n, strategy)` chooses the next batch's samples (draw-batch.ts: scene indices and, for
 *   hardness, the factor values that fix each one's cell); it only advances the scene counter, so the
 *   same state gives the same batch.
 * - `commit(batch)` gives the chosen samples their ids and records them as served (served.ts).
 * - `ingest(records)` applies feedback on served samples to the hardness map.
 *
 * Options and their defaults: session-options.ts; session.json: session-file.ts; what a session shows:
 * session-view.ts. store.ts persists it; batch.ts renders a prepared batch.
 */
import { InputError, inputError } from '../core/errors.js';
import type { Catalog } from '../spec/catalog.js';
import { describeSample, planSampling, type SamplingPlan } from '../spec/sample.js';
import type { Spec } from '../spec/schema.js';
import { buildBinning, type Binning } from './bins.js';
import { HardnessMap } from './hardness.js';
import { STRATEGIES, mixtureTables, type MixtureTables, type Strategy } from './strategy.js';
import { sampleNumberOf, sessionSampleId, type FeedbackRecord } from './ingest.js';
import { RecentRecords } from './recent.js';
import { NO_CLASS, ServedMap } from './served.js';
import { SESSION_DEFAULTS, resolveOptions, storedOptions, type ResolvedSessionOptions, type SessionOptions } from './session-options.js';
import { SESSION_FORMAT, emptyCounters, type ClassifierInfo, type SessionCounters, type SessionFile } from './session-file.js';
import { drawBatchItems, type PreparedBatch } from './draw-batch.js';
import { sessionSummary, sessionView, type SessionSummary, type SessionView } from './session-view.js';

export { SESSION_DEFAULTS, SessionOptionsSchema, type ResolvedSessionOptions, type SessionOptions } from './session-options.js';
export { SESSION_FORMAT, type ClassifierInfo, type SessionCounters, type SessionFile } from './session-file.js';
export type { BatchItem, PreparedBatch } from './draw-batch.js';
export type { SessionSummary, SessionView } from './session-view.js';

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
   * @throws InputError when the file does not fit the spec's binning (the catalog changed) or its served rows
   */
  static fromFile(file: SessionFile, spec: Spec, catalog: Catalog, rows: Uint8Array): Session {
    const binning = buildBinning({ ...spec, seed: file.seed }, { bins: file.options.bins, factors: file.options.factors });
    if (JSON.stringify(binning) !== JSON.stringify(file.binning)) throw new InputError(`session ${file.id}: the spec's binning changed (catalog or code differs)`);
    const rowBytes = 3 + binning.factors.length;
    if (file.rowBytes !== rowBytes) throw new InputError(`session ${file.id}: expected ${rowBytes} bytes per served row, got ${file.rowBytes}`);
    if (rows.length < file.counters.served * rowBytes) throw new InputError(`session ${file.id}: served.bin holds ${Math.floor(rows.length / rowBytes)} rows, session.json counts ${file.counters.served}`);
    const options = storedOptions(file.options);
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
    const { plan, items } = drawBatchItems(this, strategy, batch, first, count);
    return { batch, strategy, plan, items, keep: n, committed: false };
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
    return sessionSummary(this);
  }

  /** The full view: counts, per-class and per-factor-bin hardness, the mixture in use. */
  view(): SessionView {
    return sessionView(this);
  }
}
