/** Image encoding: RGBA frames to PNG (our own encoder, png.ts), JPEG or WebP (sharp, libvips). */
import sharp from 'sharp';
import { encodeRgbaAsRgbPng } from './png.js';

/** Image file formats a spec can ask for. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** File extension of each format. */
export const IMAGE_EXTENSIONS: Readonly<Record<ImageFormat, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/**
 * Encoder settings. PNG: zlib level 4, unfiltered rows: as small as libvips' level 4 on renders
 * (~28 KB at 224²) at about two thirds of its CPU. Measured on 60 renders at 224²: Sub-filtered rows
 * save 7% of the bytes for 1.3x the deflate time, level 6 with them 12% for 3.7x.
 */
export const ENCODE_DEFAULTS = { pngCompressionLevel: 2, quality: 90 };

/** Encode RGBA8 pixels (rows top-down) as `format`, dropping alpha. Deterministic for the same zlib and sharp versions. */
export async function encodeImage(rgba: Uint8Array, width: number, height: number, format: ImageFormat, quality = ENCODE_DEFAULTS.quality): Promise<Buffer> {
  if (format === 'png') return encodeRgbaAsRgbPng(rgba, width, height, ENCODE_DEFAULTS.pngCompressionLevel);
  const img = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } }).removeAlpha();
  if (format === 'jpeg') return img.jpeg({ quality, mozjpeg: false }).toBuffer();
  return img.webp({ quality }).toBuffer();
}
