/**
 * Procedural textures as pure functions of (name, size, seed) returning RGBA pixels. Nothing here
 * touches three.js; materials.ts wraps the pixels in textures.
 */
import { rngFor } from '../core/random.js';

/** A procedural texture: a greyscale-or-colour pattern multiplied with the material colour. */
export interface TextureDef {
  name: string;
  doc: string;
  /** Pixel generator: returns RGB in [0,1] for texel (u, v) in [0,1)^2; `noise` is a seeded value noise. */
  pixel(u: number, v: number, noise: (x: number, y: number) => number): [number, number, number];
  /** Repeats across a unit of object size. */
  repeat: number;
}

/** Smooth value noise on a periodic lattice of `period` cells, seeded. */
export function valueNoise(seed: number, period: number): (x: number, y: number) => number {
  const rng = rngFor(seed, 0, 'texture-noise');
  const grid = new Float32Array(period * period).map(() => rng.next());
  const at = (i: number, j: number) => grid[(((j % period) + period) % period) * period + (((i % period) + period) % period)];
  const fade = (t: number) => t * t * (3 - 2 * t);
  return (x, y) => {
    const fx = x * period;
    const fy = y * period;
    const i = Math.floor(fx);
    const j = Math.floor(fy);
    const tx = fade(fx - i);
    const ty = fade(fy - j);
    const a = at(i, j) + (at(i + 1, j) - at(i, j)) * tx;
    const b = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * tx;
    return a + (b - a) * ty;
  };
}

/** Fractal noise: four octaves of value noise. */
function fbm(noise: (x: number, y: number) => number, x: number, y: number): number {
  let sum = 0;
  let amp = 0.5;
  let f = 1;
  for (let o = 0; o < 4; o++) {
    sum += amp * noise(x * f, y * f);
    amp *= 0.5;
    f *= 2;
  }
  return sum / 0.9375;
}

const grey = (g: number): [number, number, number] => [g, g, g];
const mixc = (a: readonly number[], b: readonly number[], t: number): [number, number, number] =>
  [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

/** Every procedural texture; `default` (the asset's own look) is not listed here. */
export const TEXTURES: readonly TextureDef[] = [
  { name: 'plain', doc: 'flat colour, no pattern', repeat: 1, pixel: () => [1, 1, 1] },
  { name: 'checker', doc: 'black-and-white checkerboard', repeat: 2, pixel: (u, v) => grey((Math.floor(u * 8) + Math.floor(v * 8)) % 2 ? 1 : 0.18) },
  { name: 'stripes', doc: 'diagonal stripes', repeat: 2, pixel: (u, v) => grey(Math.floor((u + v) * 8) % 2 ? 1 : 0.25) },
  { name: 'dots', doc: 'polka dots', repeat: 2, pixel: (u, v) => {
    const x = (u * 6) % 1 - 0.5;
    const y = (v * 6) % 1 - 0.5;
    return grey(x * x + y * y < 0.07 ? 0.15 : 1);
  } },
  { name: 'noise', doc: 'fractal value noise', repeat: 1, pixel: (u, v, n) => grey(0.35 + 0.65 * fbm(n, u, v)) },
  { name: 'wood', doc: 'wood grain rings', repeat: 1, pixel: (u, v, n) => {
    const r = Math.sin((u * 12 + fbm(n, u, v) * 6) * Math.PI) * 0.5 + 0.5;
    return mixc([0.55, 0.33, 0.16], [0.85, 0.62, 0.38], r ** 0.6);
  } },
  { name: 'marble', doc: 'veined marble', repeat: 1, pixel: (u, v, n) => {
    const t = Math.abs(Math.sin((u * 4 + v * 2 + fbm(n, u, v) * 5) * Math.PI));
    return grey(0.55 + 0.45 * t ** 0.3);
  } },
  { name: 'brick', doc: 'running-bond brick wall', repeat: 1, pixel: (u, v, n) => {
    const row = Math.floor(v * 8);
    const x = (u * 4 + (row % 2) * 0.5) % 1;
    const y = (v * 8) % 1;
    const mortar = x < 0.05 || y < 0.1;
    return mortar ? [0.8, 0.78, 0.74] : mixc([0.62, 0.22, 0.14], [0.75, 0.35, 0.22], n(u * 3, v * 3));
  } },
  { name: 'grass', doc: 'green grass', repeat: 1, pixel: (u, v, n) => mixc([0.16, 0.36, 0.08], [0.45, 0.7, 0.2], fbm(n, u * 4, v * 4)) },
  { name: 'asphalt', doc: 'grey asphalt grit', repeat: 1, pixel: (u, v, n) => grey(0.18 + 0.22 * fbm(n, u * 8, v * 8)) },
  { name: 'fabric', doc: 'woven fabric', repeat: 2, pixel: (u, v) => {
    const a = Math.sin(u * 64 * Math.PI) * Math.sin(v * 64 * Math.PI);
    return grey(0.7 + 0.3 * a);
  } },
  { name: 'camouflage', doc: 'woodland camouflage', repeat: 1, pixel: (u, v, n) => {
    const a = fbm(n, u * 2, v * 2);
    const b = fbm(n, u * 2 + 0.37, v * 2 + 0.71);
    if (a > 0.58) return [0.12, 0.12, 0.08];
    if (b > 0.55) return [0.45, 0.36, 0.2];
    return a > 0.45 ? [0.2, 0.32, 0.13] : [0.42, 0.48, 0.28];
  } },
  { name: 'metal', doc: 'brushed metal', repeat: 1, pixel: (u, v, n) => grey(0.6 + 0.35 * n(u * 2, v * 64)) },
];

/** Texture names accepted by the `texture` factor. */
export const TEXTURE_NAMES: readonly string[] = ['default', ...TEXTURES.map((t) => t.name)];

/** RGBA pixels (sRGB, 8 bits) of texture `name` at `size`², seeded (same inputs, same bytes). */
export function texturePixels(name: string, size = 128, seed = 1): Uint8Array {
  const def = TEXTURES.find((t) => t.name === name);
  if (!def) throw new RangeError(`texture: expected one of ${TEXTURE_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  const noise = valueNoise(seed, 8);
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = def.pixel(x / size, y / size, noise);
      const o = (y * size + x) * 4;
      out[o] = Math.round(Math.min(1, Math.max(0, c[0])) * 255);
      out[o + 1] = Math.round(Math.min(1, Math.max(0, c[1])) * 255);
      out[o + 2] = Math.round(Math.min(1, Math.max(0, c[2])) * 255);
      out[o + 3] = 255;
    }
  }
  return out;
}
