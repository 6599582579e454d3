/**
 * Mask math on plain arrays: COCO run-length encoding (uncompressed, column-major, as pycocotools
 * reads it), its inverse, and tight boxes. Masks are row-major (rows top-down), `width * height`
 * values; a pixel is in the mask when it equals `value` (or, without `value`, when it is non-zero).
 */

/** COCO uncompressed RLE: `counts` alternate background and foreground runs, starting with background. */
export interface Rle {
  /** Run lengths over the pixels in column-major order (x outer, y inner); the first run is background (may be 0). */
  counts: number[];
  /** [height, width], as COCO writes it. */
  size: [number, number];
}

/** A box [x, y, width, height] in pixels: the pixel extent, so a single pixel at (3, 4) is [3, 4, 1, 1]. */
export type Box = [number, number, number, number];

function checkMask(mask: ArrayLike<number>, width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 0 && height >= 0)) {
    throw new RangeError(`mask: expected integer width and height >= 0, got ${width}x${height}`);
  }
  if (mask.length !== width * height) {
    throw new RangeError(`mask: expected ${width}x${height} = ${width * height} values, got ${mask.length}`);
  }
}

/**
 * Encode a mask as COCO RLE (column-major).
 * @example rleEncode(Uint8Array.from([0, 1, 0, 1]), 2, 2) // {counts: [2, 2], size: [2, 2]}: column 0 is background
 * @throws RangeError when the mask does not hold width * height values.
 */
export function rleEncode(mask: ArrayLike<number>, width: number, height: number, value?: number): Rle {
  checkMask(mask, width, height);
  const counts: number[] = [];
  let inside = false;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let i = x, y = 0; y < height; y++, i += width) {
      const on = value === undefined ? mask[i] !== 0 : mask[i] === value;
      if (on !== inside) {
        counts.push(run);
        run = 0;
        inside = on;
      }
      run++;
    }
  }
  counts.push(run);
  // A trailing empty background run never happens; a mask that is all background is [w*h].
  return { counts, size: [height, width] };
}

/**
 * Decode COCO RLE into a row-major 0/1 mask.
 * @throws RangeError when the counts do not add up to height * width.
 */
export function rleDecode(rle: Rle): Uint8Array {
  const [height, width] = rle.size;
  const total = rle.counts.reduce((s, c) => s + c, 0);
  if (total !== width * height) throw new RangeError(`rle: expected counts summing to ${height}x${width} = ${width * height}, got ${total}`);
  const out = new Uint8Array(width * height);
  let p = 0;
  rle.counts.forEach((run, k) => {
    if (k % 2 === 1) {
      for (let j = p; j < p + run; j++) out[(j % height) * width + Math.floor(j / height)] = 1;
    }
    p += run;
  });
  return out;
}

/** Foreground pixels of an RLE (COCO's `area` of a mask). */
export function rleArea(rle: Rle): number {
  let area = 0;
  for (let k = 1; k < rle.counts.length; k += 2) area += rle.counts[k];
  return area;
}

/**
 * Tight box around a mask's pixels; null when the mask is empty.
 * @example boxFromMask(instanceMask, 64, 64, 2) // box of instance 2
 */
export function boxFromMask(mask: ArrayLike<number>, width: number, height: number, value?: number): Box | null {
  checkMask(mask, width, height);
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      const on = value === undefined ? mask[i] !== 0 : mask[i] === value;
      if (!on) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

/** Tight box of an RLE mask without decoding it (pycocotools' toBbox); null when empty. */
export function boxFromRle(rle: Rle): Box | null {
  const [height] = rle.size;
  let x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  let p = 0;
  rle.counts.forEach((run, k) => {
    if (k % 2 === 1 && run > 0 && height > 0) {
      const first = p, last = p + run - 1;
      const xa = Math.floor(first / height), xb = Math.floor(last / height);
      x0 = Math.min(x0, xa);
      x1 = Math.max(x1, xb);
      // A run that crosses into the next column reaches the bottom of one and the top of the next.
      y0 = Math.min(y0, xa === xb ? first % height : 0);
      y1 = Math.max(y1, xa === xb ? last % height : height - 1);
    }
    p += run;
  });
  return x1 < 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}
