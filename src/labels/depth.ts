/** Depth maps as 16-bit integers, the form a 16-bit PNG stores (pure functions). */

/** Scene units per stored count: 0.001, i.e. millimetres when scene units are metres. */
export const DEPTH_SCALE = 0.001;
/** Stored value of pixels with no depth (background, or not finite). */
export const DEPTH_INVALID = 0;

/**
 * Quantise depth (scene units) to uint16 counts of `scale` units: round(depth / scale), with 0 for
 * background (non-finite or <= 0) and depths past 65535 counts clamped to 65535.
 * @example depthToUint16(Float32Array.of(1.5, Infinity)) // Uint16Array [1500, 0]
 */
export function depthToUint16(depth: ArrayLike<number>, scale = DEPTH_SCALE): Uint16Array {
  if (!(scale > 0)) throw new RangeError(`depth scale: expected a positive number, got ${scale}`);
  const out = new Uint16Array(depth.length);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i];
    out[i] = Number.isFinite(d) && d > 0 ? Math.min(65535, Math.max(1, Math.round(d / scale))) : DEPTH_INVALID;
  }
  return out;
}

/** Inverse of depthToUint16: scene units, Infinity where nothing was stored. */
export function depthFromUint16(counts: ArrayLike<number>, scale = DEPTH_SCALE): Float32Array {
  const out = new Float32Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i] === DEPTH_INVALID ? Infinity : counts[i] * scale;
  return out;
}
