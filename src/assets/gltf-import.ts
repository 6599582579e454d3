/**
 * glTF in: user asset classes from a folder of `<class>/<asset>.glb|.gltf` files.
 *
 * Each file is read once with @gltf-transform/core (NodeIO; a .gltf's external buffers and images
 * resolve relative to the file) and turned into three.js geometry and materials, then cached:
 * - the default scene (or the first) is walked and every triangle primitive (TRIANGLES, strips
 *   and fans) is baked into its node's world transform (winding fixed for mirrored nodes, flat
 *   normals computed when NORMAL is missing); primitives sharing a material are merged;
 * - materials keep base colour factor (linear) and base colour texture (decoded with sharp to an
 *   RGBA8 sRGB DataTexture, at most MAX_TEXTURE_SIZE per side, sampler wrap and filters and
 *   KHR_texture_transform applied), roughness and metalness factors, emissive factor,
 *   double-sidedness, alpha mode and vertex colours (COLOR_0). Metallic-roughness, normal,
 *   occlusion and emissive textures, skins, morph targets and animations are ignored.
 *
 * The main material (the one the `texture`, `color`, `roughness` and `metalness` factors act on)
 * is the glTF material marked with extras `{"synth": {"main": true}}` (as `synth assets export`
 * writes them), else the one covering the largest world-space surface area in the asset. Its colour,
 * roughness and metalness are the class's surface for that variant; `color` replaces the base
 * colour factor (an own texture stays, tinted by it); a named `texture` replaces the asset's own
 * texture, and `plain` removes it; `default` keeps the asset's own look. Every other material is
 * left alone.
 *
 * A file that cannot be read or holds nothing renderable is an InputError naming the file;
 * loadAssetFolder() skips such files with a warning and fails only when no asset loads at all.
 */
import * as THREE from 'three';
import { mergeGeometries } from 'three/examples/jsm/utils/BufferGeometryUtils.js';
import sharp from 'sharp';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { NodeIO, Logger, TextureInfo, type Accessor, type Material as GltfMaterial, type Mesh as GltfMesh, type Texture as GltfTexture, type Primitive } from '@gltf-transform/core';
import { ALL_EXTENSIONS, type Transform } from '@gltf-transform/extensions';
import { InputError } from '../core/errors.js';
import type { AssetClass } from './kit.js';
import type { SurfaceSpec } from './materials.js';

/** File name extensions read as glTF assets. */
export const GLTF_EXTENSIONS = ['.glb', '.gltf'] as const;

/** Longest side of a decoded texture; larger images are scaled down (renders are small). */
export const MAX_TEXTURE_SIZE = 1024;

/** Family of user classes in the catalog. */
export const USER_FAMILY = 'user';

/** One mesh part of a loaded asset: geometry in the asset's frame and its material. */
export interface GltfPart {
  geometry: THREE.BufferGeometry;
  /** The converted glTF material (for the main material: the template the factors override). */
  material: THREE.MeshStandardMaterial;
  /** Whether this part carries the main material. */
  main: boolean;
}

/** A glTF file converted to three.js, ready to be cloned into objects. */
export interface GltfAsset {
  /** The file it came from (absolute). */
  file: string;
  /** Variant name: the file name without its extension. */
  name: string;
  parts: GltfPart[];
  /** The main surface (colour as sRGB hex, roughness, metalness) before factor overrides. */
  surface: SurfaceSpec;
  /** Triangles in all parts. */
  triangles: number;
}

/** An InputError about one asset file. */
export function assetFileError(file: string, problem: string): InputError {
  return new InputError([{
    path: file, expected: 'a glTF 2.0 asset (.glb or .gltf) with triangle meshes', received: problem, message: `${file}: ${problem}`,
  }]);
}

let io: NodeIO | null = null;
function gltfIO(): NodeIO {
  if (!io) io = new NodeIO().setLogger(new Logger(Logger.Verbosity.ERROR)).registerExtensions(ALL_EXTENSIONS);
  return io;
}

const WRAP: Record<number, THREE.Wrapping> = {
  [TextureInfo.WrapMode.REPEAT]: THREE.RepeatWrapping,
  [TextureInfo.WrapMode.CLAMP_TO_EDGE]: THREE.ClampToEdgeWrapping,
  [TextureInfo.WrapMode.MIRRORED_REPEAT]: THREE.MirroredRepeatWrapping,
};
const MAG: Record<number, THREE.MagnificationTextureFilter> = {
  [TextureInfo.MagFilter.NEAREST]: THREE.NearestFilter,
  [TextureInfo.MagFilter.LINEAR]: THREE.LinearFilter,
};
const MIN: Record<number, THREE.MinificationTextureFilter> = {
  [TextureInfo.MinFilter.NEAREST]: THREE.NearestFilter,
  [TextureInfo.MinFilter.LINEAR]: THREE.LinearFilter,
  [TextureInfo.MinFilter.NEAREST_MIPMAP_NEAREST]: THREE.NearestMipmapNearestFilter,
  [TextureInfo.MinFilter.LINEAR_MIPMAP_NEAREST]: THREE.LinearMipmapNearestFilter,
  [TextureInfo.MinFilter.NEAREST_MIPMAP_LINEAR]: THREE.NearestMipmapLinearFilter,
  [TextureInfo.MinFilter.LINEAR_MIPMAP_LINEAR]: THREE.LinearMipmapLinearFilter,
};

/** Accessor values as a Float32Array of `size` components per element (normalised ints decoded). */
function floatsOf(acc: Accessor, size: number, fill = 0): Float32Array {
  const count = acc.getCount();
  const el = acc.getElementSize();
  const src = acc.getArray();
  if (src instanceof Float32Array && el === size && !acc.getNormalized()) return src.slice(0, count * size);
  const out = new Float32Array(count * size);
  const tmp: number[] = [];
  for (let i = 0; i < count; i++) {
    acc.getElement(i, tmp);
    for (let c = 0; c < size; c++) out[i * size + c] = c < el ? tmp[c] : fill;
  }
  return out;
}

/** Triangle-list indices of a primitive (strips and fans converted), or null for points and lines. */
function triangleIndices(prim: Primitive, vertexCount: number): Uint32Array | null {
  const mode = prim.getMode();
  const acc = prim.getIndices();
  const raw = acc ? Uint32Array.from(acc.getArray() ?? []) : Uint32Array.from({ length: vertexCount }, (_, i) => i);
  for (const i of raw) if (i >= vertexCount) throw new Error(`vertex index ${i} out of range (${vertexCount} vertices)`);
  if (mode === 4) return raw.subarray(0, raw.length - (raw.length % 3));
  if (mode === 5 || mode === 6) {
    const out: number[] = [];
    for (let i = 0; i + 2 < raw.length; i++) {
      if (mode === 6) out.push(raw[0], raw[i + 1], raw[i + 2]);
      else if (i % 2 === 0) out.push(raw[i], raw[i + 1], raw[i + 2]);
      else out.push(raw[i], raw[i + 2], raw[i + 1]);
    }
    return Uint32Array.from(out);
  }
  return null;
}

/** Total area of the triangles of an indexed geometry. */
function surfaceArea(g: THREE.BufferGeometry): number {
  const pos = g.getAttribute('position');
  const idx = g.getIndex()!;
  const a = new THREE.Vector3();
  const b = new THREE.Vector3();
  const c = new THREE.Vector3();
  let area = 0;
  for (let i = 0; i + 2 < idx.count; i += 3) {
    a.fromBufferAttribute(pos, idx.getX(i));
    b.fromBufferAttribute(pos, idx.getX(i + 1)).sub(a);
    c.fromBufferAttribute(pos, idx.getX(i + 2)).sub(a);
    area += b.cross(c).length() / 2;
  }
  return area;
}

interface Decoded {
  data: Uint8Array;
  width: number;
  height: number;
}

/** The converter of one file: decodes each image once, converts each material once. */
class Importer {
  private readonly images = new Map<GltfTexture, Promise<Decoded>>();
  private readonly materials = new Map<string, Promise<THREE.MeshStandardMaterial>>();

  private decode(tex: GltfTexture): Promise<Decoded> {
    let p = this.images.get(tex);
    if (!p) {
      p = (async () => {
        const bytes = tex.getImage();
        const label = `texture ${JSON.stringify(tex.getName() || tex.getURI() || '(embedded)')}`;
        if (!bytes || bytes.length === 0) throw new Error(`${label} has no image data`);
        try {
          const { data, info } = await sharp(bytes)
            .resize({ width: MAX_TEXTURE_SIZE, height: MAX_TEXTURE_SIZE, fit: 'inside', withoutEnlargement: true })
            .toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' })
            .toBuffer({ resolveWithObject: true });
          if (info.channels !== 4) throw new Error(`${info.channels} channels`);
          return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
        } catch (err) {
          throw new Error(`${label} (${tex.getMimeType() || 'unknown type'}) cannot be decoded: ${(err as Error).message}`, { cause: err });
        }
      })();
      this.images.set(tex, p);
    }
    return p;
  }

  private async baseColorMap(mat: GltfMaterial): Promise<THREE.DataTexture | null> {
    const tex = mat.getBaseColorTexture();
    const info = mat.getBaseColorTextureInfo();
    if (!tex || !info) return null;
    const img = await this.decode(tex);
    const t = new THREE.DataTexture(img.data, img.width, img.height, THREE.RGBAFormat);
    t.name = tex.getName();
    t.colorSpace = THREE.SRGBColorSpace;
    t.flipY = false;
    t.wrapS = WRAP[info.getWrapS()] ?? THREE.RepeatWrapping;
    t.wrapT = WRAP[info.getWrapT()] ?? THREE.RepeatWrapping;
    t.magFilter = MAG[info.getMagFilter() ?? -1] ?? THREE.LinearFilter;
    t.minFilter = MIN[info.getMinFilter() ?? -1] ?? THREE.LinearMipmapLinearFilter;
    t.generateMipmaps = t.minFilter !== THREE.NearestFilter && t.minFilter !== THREE.LinearFilter;
    t.channel = info.getTexCoord();
    const tr = info.getExtension<Transform>('KHR_texture_transform');
    if (tr) {
      // As three.js's GLTFLoader does it.
      t.offset.fromArray(tr.getOffset());
      t.rotation = tr.getRotation();
      t.repeat.fromArray(tr.getScale());
      const tc = tr.getTexCoord();
      if (tc !== null) t.channel = tc;
    }
    t.needsUpdate = true;
    return t;
  }

  /** The three.js material of a glTF material (null: the glTF default material). */
  material(mat: GltfMaterial | null, vertexColors: boolean): Promise<THREE.MeshStandardMaterial> {
    let p = this.materials.get(this.keyOf(mat, vertexColors));
    if (!p) {
      p = (async () => {
        if (!mat) {
          // glTF's default material: white, fully metallic, fully rough (as three.js's GLTFLoader).
          return new THREE.MeshStandardMaterial({ color: 0xffffff, roughness: 1, metalness: 1, vertexColors });
        }
        const [r, g, b, a] = mat.getBaseColorFactor();
        const m = new THREE.MeshStandardMaterial({
          name: mat.getName(),
          roughness: mat.getRoughnessFactor(),
          metalness: mat.getMetallicFactor(),
          side: mat.getDoubleSided() ? THREE.DoubleSide : THREE.FrontSide,
          vertexColors,
        });
        m.color.setRGB(r, g, b, THREE.LinearSRGBColorSpace);
        const mode = mat.getAlphaMode();
        if (mode === 'BLEND') {
          m.transparent = true;
          m.opacity = a;
          m.depthWrite = false;
        } else if (mode === 'MASK') {
          m.opacity = a;
          m.alphaTest = mat.getAlphaCutoff();
        }
        const [er, eg, eb] = mat.getEmissiveFactor();
        m.emissive.setRGB(er, eg, eb, THREE.LinearSRGBColorSpace);
        m.map = await this.baseColorMap(mat);
        return m;
      })();
      this.materials.set(this.keyOf(mat, vertexColors), p);
    }
    return p;
  }

  private readonly ids = new Map<GltfMaterial, number>();
  private keyOf(mat: GltfMaterial | null, vertexColors: boolean): string {
    if (!mat) return `default|${vertexColors}`;
    let id = this.ids.get(mat);
    if (id === undefined) this.ids.set(mat, (id = this.ids.size));
    return `${id}|${vertexColors}`;
  }

  /** Geometry of a triangle primitive in world space, or null for other primitive modes. */
  geometry(prim: Primitive, world: THREE.Matrix4): THREE.BufferGeometry | null {
    const position = prim.getAttribute('POSITION');
    if (!position) return null;
    const n = position.getCount();
    const index = triangleIndices(prim, n);
    if (!index || index.length === 0) return null;
    const g = new THREE.BufferGeometry();
    const pos = floatsOf(position, 3);
    for (const v of pos) if (!Number.isFinite(v)) throw new Error('POSITION holds a non-finite value');
    g.setAttribute('position', new THREE.BufferAttribute(pos, 3));
    const normal = prim.getAttribute('NORMAL');
    if (normal && normal.getCount() === n) g.setAttribute('normal', new THREE.BufferAttribute(floatsOf(normal, 3), 3));
    for (const [semantic, name] of [['TEXCOORD_0', 'uv'], ['TEXCOORD_1', 'uv1']] as const) {
      const acc = prim.getAttribute(semantic);
      if (acc && acc.getCount() === n) g.setAttribute(name, new THREE.BufferAttribute(floatsOf(acc, 2), 2));
    }
    // Texture factors need coordinates even where the asset has none.
    if (!g.getAttribute('uv')) g.setAttribute('uv', new THREE.BufferAttribute(new Float32Array(n * 2), 2));
    const color = prim.getAttribute('COLOR_0');
    if (color && color.getCount() === n) g.setAttribute('color', new THREE.BufferAttribute(floatsOf(color, 4, 1), 4));
    g.setIndex(new THREE.BufferAttribute(index, 1));
    g.applyMatrix4(world);
    if (world.determinant() < 0) {
      // A mirroring transform flips the winding: flip it back so front faces stay front.
      for (let i = 0; i + 2 < index.length; i += 3) {
        const t = index[i + 1];
        index[i + 1] = index[i + 2];
        index[i + 2] = t;
      }
    }
    if (!g.getAttribute('normal')) {
      // glTF: flat normals when none are given.
      const flat = g.toNonIndexed();
      flat.computeVertexNormals();
      flat.setIndex(new THREE.BufferAttribute(Uint32Array.from({ length: flat.getAttribute('position').count }, (_, i) => i), 1));
      return flat;
    }
    return g;
  }
}

/** Read and convert one glTF file (no caching; see loadGltfAsset). */
async function readGltfAsset(file: string): Promise<GltfAsset> {
  let doc;
  try {
    doc = await gltfIO().read(file);
  } catch (err) {
    const reason = (err as Error).message || String(err);
    throw assetFileError(file, `cannot read glTF: ${reason.replace(/\s+/g, ' ').trim()}`);
  }
  const root = doc.getRoot();
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  if (!scene) throw assetFileError(file, 'unsupported glTF: it has no scene');
  const imp = new Importer();
  const raw: { geometry: THREE.BufferGeometry; material: THREE.MeshStandardMaterial; gltf: GltfMaterial | null; area: number }[] = [];
  const pending: Promise<THREE.MeshStandardMaterial>[] = [];
  try {
    const nodes: { mesh: GltfMesh; world: THREE.Matrix4 }[] = [];
    scene.traverse((node) => {
      const mesh = node.getMesh();
      if (mesh) nodes.push({ mesh, world: new THREE.Matrix4().fromArray(node.getWorldMatrix()) });
    });
    for (const { mesh, world } of nodes) {
      for (const prim of mesh.listPrimitives()) {
        const geometry = imp.geometry(prim, world);
        if (!geometry) continue;
        const gltf = prim.getMaterial();
        const material = imp.material(gltf, Boolean(geometry.getAttribute('color')));
        pending.push(material);
        raw.push({ geometry, material: null as unknown as THREE.MeshStandardMaterial, gltf, area: surfaceArea(geometry) });
      }
    }
    const materials = await Promise.all(pending);
    materials.forEach((m, i) => {
      raw[i].material = m;
      // A map reading TEXCOORD_1 where the primitive has none: fall back to TEXCOORD_0.
      if (m.map?.channel === 1 && !raw[i].geometry.getAttribute('uv1')) raw[i].geometry.setAttribute('uv1', raw[i].geometry.getAttribute('uv').clone());
    });
  } catch (err) {
    await Promise.allSettled(pending);
    throw assetFileError(file, `unsupported or corrupt glTF: ${(err as Error).message}`);
  }
  if (raw.length === 0) throw assetFileError(file, 'unsupported glTF: its scene has no triangle meshes');
  // Main material: the one marked so by synth's exporter, else the largest total surface area.
  const areaOf = new Map<GltfMaterial | null, number>();
  for (const r of raw) areaOf.set(r.gltf, (areaOf.get(r.gltf) ?? 0) + r.area);
  let mainGltf: GltfMaterial | null = raw[0].gltf;
  for (const [m, a] of areaOf) if (a > areaOf.get(mainGltf)!) mainGltf = m;
  const marked = [...areaOf.keys()].find((m) => (m?.getExtras() as { synth?: { main?: unknown } } | undefined)?.synth?.main === true);
  if (marked) mainGltf = marked;
  // Merge the parts that share a three.js material (fewer draw calls).
  const groups = new Map<THREE.MeshStandardMaterial, THREE.BufferGeometry[]>();
  for (const r of raw) {
    const list = groups.get(r.material) ?? [];
    list.push(r.geometry);
    groups.set(r.material, list);
  }
  const mainMaterials = new Set(raw.filter((r) => r.gltf === mainGltf).map((r) => r.material));
  const parts: GltfPart[] = [];
  let triangles = 0;
  for (const [material, list] of groups) {
    const merged = list.length > 1 ? mergeGeometries(normaliseAttributes(list), false) : null;
    for (const geometry of merged ? [merged] : list) {
      geometry.computeBoundingBox();
      geometry.computeBoundingSphere();
      triangles += geometry.getIndex()!.count / 3;
      parts.push({ geometry, material, main: mainMaterials.has(material) });
    }
  }
  const box = new THREE.Box3();
  for (const p of parts) box.union(p.geometry.boundingBox!);
  const size = box.getSize(new THREE.Vector3());
  if (!(Math.max(size.x, size.y, size.z) > 1e-9) || !Number.isFinite(size.x + size.y + size.z)) {
    throw assetFileError(file, 'unsupported glTF: its meshes have no extent');
  }
  const main = parts.find((p) => p.main)!.material;
  return {
    file,
    name: basename(file, extname(file)),
    parts,
    surface: { color: `#${main.color.getHexString()}`, roughness: main.roughness, metalness: main.metalness },
    triangles,
  };
}

/** Give every geometry of a merge group the same attribute set (mergeGeometries needs it). */
function normaliseAttributes(list: THREE.BufferGeometry[]): THREE.BufferGeometry[] {
  const names = new Set<string>();
  for (const g of list) for (const n of Object.keys(g.attributes)) names.add(n);
  for (const g of list) {
    const count = g.getAttribute('position').count;
    for (const n of names) {
      if (g.getAttribute(n)) continue;
      const size = n === 'color' ? 4 : n.startsWith('uv') ? 2 : 3;
      const data = new Float32Array(count * size);
      if (n === 'color') data.fill(1);
      g.setAttribute(n, new THREE.BufferAttribute(data, size));
    }
  }
  return list;
}

const cache = new Map<string, { key: string; asset: Promise<GltfAsset> }>();

/**
 * Load one .glb or .gltf file as a GltfAsset; parsed once per process (until the file changes).
 * @throws InputError naming the file when it cannot be read or holds no triangle mesh.
 */
export async function loadGltfAsset(path: string): Promise<GltfAsset> {
  const file = resolve(path);
  if (!(GLTF_EXTENSIONS as readonly string[]).includes(extname(file).toLowerCase())) {
    throw assetFileError(file, `unsupported file type ${JSON.stringify(extname(file) || '(none)')}: expected .glb or .gltf`);
  }
  let st;
  try {
    st = await stat(file);
  } catch (err) {
    throw assetFileError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isFile()) throw assetFileError(file, 'not a file');
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(file);
  if (hit && hit.key === key) return hit.asset;
  const asset = readGltfAsset(file);
  cache.set(file, { key, asset });
  asset.catch(() => { if (cache.get(file)?.asset === asset) cache.delete(file); });
  return asset;
}

const ownMains = new WeakMap<THREE.Material, WeakMap<THREE.Material, Map<string, THREE.MeshStandardMaterial>>>();

/**
 * The material of a main part for one build: the library's pooled main material `pooled` carries
 * the factor values (colour, roughness, metalness, and a named texture when the `texture` factor
 * overrides). Where the asset's own look needs more than the pooled material has (its own
 * texture, vertex colours, double sides, alpha, emission), a per-(template, pooled) copy of the
 * template gets the factor values instead, so each material keeps one shader program.
 */
export function mainMaterialFor(template: THREE.MeshStandardMaterial, pooled: THREE.Material): THREE.Material {
  const p = pooled as THREE.MeshStandardMaterial;
  const factor = p.userData?.textureFactor;
  const override = typeof factor === 'string' && factor !== 'default';
  const map = override ? p.map ?? null : template.map;
  const plainTemplate = !template.vertexColors && template.side === THREE.FrontSide && !template.transparent
    && template.alphaTest === 0 && template.emissive.getHex() === 0;
  if (plainTemplate && (override || !template.map)) return pooled;
  let byPooled = ownMains.get(template);
  if (!byPooled) ownMains.set(template, (byPooled = new WeakMap()));
  let byKind = byPooled.get(pooled);
  if (!byKind) byPooled.set(pooled, (byKind = new Map()));
  const kind = map ? 'map' : 'plain';
  let m = byKind.get(kind);
  if (!m) {
    m = template.clone();
    m.map = map;
    byKind.set(kind, m);
  }
  m.userData.textureFactor = p.userData?.textureFactor;
  m.color.copy(p.color);
  m.roughness = p.roughness;
  m.metalness = p.metalness;
  m.map = map;
  return m;
}

/** An AssetClass over loaded glTF assets: variant i is assets[i]. */
export function gltfAssetClass(name: string, assets: readonly GltfAsset[], family = USER_FAMILY): AssetClass {
  if (assets.length === 0) throw new InputError(`class ${JSON.stringify(name)}: expected at least one asset file`);
  const variants = uniqueNames(assets.map((a) => a.name));
  const at = (v: number) => assets[Math.max(0, Math.min(assets.length - 1, v))];
  return {
    name, family, variants, params: {},
    surface: (v) => ({ ...at(v).surface }),
    build(b, v) {
      for (const part of at(v).parts) {
        b.add(part.geometry.clone(), part.main ? mainMaterialFor(part.material, b.main) : part.material);
      }
    },
  };
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}-${k}`;
  });
}

/** Options of loadAssetFolder. */
export interface LoadAssetFolderOptions {
  /** Where skipped files are reported (default: a line on stderr). */
  warn?(message: string): void;
  family?: string;
}

/** The asset files of a class folder, sorted by name. */
async function assetFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()) && (GLTF_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

/**
 * User classes from `dir`: each sub-folder is a class (its name), each .glb/.gltf file in it a
 * variant (files sorted by name). Files that fail to load are skipped with a warning naming the
 * file and the reason; so are classes left with no asset.
 * @throws InputError when `dir` is not a readable folder or no asset in it loads.
 */
export async function loadAssetFolder(dir: string, options: LoadAssetFolderOptions = {}): Promise<AssetClass[]> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  const root = resolve(dir);
  let entries;
  try {
    if (!(await stat(root)).isDirectory()) throw new Error('not a folder');
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new InputError([{
      path: '--assets', expected: 'a folder of <class>/<asset>.glb|.gltf files', received: root,
      message: `--assets: expected a folder of <class>/<asset>.glb|.gltf files, got ${JSON.stringify(dir)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    }]);
  }
  const classes: AssetClass[] = [];
  const problems: string[] = [];
  for (const e of entries.filter((x) => !x.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(root, e.name);
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(path).then((s) => s.isDirectory(), () => false)));
    if (!isDir) {
      if ((GLTF_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase())) {
        const m = `skipping ${path}: asset files go in a class folder (${join(root, '<class>', e.name)})`;
        warn(m);
        problems.push(m);
      }
      continue;
    }
    const assets: GltfAsset[] = [];
    for (const file of await assetFiles(path)) {
      try {
        assets.push(await loadGltfAsset(file));
      } catch (err) {
        const reason = err instanceof InputError ? err.message : `${file}: ${(err as Error).message}`;
        const m = `skipping ${reason}`;
        warn(m);
        problems.push(m);
      }
    }
    if (assets.length === 0) {
      const m = `skipping class ${JSON.stringify(e.name)}: no loadable .glb or .gltf file in ${path}`;
      warn(m);
      problems.push(m);
      continue;
    }
    classes.push(gltfAssetClass(e.name, assets, options.family));
  }
  if (classes.length === 0) {
    throw new InputError([{
      path: '--assets', expected: 'at least one <class>/<asset>.glb|.gltf that loads', received: root,
      message: `--assets ${root}: expected at least one <class>/<asset>.glb|.gltf file that loads, found none${problems.length ? ` (${problems.join('; ')})` : ''}`,
    }]);
  }
  return classes;
}
