/**
 * glTF out: convert the three.js object an AssetClass builds into a glTF 2.0 binary (.glb) with
 * @gltf-transform/core, and write every variant of every class to `<dir>/<class>/<variant>.glb`.
 *
 * The three.js node hierarchy is kept as glTF nodes (TRS from each Object3D's local matrix); each
 * distinct (geometry, material) pair becomes one glTF mesh whose primitives carry POSITION, NORMAL
 * (renormalised), TEXCOORD_0/1, COLOR_0 and indices. MeshStandardMaterial maps to a
 * metallic-roughness material: baseColorFactor is the material colour in linear sRGB (three.js's
 * working space), roughness and metalness factors, emissive, double-sidedness, alpha mode, and a
 * baseColorTexture (PNG, encoded with sharp) when the material has a DataTexture `map` with RGBA8
 * pixels. The map's uv transform (repeat, offset, rotation) is baked into the texture coordinates,
 * so no KHR_texture_transform is needed. Other texture kinds are left out. The class's main
 * material is marked with extras `{"synth": {"main": true}}`, which the importer honours.
 */
import * as THREE from 'three';
import sharp from 'sharp';
import { join } from 'node:path';
import { Document, NodeIO, TextureInfo, type GLTF, type Material as GltfMaterial, type Mesh as GltfMesh, type Node as GltfNode, type Texture as GltfTexture, type Buffer as GltfBuffer } from '@gltf-transform/core';
import type { AssetClass } from './kit.js';
import { buildClassObject } from './library.js';
import type { ObjectDescription } from '../spec/sample.js';
import { writeFileAtomic } from '../core/fs.js';
import { SYNTH_VERSION } from '../core/version.js';

/** The mid-point of each shape-parameter range of `cls`. */
export function midParams(cls: AssetClass): Record<string, number> {
  return Object.fromEntries(Object.entries(cls.params).map(([k, [lo, hi]]) => [k, (lo + hi) / 2]));
}

/** The description of variant `variant` of `cls` in its canonical frame, no factor overrides. */
export function canonicalDescription(cls: AssetClass, variant: number, params = midParams(cls)): ObjectDescription {
  return {
    class: cls.name, classIndex: 0, asset: variant, assetName: cls.variants[variant], params,
    position: [0, 0, 0], yaw: 0, pitch: 0, roll: 0, scale: 1,
    texture: 'default', color: 'default', roughness: null, metalness: null,
  };
}

const WRAP: Record<number, GLTF.TextureWrapMode> = {
  [THREE.RepeatWrapping]: TextureInfo.WrapMode.REPEAT,
  [THREE.ClampToEdgeWrapping]: TextureInfo.WrapMode.CLAMP_TO_EDGE,
  [THREE.MirroredRepeatWrapping]: TextureInfo.WrapMode.MIRRORED_REPEAT,
};
const MAG: Record<number, GLTF.TextureMagFilter> = {
  [THREE.NearestFilter]: TextureInfo.MagFilter.NEAREST,
  [THREE.LinearFilter]: TextureInfo.MagFilter.LINEAR,
};
const MIN: Record<number, GLTF.TextureMinFilter> = {
  [THREE.NearestFilter]: TextureInfo.MinFilter.NEAREST,
  [THREE.LinearFilter]: TextureInfo.MinFilter.LINEAR,
  [THREE.NearestMipmapNearestFilter]: TextureInfo.MinFilter.NEAREST_MIPMAP_NEAREST,
  [THREE.LinearMipmapNearestFilter]: TextureInfo.MinFilter.LINEAR_MIPMAP_NEAREST,
  [THREE.NearestMipmapLinearFilter]: TextureInfo.MinFilter.NEAREST_MIPMAP_LINEAR,
  [THREE.LinearMipmapLinearFilter]: TextureInfo.MinFilter.LINEAR_MIPMAP_LINEAR,
};

/** RGBA8 pixels of a DataTexture, or null when the texture is of another kind. */
function rgbaPixels(tex: THREE.Texture): { data: Uint8Array; width: number; height: number } | null {
  const img = tex.image as { data?: unknown; width?: number; height?: number } | null;
  if (!img || !img.width || !img.height || tex.format !== THREE.RGBAFormat) return null;
  const data = img.data;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) return null;
  if (data.length !== img.width * img.height * 4) return null;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: img.width, height: img.height };
}

/** Copy a (possibly interleaved) attribute into a plain Float32Array of `itemSize` components. */
function floats(attr: THREE.BufferAttribute | THREE.InterleavedBufferAttribute, itemSize = attr.itemSize): Float32Array {
  const out = new Float32Array(attr.count * itemSize);
  for (let i = 0; i < attr.count; i++) {
    for (let c = 0; c < itemSize; c++) out[i * itemSize + c] = c < attr.itemSize ? attr.getComponent(i, c) : 1;
  }
  return out;
}

/** Everything that one conversion shares: the document, its buffer and the converted resources. */
class Converter {
  readonly doc = new Document();
  readonly buffer: GltfBuffer;
  private readonly meshes = new Map<string, GltfMesh>();
  private readonly materials = new Map<string, GltfMaterial>();
  private readonly textures = new Map<Uint8Array, GltfTexture>();
  /** PNG encodings still running (the texture's image is set when each settles). */
  readonly pending: Promise<void>[] = [];

  constructor() {
    this.buffer = this.doc.createBuffer();
  }

  node(obj: THREE.Object3D): GltfNode {
    const node = this.doc.createNode(obj.name || undefined);
    if (obj.matrixAutoUpdate) obj.updateMatrix();
    const t = new THREE.Vector3();
    const q = new THREE.Quaternion();
    const s = new THREE.Vector3();
    obj.matrix.decompose(t, q, s);
    q.normalize();
    if (t.lengthSq() > 0) node.setTranslation([t.x, t.y, t.z]);
    if (q.x !== 0 || q.y !== 0 || q.z !== 0 || q.w !== 1) node.setRotation([q.x, q.y, q.z, q.w]);
    if (s.x !== 1 || s.y !== 1 || s.z !== 1) node.setScale([s.x, s.y, s.z]);
    const mesh = obj as THREE.Mesh;
    if (mesh.isMesh && mesh.geometry?.getAttribute('position')) {
      const m = this.mesh(mesh);
      if (m) node.setMesh(m);
    }
    for (const child of obj.children) if (child.visible) node.addChild(this.node(child));
    return node;
  }

  private mesh(obj: THREE.Mesh): GltfMesh | null {
    const geometry = obj.geometry;
    const mats = Array.isArray(obj.material) ? obj.material : [obj.material];
    const key = `${geometry.uuid}|${mats.map((m) => m.uuid).join(',')}`;
    const cached = this.meshes.get(key);
    if (cached) return cached;
    const ranges = Array.isArray(obj.material)
      ? geometry.groups.map((g) => ({ start: g.start, count: g.count, material: mats[g.materialIndex ?? 0] }))
      : [{ start: 0, count: Infinity, material: mats[0] }];
    const mesh = this.doc.createMesh(obj.name || undefined);
    for (const r of ranges) {
      if (!r.material) continue;
      const prim = this.primitive(geometry, r.start, r.count, r.material);
      if (prim) mesh.addPrimitive(prim);
    }
    if (mesh.listPrimitives().length === 0) {
      mesh.dispose();
      return null;
    }
    this.meshes.set(key, mesh);
    return mesh;
  }

  private accessor(type: 'SCALAR' | 'VEC2' | 'VEC3' | 'VEC4', array: Float32Array | Uint16Array | Uint32Array) {
    return this.doc.createAccessor().setType(type).setArray(array).setBuffer(this.buffer);
  }

  private primitive(geometry: THREE.BufferGeometry, start: number, count: number, material: THREE.Material) {
    const position = geometry.getAttribute('position');
    const vertexCount = position.count;
    // The triangle list of this range, as vertex indices.
    let indices: Uint32Array;
    const index = geometry.getIndex();
    if (index) {
      const end = Math.min(index.count, start + count);
      indices = new Uint32Array(Math.max(0, end - start));
      for (let i = start; i < end; i++) indices[i - start] = index.getX(i);
    } else {
      const end = Math.min(vertexCount, start + count);
      indices = new Uint32Array(Math.max(0, end - start));
      for (let i = start; i < end; i++) indices[i - start] = i;
    }
    indices = indices.subarray(0, indices.length - (indices.length % 3));
    if (indices.length === 0) return null;
    const prim = this.doc.createPrimitive().setMode(4);
    prim.setAttribute('POSITION', this.accessor('VEC3', floats(position, 3)));
    const normal = geometry.getAttribute('normal');
    if (normal) {
      const n = floats(normal, 3);
      for (let i = 0; i < n.length; i += 3) {
        const len = Math.hypot(n[i], n[i + 1], n[i + 2]);
        if (len > 1e-12 && Number.isFinite(len)) {
          n[i] /= len; n[i + 1] /= len; n[i + 2] /= len;
        } else {
          n[i] = 0; n[i + 1] = 1; n[i + 2] = 0;
        }
      }
      prim.setAttribute('NORMAL', this.accessor('VEC3', n));
    }
    const map = (material as THREE.MeshStandardMaterial).map ?? null;
    const pixels = map ? rgbaPixels(map) : null;
    for (const [name, semantic] of [['uv', 'TEXCOORD_0'], ['uv1', 'TEXCOORD_1']] as const) {
      const attr = geometry.getAttribute(name);
      if (!attr) continue;
      const uv = floats(attr, 2);
      // Bake the map's uv transform into the coordinates of the channel it reads.
      if (map && pixels && map.channel === (name === 'uv' ? 0 : 1)) {
        if (map.matrixAutoUpdate) map.updateMatrix();
        if (!map.matrix.equals(new THREE.Matrix3())) {
          const v = new THREE.Vector2();
          for (let i = 0; i < uv.length; i += 2) {
            v.set(uv[i], uv[i + 1]).applyMatrix3(map.matrix);
            uv[i] = v.x; uv[i + 1] = v.y;
          }
        }
      }
      prim.setAttribute(semantic, this.accessor('VEC2', uv));
    }
    const color = geometry.getAttribute('color');
    if (color && (material as THREE.MeshStandardMaterial).vertexColors) {
      prim.setAttribute('COLOR_0', this.accessor(color.itemSize === 4 ? 'VEC4' : 'VEC3', floats(color, color.itemSize === 4 ? 4 : 3)));
    }
    let max = 0;
    for (const i of indices) if (i > max) max = i;
    if (max >= vertexCount) return null;
    prim.setIndices(this.accessor('SCALAR', max < 65535 ? Uint16Array.from(indices) : indices));
    prim.setMaterial(this.material(material, pixels ? map : null));
    return prim;
  }

  private material(material: THREE.Material, map: THREE.Texture | null): GltfMaterial {
    const std = material as THREE.MeshStandardMaterial;
    // Materials are snapshotted: the library's pooled main material changes between builds.
    const color = std.color instanceof THREE.Color ? std.color : new THREE.Color(1, 1, 1);
    const roughness = typeof std.roughness === 'number' ? std.roughness : 1;
    const metalness = typeof std.metalness === 'number' ? std.metalness : 0;
    const emissive = std.emissive instanceof THREE.Color ? std.emissive.clone().multiplyScalar(std.emissiveIntensity ?? 1) : new THREE.Color(0, 0, 0);
    const clamp = (x: number) => Math.min(1, Math.max(0, x));
    const factor: [number, number, number, number] = [clamp(color.r), clamp(color.g), clamp(color.b), material.transparent ? clamp(material.opacity) : 1];
    const key = JSON.stringify([material.uuid, factor, roughness, metalness, emissive.toArray(), map?.uuid ?? null, material.side, material.transparent, material.alphaTest]);
    const cached = this.materials.get(key);
    if (cached) return cached;
    const m = this.doc.createMaterial(material.name || undefined)
      .setBaseColorFactor(factor)
      .setRoughnessFactor(clamp(roughness))
      .setMetallicFactor(clamp(metalness))
      .setDoubleSided(material.side === THREE.DoubleSide);
    // The library's main material (the one the factors override) carries the texture factor.
    if (typeof material.userData?.textureFactor === 'string') m.setExtras({ synth: { main: true } });
    if (emissive.r > 0 || emissive.g > 0 || emissive.b > 0) m.setEmissiveFactor([clamp(emissive.r), clamp(emissive.g), clamp(emissive.b)]);
    if (material.transparent) m.setAlphaMode('BLEND');
    else if (material.alphaTest > 0) m.setAlphaMode('MASK').setAlphaCutoff(material.alphaTest);
    if (map) {
      const tex = this.texture(map);
      if (tex) {
        m.setBaseColorTexture(tex);
        const info = m.getBaseColorTextureInfo()!;
        info.setTexCoord(map.channel === 1 ? 1 : 0);
        info.setWrapS(WRAP[map.wrapS] ?? TextureInfo.WrapMode.REPEAT);
        info.setWrapT(WRAP[map.wrapT] ?? TextureInfo.WrapMode.REPEAT);
        info.setMagFilter(MAG[map.magFilter] ?? TextureInfo.MagFilter.LINEAR);
        info.setMinFilter(MIN[map.minFilter] ?? TextureInfo.MinFilter.LINEAR_MIPMAP_LINEAR);
      }
    }
    this.materials.set(key, m);
    return m;
  }

  private texture(map: THREE.Texture): GltfTexture | null {
    const px = rgbaPixels(map);
    if (!px) return null;
    let tex = this.textures.get(px.data);
    if (!tex) {
      const t = this.doc.createTexture(map.name || undefined).setMimeType('image/png');
      tex = t;
      this.textures.set(px.data, t);
      this.pending.push(
        sharp(Buffer.from(px.data.buffer, px.data.byteOffset, px.data.length), { raw: { width: px.width, height: px.height, channels: 4 } })
          .png()
          .toBuffer()
          .then((png) => { t.setImage(new Uint8Array(png.buffer, png.byteOffset, png.length)); }),
      );
    }
    return tex;
  }
}

/**
 * A glTF document of `root` (its local transform included). `extras` go on the root node.
 * Reads materials synchronously, so a caller may rebuild (and so change pooled materials) once
 * this resolves.
 */
export async function objectToDocument(root: THREE.Object3D, name: string, extras: Record<string, unknown> = {}): Promise<Document> {
  const conv = new Converter();
  const { doc } = conv;
  doc.getRoot().getAsset().generator = `synth-data-service ${SYNTH_VERSION} (glTF-Transform)`;
  const scene = doc.createScene(name);
  root.updateMatrixWorld(true);
  const node = conv.node(root);
  node.setName(name).setExtras(extras);
  scene.addChild(node);
  doc.getRoot().setDefaultScene(scene);
  await Promise.all(conv.pending);
  return doc;
}

/** The .glb bytes of variant `variant` of `cls`, mid-range shape parameters, canonical frame. */
export async function assetToGlb(cls: AssetClass, variant: number): Promise<Uint8Array> {
  const params = midParams(cls);
  const built = buildClassObject(cls, canonicalDescription(cls, variant, params), 0, null);
  try {
    const doc = await objectToDocument(built.object, `${cls.name}/${cls.variants[variant]}`, {
      synth: { class: cls.name, family: cls.family, variant: cls.variants[variant], params },
    });
    return await new NodeIO().writeBinary(doc);
  } finally {
    built.dispose();
  }
}

/** A file name safe on every platform for a class or variant name. */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return s || '_';
}

/** One exported file. */
export interface ExportedAsset {
  class: string;
  variant: string;
  path: string;
  bytes: number;
}

/** Options of exportAssets. */
export interface ExportAssetsOptions {
  /** Classes to export, each with the variants to write (all when omitted). */
  classes: readonly AssetClass[];
  /** Variant names to write; classes without any of them write nothing. Default: every variant. */
  variants?: readonly string[];
  onFile?(file: ExportedAsset): void;
}

/** Write `<out>/<class>/<variant>.glb` for each selected class and variant, atomically. */
export async function exportAssets(out: string, options: ExportAssetsOptions): Promise<ExportedAsset[]> {
  const files: ExportedAsset[] = [];
  for (const cls of options.classes) {
    for (const [v, variant] of cls.variants.entries()) {
      if (options.variants && !options.variants.includes(variant)) continue;
      const bytes = await assetToGlb(cls, v);
      const path = join(out, safeFileName(cls.name), `${safeFileName(variant)}.glb`);
      await writeFileAtomic(path, bytes);
      const file = { class: cls.name, variant, path, bytes: bytes.length };
      files.push(file);
      options.onFile?.(file);
    }
  }
  return files;
}
