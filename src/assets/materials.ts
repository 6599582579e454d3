/**
 * Materials and textures as three.js objects, cached so thousands of renders reuse a handful of
 * GPU textures and shader programs.
 */
import * as THREE from 'three';
import { texturePixels, TEXTURES } from './textures.js';
import { parseColor } from '../core/color.js';

const textureCache = new Map<string, THREE.DataTexture>();

/** The shared GPU texture of procedural texture `name` (sRGB, repeating, mipmapped). */
export function proceduralTexture(name: string): THREE.DataTexture {
  let tex = textureCache.get(name);
  if (!tex) {
    const size = 256;
    tex = new THREE.DataTexture(texturePixels(name, size), size, size, THREE.RGBAFormat);
    tex.colorSpace = THREE.SRGBColorSpace;
    tex.wrapS = tex.wrapT = THREE.RepeatWrapping;
    tex.magFilter = THREE.LinearFilter;
    tex.minFilter = THREE.LinearMipmapLinearFilter;
    tex.generateMipmaps = true;
    tex.needsUpdate = true;
    textureCache.set(name, tex);
  }
  return tex;
}

/** A texture with its own repeat (clones share the image and GPU upload of the cached one). */
export function repeatedTexture(name: string, repeat: number): THREE.Texture {
  const key = `${name}@${repeat}`;
  let tex = textureCache.get(key);
  if (!tex) {
    const base = proceduralTexture(name);
    tex = base.clone();
    tex.repeat.set(repeat, repeat);
    tex.needsUpdate = true;
    textureCache.set(key, tex);
  }
  return tex;
}

/** Surface description of a part of an asset. */
export interface SurfaceSpec {
  color: string;
  roughness?: number;
  metalness?: number;
  texture?: string;
  repeat?: number;
}

/** sRGB hex or colour name to a THREE.Color (linear working space). */
export function toColor(value: string): THREE.Color {
  const rgb = parseColor(value);
  if (!rgb) throw new RangeError(`color: expected a colour name or #rrggbb, got ${JSON.stringify(value)}`);
  return new THREE.Color().setRGB(rgb[0], rgb[1], rgb[2], THREE.SRGBColorSpace);
}

/** A new standard material for a surface. Callers own it (dispose after the render). */
export function makeMaterial(s: SurfaceSpec): THREE.MeshStandardMaterial {
  const m = new THREE.MeshStandardMaterial({
    color: toColor(s.color),
    roughness: s.roughness ?? 0.6,
    metalness: s.metalness ?? 0,
  });
  if (s.texture && s.texture !== 'default' && TEXTURES.some((t) => t.name === s.texture)) {
    m.map = repeatedTexture(s.texture, s.repeat ?? TEXTURES.find((t) => t.name === s.texture)!.repeat);
  }
  return m;
}

const sharedMaterials = new Map<string, THREE.MeshStandardMaterial>();

/**
 * A cached material for a surface, shared by every object that asks for the same surface: reusing
 * material instances lets the renderer reuse their compiled programs and bindings. Do not mutate it.
 */
export function sharedMaterial(s: SurfaceSpec): THREE.MeshStandardMaterial {
  const key = `${s.color}|${s.roughness ?? ''}|${s.metalness ?? ''}|${s.texture ?? ''}|${s.repeat ?? ''}`;
  let m = sharedMaterials.get(key);
  if (!m) {
    m = makeMaterial(s);
    sharedMaterials.set(key, m);
  }
  return m;
}
