/**
 * Image encoding: RGBA frames to PNG (our own encoder, png.ts), JPEG or WebP (sharp, libvips), or raw
 * uint8 [height, width, 3] arrays as .npy (npy.ts) for trainers that should decode nothing.
 */
import sharp from 'sharp';
import { encodeRgbaAsRgbPng, encodeRgbaAsRgbPngSync } from './png.js';
import { encodeRgbaAsRgbNpy } from './npy.js';

/** Image file formats a spec can ask for. */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'raw';

/** File extension of each format. */
export const IMAGE_EXTENSIONS: Readonly<Record<ImageFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp', raw: 'npy' };

/** Formats encoded by our own code on any thread (the others go through sharp, whose libvips has its own threads). */
export const OWN_ENCODER_FORMATS: readonly ImageFormat[] = ['png', 'raw'];

/**
 * Encoder settings. PNG: Sub-filtered rows (png.ts) at zlib level 2. Measured on 60 renders at 224²:
 * 30.6 KiB and 1.24 ms of deflate, against 29.6 KiB and 1.95 ms for unfiltered rows at level 4 (the
 * setting before, about as small as libvips' level 4); level 1: 32.1 KiB, 0.96 ms; level 6: 25.6 KiB, 6.2 ms.
 */
export const ENCODE_DEFAULTS = { pngCompressionLevel: 2, quality: 90 };

/** Encode RGBA8 pixels (rows top-down) as `format`, dropping alpha. Deterministic for the same zlib and sharp versions. */
export async function encodeImage(rgba: Uint8Array, width: number, height: number, format: ImageFormat, quality = ENCODE_DEFAULTS.quality): Promise<Buffer> {
  if (format === 'png') return encodeRgbaAsRgbPng(rgba, width, height, ENCODE_DEFAULTS.pngCompressionLevel);
  if (format === 'raw') return encodeRgbaAsRgbNpy(rgba, width, height);
  const img = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } }).removeAlpha();
  if (format === 'jpeg') return img.jpeg({ quality, mozjpeg: false }).toBuffer();
  return img.webp({ quality }).toBuffer();
}

/**
 * encodeImage on the calling thread, for the formats of OWN_ENCODER_FORMATS (the writer threads); the same bytes.
 * @throws RangeError for a format sharp encodes.
 */
export function encodeImageSync(rgba: Uint8Array, width: number, height: number, format: ImageFormat): Buffer {
  if (format === 'png') return encodeRgbaAsRgbPngSync(rgba, width, height, ENCODE_DEFAULTS.pngCompressionLevel);
  if (format === 'raw') return encodeRgbaAsRgbNpy(rgba, width, height);
  throw new RangeError(`encodeImageSync: expected one of ${OWN_ENCODER_FORMATS.join(', ')}, got ${format} (sharp encodes it: use encodeImage)`);
}
