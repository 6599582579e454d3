/**
 * The asset library: built-in procedural classes plus any user classes, the plain-data catalog the
 * spec validates against, and buildObject(), which turns an ObjectDescription into three.js meshes.
 */
import * as THREE from 'three';
import type { Catalog } from '../spec/catalog.js';
import type { ObjectDescription } from '../spec/sample.js';
import { NAMED_COLORS, nearestColorName, parseColor } from '../core/color.js';
import { ENVIRONMENT_NAMES } from './environments.js';
import { TEXTURE_NAMES, TEXTURES } from './textures.js';
import { partBuilder, isPooledGeometry, MESH_POOL, type MeshPool, type AssetClass } from './kit.js';
import { toColor, repeatedTexture, type SurfaceSpec } from './materials.js';
import { SHAPE_CLASSES } from './classes/shapes.js';
import { ANIMAL_CLASSES } from './classes/animals.js';
import { VEHICLE_CLASSES } from './classes/vehicles.js';
import { FURNITURE_CLASSES } from './classes/furniture.js';
import { HOUSEHOLD_CLASSES } from './classes/household.js';
import { PLANT_CLASSES } from './classes/plants.js';
import { BUILDING_CLASSES } from './classes/buildings.js';

/** Every built-in class, in catalog order. */
export const BUILTIN_CLASSES: readonly AssetClass[] = [...SHAPE_CLASSES, ...ANIMAL_CLASSES, ...VEHICLE_CLASSES, ...FURNITURE_CLASSES, ...HOUSEHOLD_CLASSES, ...PLANT_CLASSES, ...BUILDING_CLASSES];

/** A built object and how to free it after rendering. */
export interface BuiltObject {
  object: THREE.Object3D;
  /** World-space bounding box after placement. */
  bounds: THREE.Box3;
  dispose(): void;
}

/** A set of classes the renderer can build. */
export interface AssetLibrary {
  readonly classes: readonly AssetClass[];
  /** The plain-data catalog for spec validation and `synth catalog`. */
  catalog(): Catalog;
  /** Colour word of an object as rendered: its colour factor, or its asset's own colour (for captions). */
  colorName(desc: ObjectDescription): string;
  /** Build object number `slot` of a scene, placed and normalised. */
  buildObject(desc: ObjectDescription, slot: number): BuiltObject;
}

const deg = Math.PI / 180;

/**
 * Set `m` (a pooled main material) to the class surface with the factor overrides applied
 * (texture, colour, roughness, metalness). Reusing the instance keeps its compiled program.
 */
function applyMainSurface(m: THREE.MeshStandardMaterial, base: SurfaceSpec, desc: ObjectDescription): void {
  m.color.copy(toColor(desc.color !== 'default' ? desc.color : base.color));
  let map: THREE.Texture | null = null;
  const texture = mainTexture(base, desc);
  if (texture) {
    map = repeatedTexture(texture, desc.texture !== 'default' ? TEXTURES.find((t) => t.name === texture)!.repeat : base.repeat ?? 1);
    if (desc.color === 'default' && desc.texture !== 'default') m.color.lerp(new THREE.Color(1, 1, 1), 0.65);
  }
  m.map = map;
  // The texture factor as given: user (glTF) classes keep their own texture only for `default`.
  m.userData.textureFactor = desc.texture;
  m.roughness = desc.roughness ?? base.roughness ?? 0.6;
  m.metalness = desc.metalness ?? base.metalness ?? 0;
}

const mainPool = new Map<string, THREE.MeshStandardMaterial>();

/**
 * The pooled main material of object slot `slot`, textured or not. Separate instances for the two
 * cases mean a sample never changes a material's program, only its uniforms and texture binding.
 */
function mainMaterialFor(slot: number, textured: boolean): THREE.MeshStandardMaterial {
  const key = `${slot}:${textured}`;
  let m = mainPool.get(key);
  if (!m) {
    m = new THREE.MeshStandardMaterial();
    if (textured) m.map = repeatedTexture('checker', 1);
    mainPool.set(key, m);
  }
  return m;
}

/** The texture on the main surface: the texture factor, else the asset's own; null for none. */
function mainTexture(base: SurfaceSpec, desc: ObjectDescription): string | null {
  const texture = desc.texture !== 'default' ? desc.texture : base.texture;
  return texture && texture !== 'plain' && texture !== 'default' ? texture : null;
}

/** Scale `root` so its largest side is 1, centre its footprint at the origin and rest it on y = 0. */
export function normalise(root: THREE.Object3D): void {
  root.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(root);
  const size = box.getSize(new THREE.Vector3());
  const s = 1 / Math.max(size.x, size.y, size.z, 1e-6);
  const inner = new THREE.Group();
  while (root.children.length) inner.add(root.children[0]);
  inner.scale.setScalar(s);
  const c = box.getCenter(new THREE.Vector3());
  inner.position.set(-c.x * s, -box.min.y * s, -c.z * s);
  root.add(inner);
}

/**
 * Build an object of `cls` for `desc`, using main-material slot `slot` (its index in the scene) and
 * that slot's pooled meshes; `pool: null` builds fresh meshes the caller owns (exports).
 */
export function buildClassObject(cls: AssetClass, desc: ObjectDescription, slot = 0, pool: MeshPool | null = MESH_POOL): BuiltObject {
  const base = cls.surface(desc.asset, desc.params);
  const main = mainMaterialFor(slot, mainTexture(base, desc) !== null);
  applyMainSurface(main, base, desc);
  const canonical = new THREE.Group();
  cls.build(partBuilder(canonical, main, pool ?? undefined, slot), desc.asset, desc.params);
  normalise(canonical);
  // Orientation: yaw about +y, pitch (nose up) about +z, roll about +x, around the object's centre.
  const oriented = new THREE.Group();
  canonical.position.y = -0.5;
  const pivot = new THREE.Group();
  pivot.add(canonical);
  pivot.rotation.set(desc.roll * deg, desc.yaw * deg, desc.pitch * deg, 'YZX');
  oriented.add(pivot);
  oriented.scale.setScalar(desc.scale);
  oriented.updateMatrixWorld(true);
  const rotated = new THREE.Box3().setFromObject(oriented);
  oriented.position.set(desc.position[0], desc.position[1] - rotated.min.y, desc.position[2]);
  oriented.updateMatrixWorld(true);
  const bounds = new THREE.Box3().setFromObject(oriented);
  return {
    object: oriented,
    bounds,
    dispose() {
      oriented.traverse((o) => {
        const mesh = o as THREE.Mesh;
        if (!mesh.isMesh) return;
        // Pooled meshes and their geometry stay alive (see MeshPool); any other geometry is freed.
        if (!isPooledGeometry(mesh.geometry)) mesh.geometry.dispose();
      });
    },
  };
}

/** An asset library over the built-in classes and `extra` (user) classes. */
export function createAssetLibrary(extra: readonly AssetClass[] = []): AssetLibrary {
  const classes = [...BUILTIN_CLASSES];
  for (const c of extra) {
    const i = classes.findIndex((k) => k.name === c.name);
    if (i >= 0) classes[i] = c;
    else classes.push(c);
  }
  const byName = new Map(classes.map((c) => [c.name, c]));
  return {
    classes,
    catalog: () => ({
      classes: classes.map((c) => ({ name: c.name, family: c.family, variants: c.variants, params: c.params })),
      textures: TEXTURE_NAMES,
      colors: Object.keys(NAMED_COLORS),
      environments: ENVIRONMENT_NAMES,
    }),
    colorName(desc) {
      if (desc.color !== 'default') return NAMED_COLORS[desc.color] ? desc.color : nearestColorName(parseColor(desc.color) ?? [0.5, 0.5, 0.5]);
      const cls = byName.get(desc.class);
      const rgb = cls ? parseColor(cls.surface(desc.asset, desc.params).color) : null;
      return rgb ? nearestColorName(rgb) : '';
    },
    buildObject(desc, slot) {
      const cls = byName.get(desc.class);
      if (!cls) throw new RangeError(`class: expected one of ${[...byName.keys()].join(', ')}, got ${JSON.stringify(desc.class)}`);
      return buildClassObject(cls, desc, slot);
    },
  };
}
