/**
 * The most recent feedback records (served sample number, loss, correctness): where the `hardness`
 * strategy finds the joint cells of the hardest samples it was told about.
 *
 * The hardness map keeps one estimate per (class, factor, bin) cell, so it tilts each factor on its
 * own; a hard sample is often hard because of a combination (a far camera *and* a dark scene *and*
 * a camouflage texture). Drawing new samples in the joint cells (class and every factor's bin) of the
 * hardest recent records is the nonparametric version of a joint table that would be far too sparse
 * to estimate (10 classes × 4 × 4 × 4 × 6 × 4 bins is 15,360 cells). Pure data and functions; the
 * session persists `toJSON()`.
 */
import { InputError } from '../core/errors.js';

/** Defaults of the recent-records component. */
export const RECENT_DEFAULTS = {
  /** Records kept (the newest). */
  capacity: 4096,
  /** The hardest fraction of the kept records whose joint cells new samples are drawn in. */
  hardFraction: 0.25,
};

/** The JSON form: parallel arrays, oldest first (null: not reported). */
export interface RecentData {
  numbers: number[];
  losses: (number | null)[];
  errors: (0 | 1 | null)[];
}

/** The newest `capacity` feedback records. Mutable; `toJSON`/`fromJSON` round-trip exactly. */
export class RecentRecords {
  private numbers: number[] = [];
  private losses: (number | null)[] = [];
  private errors: (0 | 1 | null)[] = [];

  constructor(readonly capacity: number = RECENT_DEFAULTS.capacity) {}

  /** Records held (at most capacity). */
  get size(): number {
    return Math.min(this.numbers.length, this.capacity);
  }

  /** Add one record of served sample `n`: its loss (NaN: none) and error (1 wrong, 0 right, NaN: none). */
  add(n: number, loss: number, error: number): void {
    this.numbers.push(n);
    this.losses.push(loss === loss ? loss : null);
    this.errors.push(error === error ? (error ? 1 : 0) : null);
    // trimmed in bulk, so adding stays O(1) amortised
    if (this.numbers.length >= 2 * this.capacity) this.trim();
  }

  private trim(): void {
    const drop = this.numbers.length - this.capacity;
    if (drop <= 0) return;
    this.numbers.splice(0, drop);
    this.losses.splice(0, drop);
    this.errors.splice(0, drop);
  }

  /**
   * Served numbers of the hardest `fraction` of the records, hardest first (ties: the newer first):
   * by loss for the `loss` signal (records without one are skipped; only losses above the records'
   * mean count as hard), by error for `error` (only wrong answers count as hard). At least one
   * record when any qualifies; none when every loss is the same.
   */
  hardest(signal: 'loss' | 'error', fraction: number): { numbers: number[]; scores: number[] } {
    this.trim();
    const scored: { n: number; s: number; at: number }[] = [];
    for (let i = 0; i < this.numbers.length; i++) {
      const s = signal === 'loss' ? this.losses[i] : this.errors[i];
      if (s === null || (signal === 'error' && s === 0)) continue;
      scored.push({ n: this.numbers[i], s, at: i });
    }
    if (scored.length === 0) return { numbers: [], scores: [] };
    // the fraction is of every record that reported the signal (wrong and right answers alike)
    const reported = signal === 'loss' ? scored.length : this.errors.filter((e) => e !== null).length;
    const mean = scored.reduce((sum, r) => sum + r.s, 0) / scored.length;
    const hard = signal === 'loss' ? scored.filter((r) => r.s > mean) : scored;
    hard.sort((a, b) => (b.s - a.s) || (b.at - a.at));
    const top = hard.slice(0, Math.max(1, Math.ceil(fraction * reported)));
    return { numbers: top.map((r) => r.n), scores: top.map((r) => r.s) };
  }

  /** The JSON form (the newest `capacity` records). */
  toJSON(): RecentData {
    this.trim();
    return { numbers: [...this.numbers], losses: [...this.losses], errors: [...this.errors] };
  }

  /**
   * Records from their JSON form (a file written before this existed: none).
   * @throws InputError when the arrays do not line up (a damaged session file)
   */
  static fromJSON(capacity: number, data: RecentData | undefined): RecentRecords {
    const r = new RecentRecords(capacity);
    if (!data) return r;
    const { numbers, losses, errors } = data;
    if (!Array.isArray(numbers) || !Array.isArray(losses) || !Array.isArray(errors) || losses.length !== numbers.length || errors.length !== numbers.length) {
      throw new InputError('recent records: expected three arrays of one length');
    }
    r.numbers = [...numbers];
    r.losses = [...losses];
    r.errors = [...errors];
    r.trim();
    return r;
  }
}
