/**
 * The hardness map: exponentially decayed evidence of how a trainer's model does, per class cell and
 * per (class, factor, bin) cell, from reported per-sample losses and/or correctness.
 *
 * Decay is a half-life in records: a feedback batch of m accepted records first multiplies all older
 * evidence by 2^(−m / halfLife), then adds its records with weight 1 each. So evidence ages by the
 * number of records reported since, whatever the trainer's batch size (records of one batch count as
 * simultaneous). A cell's hardness is its decayed mean shrunk towards the global mean with
 * `priorWeight` pseudo-records: (Σ w·x + κ·prior) / (Σ w + κ); an unvisited cell is the prior.
 */
import { InputError } from '../core/errors.js';
import type { Binning } from './bins.js';
import { NO_BIN, totalBins } from './bins.js';
import { MAX_LOSS } from './ingest.js';

/** Defaults of the hardness estimate. */
export const HARDNESS_DEFAULTS = {
  /** Records after which old evidence weighs half. */
  halfLife: 10_000,
  /** Pseudo-records of the global mean in every cell. */
  priorWeight: 5,
};

/** Which reported quantity is the hardness: mean loss, error rate, or loss once any loss came (else error rate). */
export type HardnessSignal = 'loss' | 'error' | 'auto';

/** The evidence of one cell (or of all records: the global cell). */
export interface CellStats {
  /** Decayed weight of records that reported a loss, and their decayed loss sum. */
  lossWeight: number;
  lossSum: number;
  /** Decayed weight of records that reported correctness, and their decayed error sum. */
  errorWeight: number;
  errorSum: number;
  /** Records ever applied to the cell (not decayed). */
  records: number;
}

/** The hardness map as plain data (its JSON form on disk). */
export interface HardnessData {
  /** Cells: K class cells, then for class c the cells K + c·B + offset(f) + bin (B = bins over all factors). */
  cells: number;
  lossWeight: number[];
  lossSum: number[];
  errorWeight: number[];
  errorSum: number[];
  records: number[];
  /** Global (all records) sums, with the decayed sum of squared losses for the loss scale. */
  global: CellStats & { lossSquares: number };
}

/** Decayed per-cell evidence over a binning. Mutable; `toJSON`/`fromJSON` round-trip exactly. */
export class HardnessMap {
  readonly classes: number;
  /** Bins over all factors (B). */
  readonly width: number;
  /** Offset of each binned factor's first bin within a class's B cells. */
  readonly offsets: readonly number[];
  readonly cells: number;
  readonly lossWeight: Float64Array;
  readonly lossSum: Float64Array;
  readonly errorWeight: Float64Array;
  readonly errorSum: Float64Array;
  readonly records: Float64Array;
  readonly global: CellStats & { lossSquares: number } = { lossWeight: 0, lossSum: 0, errorWeight: 0, errorSum: 0, records: 0, lossSquares: 0 };

  constructor(readonly binning: Binning) {
    this.classes = binning.classes.length;
    this.width = totalBins(binning);
    let at = 0;
    this.offsets = binning.factors.map((f) => (at += f.count) - f.count);
    this.cells = this.classes * (1 + this.width);
    this.lossWeight = new Float64Array(this.cells);
    this.lossSum = new Float64Array(this.cells);
    this.errorWeight = new Float64Array(this.cells);
    this.errorSum = new Float64Array(this.cells);
    this.records = new Float64Array(this.cells);
  }

  /** Cell index of (class c, binned factor f, bin j); class c's own cell is index c. */
  cell(c: number, f: number, j: number): number {
    return this.classes + c * this.width + this.offsets[f] + j;
  }

  /** Multiply every cell's and the global evidence by `factor` (in (0, 1]). */
  decay(factor: number): void {
    if (factor === 1) return;
    for (const a of [this.lossWeight, this.lossSum, this.errorWeight, this.errorSum]) {
      for (let i = 0; i < a.length; i++) a[i] *= factor;
    }
    const g = this.global;
    g.lossWeight *= factor; g.lossSum *= factor; g.lossSquares *= factor; g.errorWeight *= factor; g.errorSum *= factor;
  }

  /** Age the evidence by `records` new records under `halfLife`: decay(2^(−records / halfLife)). */
  age(records: number, halfLife: number): void {
    if (records > 0) this.decay(2 ** (-records / halfLife));
  }

  /**
   * Add one record of class cell `c` whose factor bins are `bins` (bins[f], NO_BIN for none), with
   * its loss (NaN: none) and error (1 wrong, 0 right, NaN: not reported).
   */
  add(c: number, bins: ArrayLike<number>, loss: number, error: number): void {
    const hasLoss = loss === loss; // not NaN
    // validateFeedback refuses larger losses; clamped here too so no caller can make a sum infinite
    // (an Infinity saved as JSON null reloads as 0: the state after a restart would differ).
    if (hasLoss) loss = Math.min(MAX_LOSS, Math.max(0, loss));
    const hasError = error === error;
    const g = this.global;
    g.records++;
    if (hasLoss) { g.lossWeight++; g.lossSum += loss; g.lossSquares += loss * loss; }
    if (hasError) { g.errorWeight++; g.errorSum += error; }
    this.addCell(c, hasLoss, loss, hasError, error);
    const base = this.classes + c * this.width;
    for (let f = 0; f < this.offsets.length; f++) {
      const j = bins[f];
      if (j !== NO_BIN) this.addCell(base + this.offsets[f] + j, hasLoss, loss, hasError, error);
    }
  }

  private addCell(i: number, hasLoss: boolean, loss: number, hasError: boolean, error: number): void {
    this.records[i]++;
    if (hasLoss) { this.lossWeight[i]++; this.lossSum[i] += loss; }
    if (hasError) { this.errorWeight[i]++; this.errorSum[i] += error; }
  }

  /** The signal in use: `loss` once any loss was reported (for auto), `error` once correctness was, else null. */
  signal(wanted: HardnessSignal): 'loss' | 'error' | null {
    const g = this.global;
    if (wanted === 'loss') return g.lossWeight > 0 ? 'loss' : null;
    if (wanted === 'error') return g.errorWeight > 0 ? 'error' : null;
    return g.lossWeight > 0 ? 'loss' : g.errorWeight > 0 ? 'error' : null;
  }

  /** The global mean of a signal (0 without evidence). */
  globalMean(signal: 'loss' | 'error'): number {
    const g = this.global;
    const w = signal === 'loss' ? g.lossWeight : g.errorWeight;
    return w > 0 ? (signal === 'loss' ? g.lossSum : g.errorSum) / w : 0;
  }

  /** The spread of the signal over single records: the decayed standard deviation of the losses, or sqrt(p(1−p)). */
  globalStd(signal: 'loss' | 'error'): number {
    const m = this.globalMean(signal);
    if (signal === 'error') return Math.sqrt(Math.max(0, m * (1 - m)));
    const g = this.global;
    return g.lossWeight > 0 ? Math.sqrt(Math.max(0, g.lossSquares / g.lossWeight - m * m)) : 0;
  }

  /** Hardness of cell `i`: its decayed mean shrunk towards the global mean by `priorWeight` pseudo-records. */
  hardness(i: number, signal: 'loss' | 'error', priorWeight: number): number {
    const prior = this.globalMean(signal);
    const w = signal === 'loss' ? this.lossWeight[i] : this.errorWeight[i];
    const s = signal === 'loss' ? this.lossSum[i] : this.errorSum[i];
    return w + priorWeight > 0 ? (s + priorWeight * prior) / (w + priorWeight) : prior;
  }

  /** The plain JSON form (exact round trip: JS numbers are doubles). */
  toJSON(): HardnessData {
    return {
      cells: this.cells,
      lossWeight: Array.from(this.lossWeight), lossSum: Array.from(this.lossSum),
      errorWeight: Array.from(this.errorWeight), errorSum: Array.from(this.errorSum),
      records: Array.from(this.records), global: { ...this.global },
    };
  }

  /**
   * A map over `binning` from its JSON form.
   * @throws InputError when the data does not fit the binning (a session file that does not fit its spec)
   */
  static fromJSON(binning: Binning, data: HardnessData): HardnessMap {
    const m = new HardnessMap(binning);
    if (data.cells !== m.cells) throw new InputError(`hardness map: expected ${m.cells} cells for this binning, got ${data.cells}`);
    const arrays = [[m.lossWeight, data.lossWeight], [m.lossSum, data.lossSum], [m.errorWeight, data.errorWeight], [m.errorSum, data.errorSum], [m.records, data.records]] as const;
    for (const [to, from] of arrays) {
      if (!Array.isArray(from) || from.length !== m.cells || !from.every(Number.isFinite)) throw new InputError(`hardness map: expected arrays of ${m.cells} finite numbers`);
      to.set(from);
    }
    const g = data.global;
    const keys = ['lossWeight', 'lossSum', 'errorWeight', 'errorSum', 'records', 'lossSquares'] as const;
    const bad = keys.find((k) => !Number.isFinite(g?.[k]));
    if (bad) throw new InputError(`hardness map: expected a finite global.${bad}, got ${JSON.stringify(g?.[bad])}`);
    for (const k of keys) m.global[k] = g[k];
    return m;
  }

  /** Summed evidence of (factor f, bin j) over all classes, as a CellStats. */
  marginal(f: number, j: number): CellStats {
    const out: CellStats = { lossWeight: 0, lossSum: 0, errorWeight: 0, errorSum: 0, records: 0 };
    for (let c = 0; c < this.classes; c++) {
      const i = this.cell(c, f, j);
      out.lossWeight += this.lossWeight[i]; out.lossSum += this.lossSum[i];
      out.errorWeight += this.errorWeight[i]; out.errorSum += this.errorSum[i]; out.records += this.records[i];
    }
    return out;
  }

  /** The evidence of cell i as a CellStats. */
  stats(i: number): CellStats {
    return { lossWeight: this.lossWeight[i], lossSum: this.lossSum[i], errorWeight: this.errorWeight[i], errorSum: this.errorSum[i], records: this.records[i] };
  }

  /** Hardness of any CellStats (e.g. a marginal), shrunk like `hardness`. */
  hardnessOf(s: CellStats, signal: 'loss' | 'error', priorWeight: number): number {
    const prior = this.globalMean(signal);
    const w = signal === 'loss' ? s.lossWeight : s.errorWeight;
    const sum = signal === 'loss' ? s.lossSum : s.errorSum;
    return w + priorWeight > 0 ? (sum + priorWeight * prior) / (w + priorWeight) : prior;
  }
}
