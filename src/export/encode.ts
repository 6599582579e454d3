/** Image encoding: RGBA frames to PNG (our own encoder, png.ts), JPEG or WebP (sharp, libvips). */
import sharp from 'sharp';
import { encodeRgbaAsRgbPng } from './png.js';

/** Image file formats a spec can ask for. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** File extension of each format. */
export const IMAGE_EXTENSIONS: Readonly<Record<ImageFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/**
 * Encoder settings. PNG: Sub-filtered rows (png.ts) at zlib level 2. Measured on 60 renders at 224²:
 * 30.6 KiB and 1.24 ms of deflate, against 29.6 KiB and 1.95 ms for unfiltered rows at level 4 (the
 * setting before, about as small as libvips' level 4); level 1: 32.1 KiB, 0.96 ms; level 6: 25.6 KiB, 6.2 ms.
 */
export const ENCODE_DEFAULTS = { pngCompressionLevel: 2, quality: 90 };

/** Encode RGBA8 pixels (rows top-down) as `format`, dropping alpha. Deterministic for the same zlib and sharp versions. */
export async function encodeImage(rgba: Uint8Array, width: number, height: number, format: ImageFormat, quality = ENCODE_DEFAULTS.quality): Promise<Buffer> {
  if (format === 'png') return encodeRgbaAsRgbPng(rgba, width, height, ENCODE_DEFAULTS.pngCompressionLevel);
  const img = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } }).removeAlpha();
  if (format === 'jpeg') return img.jpeg({ quality, mozjpeg: false }).toBuffer();
  return img.webp({ quality }).toBuffer();
}
