/**
 * The served samples of a session: one fixed-width row per sample (class u16 LE, strategy u8, one byte
 * per binned factor's bin) in one growing byte buffer, the form served.bin stores.
 */
import { STRATEGIES, type Strategy } from './strategy.js';

/** Code of each strategy in a served row. */
const STRATEGY_CODE: Readonly<Record<Strategy, number>> = { uniform: 0, hardness: 1, pruned: 2, guided: 3 };

/** The class of a served row whose class is in no class cell. */
export const NO_CLASS = 0xffff;

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
