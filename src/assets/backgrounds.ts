/**
 * Background images from files: a spec's `backgrounds` (PNG, JPEG or WebP paths relative to the spec
 * file) are decoded with sharp, shrunk to at most MAX_BACKGROUND_SIDE pixels a side and registered as
 * the environments `image:<file name without extension>`. The spec module stays free of I/O; the CLI
 * calls loadBackgroundImages after loadSpec.
 */
import { resolve } from 'node:path';
import { access } from 'node:fs/promises';
import sharp, { type OutputInfo } from 'sharp';
import { inputError } from '../core/errors.js';
import { backgroundEnvironmentName } from '../spec/catalog.js';
import { registerBackgroundImage, IMAGE_ENVIRONMENT_PREFIX } from './environments.js';

/** Longest side a background image is kept at (larger ones are shrunk; the renders are small). */
export const MAX_BACKGROUND_SIDE = 1024;

/** A decoded, registered background image. */
export interface LoadedBackground {
  /** Environment name: `image:<name>`. */
  environment: string;
  /** The file read (absolute). */
  file: string;
  width: number;
  height: number;
  /** RGBA8 pixels, rows top-down, sRGB, opaque. */
  rgba: Uint8Array;
}

/**
 * Decode the images at `paths` (relative to `baseDir`) and register each as environment
 * `image:<file name without extension>`.
 * @throws InputError naming `backgrounds[i]` and the file when one is missing or not a decodable image.
 */
export async function loadBackgroundImages(paths: readonly string[], baseDir: string): Promise<LoadedBackground[]> {
  const out: LoadedBackground[] = [];
  for (const [i, path] of paths.entries()) {
    const file = resolve(baseDir, path);
    const expected = 'a readable PNG, JPEG or WebP image';
    try {
      await access(file);
    } catch (err) {
      throw inputError(`backgrounds[${i}]`, expected, path, `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    let decoded: { data: Buffer; info: OutputInfo };
    try {
      decoded = await sharp(file)
        .rotate() // EXIF orientation
        .resize({ width: MAX_BACKGROUND_SIDE, height: MAX_BACKGROUND_SIDE, fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#808080' })
        .toColourspace('srgb')
        .ensureAlpha(1)
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw inputError(`backgrounds[${i}]`, expected, path, `${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    const { data, info } = decoded;
    if (info.channels !== 4) throw inputError(`backgrounds[${i}]`, 'an RGB or greyscale image', path, `${file}: ${info.channels} channels`);
    const rgba = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const environment = backgroundEnvironmentName(path);
    registerBackgroundImage(environment.slice(IMAGE_ENVIRONMENT_PREFIX.length), rgba, info.width, info.height);
    out.push({ environment, file, width: info.width, height: info.height, rgba });
  }
  return out;
}
