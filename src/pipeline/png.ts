/**
 * A small PNG encoder: label maps (8-bit grey masks, 16-bit grey depth, 8-bit RGB normals) and the
 * rendered images (RGBA frames written as RGB). sharp's raw input does not cover 16-bit grey cleanly,
 * label maps need exact values, and for small frames libvips' per-image pipeline costs more than the
 * compression, so these are written here: IHDR, one zlib IDAT, IEND (label maps with unfiltered rows,
 * renders with Sub-filtered ones). Same input, same bytes.
 */
import { deflate, deflateSync, constants } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

/** Pixel layouts encodePng writes. */
export type PngKind = 'grey8' | 'grey16' | 'rgb8';

const KIND: Record<PngKind, { channels: number; bitDepth: number; colorType: number }> = {
  grey8: { channels: 1, bitDepth: 8, colorType: 0 },
  grey16: { channels: 1, bitDepth: 16, colorType: 0 },
  rgb8: { channels: 3, bitDepth: 8, colorType: 2 },
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** zlib level of the label maps (small, highly compressible images). */
const LABEL_LEVEL = 6;

/**
 * Encode pixels (rows top-down; `grey16` takes a Uint16Array, the others a Uint8Array) as PNG,
 * deflated on libuv's thread pool.
 * @throws RangeError when the pixel count does not match width x height x channels.
 * @throws TypeError when the array type does not match the kind's bit depth.
 */
export async function encodePng(kind: PngKind, pixels: Uint8Array | Uint16Array, width: number, height: number): Promise<Buffer> {
  const { bitDepth, colorType } = KIND[kind];
  return pngFile(width, height, bitDepth, colorType, unfilteredScanlines(kind, pixels, width, height), LABEL_LEVEL);
}

/** encodePng on the calling thread (the writer threads' label maps); the same bytes. */
export function encodePngSync(kind: PngKind, pixels: Uint8Array | Uint16Array, width: number, height: number): Buffer {
  const { bitDepth, colorType } = KIND[kind];
  const raw = unfilteredScanlines(kind, pixels, width, height);
  return pngChunks(width, height, bitDepth, colorType, deflateSync(raw, { level: LABEL_LEVEL, strategy: constants.Z_DEFAULT_STRATEGY }));
}

/** Scanlines with filter type None (a 0 byte, then the row; 16-bit samples big-endian). */
function unfilteredScanlines(kind: PngKind, pixels: Uint8Array | Uint16Array, width: number, height: number): Buffer {
  const { channels, bitDepth } = KIND[kind];
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`png ${kind}: expected ${width}x${height}x${channels} = ${width * height * channels} values, got ${pixels.length}`);
  }
  if ((bitDepth === 16) !== (pixels instanceof Uint16Array)) {
    throw new TypeError(`png ${kind}: expected a ${bitDepth === 16 ? 'Uint16Array' : 'Uint8Array'}, got ${pixels.constructor.name}`);
  }
  const rowBytes = width * channels * (bitDepth / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (rowBytes + 1); // raw[at] = 0: filter type None
    if (bitDepth === 8) raw.set((pixels as Uint8Array).subarray(y * rowBytes, (y + 1) * rowBytes), at + 1);
    else for (let x = 0, i = y * width * channels; x < width * channels; x++, i++) raw.writeUInt16BE(pixels[i], at + 1 + 2 * x);
  }
  return raw;
}

/**
 * Encode RGBA8 pixels (rows top-down) as an 8-bit RGB PNG, alpha dropped: Sub-filtered scanlines
 * (rgbScanlines) and one zlib stream at `level` (1-9), deflated on libuv's thread pool. No image
 * pipeline to set up per frame: a fraction of libvips' time for a 224x224 render. Same input and
 * level, same bytes.
 * @throws RangeError when the pixel count does not match width x height x 4, or level is not 1-9.
 */
export async function encodeRgbaAsRgbPng(rgba: Uint8Array, width: number, height: number, level: number): Promise<Buffer> {
  checkRgba(rgba, width, height, level);
  return pngFile(width, height, 8, 2, rgbScanlines(rgba, width, height), level);
}

/** encodeRgbaAsRgbPng on the calling thread (for a worker thread that encodes off the render loop); the same bytes. */
export function encodeRgbaAsRgbPngSync(rgba: Uint8Array, width: number, height: number, level: number): Buffer {
  checkRgba(rgba, width, height, level);
  return pngChunks(width, height, 8, 2, deflateSync(rgbScanlines(rgba, width, height), { level, strategy: constants.Z_DEFAULT_STRATEGY }));
}

function checkRgba(rgba: Uint8Array, width: number, height: number, level: number): void {
  if (rgba.length !== width * height * 4) throw new RangeError(`png rgb from rgba: expected ${width}x${height}x4 = ${width * height * 4} bytes, got ${rgba.length}`);
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`png level: expected an integer in [1, 9], got ${level}`);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const HIGH = 0x80808080 | 0;
const LOW = 0x7f7f7f7f;

/** Bytewise a - b (mod 256) of two words, four bytes at once. */
function subBytes(a: number, b: number): number {
  return ((a | HIGH) - (b & LOW)) ^ ((a ^ ~b) & HIGH);
}

/**
 * Filter-Sub scanlines (a 1 byte, then each byte minus the one a pixel to its left) of RGBA8 pixels
 * with the alpha bytes dropped. Renders are mostly smooth, so Sub leaves mostly small numbers: at zlib
 * level 2 a 224x224 render deflates in two thirds of the time unfiltered rows took at level 4, 3% larger.
 */
export function rgbScanlines(rgba: Uint8Array, width: number, height: number): Buffer {
  const rowBytes = width * 3;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  if (LITTLE_ENDIAN && width % 4 === 0 && rgba.byteOffset % 4 === 0) {
    // Each pixel word minus its left neighbour (bytewise), then four differences (four little-endian
    // words ABGR) become three words of RGB bytes, built in an aligned row.
    const src = new Uint32Array(rgba.buffer, rgba.byteOffset, width * height);
    const row = new Uint32Array(rowBytes / 4);
    const rowView = new Uint8Array(row.buffer);
    for (let y = 0, i = 0; y < height; y++) {
      let left = 0;
      for (let o = 0; o < row.length; o += 3, i += 4) {
        const q0 = src[i], q1 = src[i + 1], q2 = src[i + 2], q3 = src[i + 3];
        const p0 = subBytes(q0, left), p1 = subBytes(q1, q0), p2 = subBytes(q2, q1), p3 = subBytes(q3, q2);
        left = q3;
        row[o] = (p0 & 0xffffff) | (p1 << 24);
        row[o + 1] = ((p1 >>> 8) & 0xffff) | (p2 << 16);
        row[o + 2] = ((p2 >>> 16) & 0xff) | (p3 << 8);
      }
      raw[y * (rowBytes + 1)] = 1;
      raw.set(rowView, y * (rowBytes + 1) + 1);
    }
    return raw;
  }
  for (let y = 0, i = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = 1;
    for (let o = y * (rowBytes + 1) + 1, end = o + rowBytes, x = 0; o < end; o += 3, i += 4, x++) {
      raw[o] = x === 0 ? rgba[i] : rgba[i] - rgba[i - 4];
      raw[o + 1] = x === 0 ? rgba[i + 1] : rgba[i + 1] - rgba[i - 3];
      raw[o + 2] = x === 0 ? rgba[i + 2] : rgba[i + 2] - rgba[i - 2];
    }
  }
  return raw;
}

/** A PNG file of scanlines `raw` (filter bytes included): signature, IHDR, one IDAT, IEND. */
async function pngFile(width: number, height: number, bitDepth: number, colorType: number, raw: Buffer, level: number): Promise<Buffer> {
  return pngChunks(width, height, bitDepth, colorType, await deflateAsync(raw, { level, strategy: constants.Z_DEFAULT_STRATEGY }));
}

/** The PNG file around deflated scanlines `idat`. */
function pngChunks(width: number, height: number, bitDepth: number, colorType: number, idat: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}
