/**
 * Seeded randomness. Every sample draws from its own stream derived from (seed, index, purpose),
 * never from a shared sequential generator, so any index can be rendered on any machine.
 */

/** 32-bit integer hash (a murmur3 finaliser) */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash a string to 32 bits (FNV-1a then mixed). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** A seeded generator of uniform floats in [0, 1) with helpers for common draws. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform float in [min, max). */
  uniform(min: number, max: number): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Standard normal draw (Box-Muller). */
  normal(mean?: number, std?: number): number;
  /** Index drawn with probability proportional to `weights`. */
  weighted(weights: readonly number[]): number;
  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T;
}

/**
 * sfc32 (small, fast, and passes PractRand for our purposes) with the Rng helpers. Its state lives in
 * one small object (a sample draws from dozens of streams: closures per stream were a third of what
 * the server's main thread allocated per render request).
 */
class Sfc32 implements Rng {
  constructor(private a: number, private b: number, private c: number, private d: number) {}
  next(): number {
    let { a, b, c, d } = this;
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.a = a; this.b = b; this.c = c; this.d = d;
    return (t >>> 0) / 4294967296;
  }
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/**
 * The PRNG stream of sample `index` under `seed`, for one `purpose` (a factor name, "shape", ...).
 * Separate purposes get independent streams, so adding a factor never shifts the others.
 * @example rngFor(7, 42, 'yaw').uniform(0, 360)
 */
export function rngFor(seed: number, index: number, purpose = ''): Rng {
  const s = mix32((seed >>> 0) ^ 0x9e3779b9);
  const hi = Math.floor(index / 4294967296);
  const i = mix32((index >>> 0) ^ mix32(hi + 0x632be5ab));
  const p = hashString(purpose);
  const rng = new Sfc32(s, i, p, mix32(s ^ i ^ p ^ 0x5bd1e995));
  for (let k = 0; k < 12; k++) rng.next(); // warm up: decorrelate nearby seeds
  return rng;
}
