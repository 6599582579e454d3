/**
 * The toolkit procedural asset classes are written with: a class declares its variants and shape
 * parameters, and builds itself from primitive parts. buildObject() normalises the result to the
 * canonical frame: largest side 1 unit, footprint centred at the origin, resting on y = 0,
 * forward along +x, up along +y.
 */
import * as THREE from 'three';
import { sharedMaterial, type SurfaceSpec } from './materials.js';

/** Placement of a part: position, Euler rotation in degrees (XYZ), and scale. */
export interface PartPlacement {
  at?: [number, number, number];
  rot?: [number, number, number];
  scale?: number | [number, number, number];
}

/** What a class's build function gets: the main material and ways to add parts. */
export interface PartBuilder {
  /** The main material: it takes the texture, colour, roughness and metalness factors. */
  readonly main: THREE.Material;
  /** A secondary material (eyes, wheels, legs) that the factors leave alone. */
  surface(spec: SurfaceSpec): THREE.Material;
  /** Add a mesh of `geometry` (owned by the object from now on). */
  add(geometry: THREE.BufferGeometry, material: THREE.Material, place?: PartPlacement): THREE.Mesh;
  /** A group to build into (children placed relative to it), itself placed. */
  group(place?: PartPlacement): PartBuilder;
}

/** A procedural object class. */
export interface AssetClass {
  name: string;
  family: string;
  /** Variant names; the `asset` factor indexes this list. At least 3 for built-in classes. */
  variants: readonly string[];
  /** Continuous shape parameters, each uniform in [min, max] per image. */
  params: Readonly<Record<string, readonly [number, number]>>;
  /** The main surface of variant `variant` before any factor overrides. */
  surface(variant: number, params: Readonly<Record<string, number>>): SurfaceSpec;
  /** Add the parts of one instance. */
  build(b: PartBuilder, variant: number, params: Readonly<Record<string, number>>): void;
}

const deg = Math.PI / 180;

function place(obj: THREE.Object3D, p: PartPlacement | undefined): void {
  if (!p) return;
  if (p.at) obj.position.set(...p.at);
  if (p.rot) obj.rotation.set(p.rot[0] * deg, p.rot[1] * deg, p.rot[2] * deg);
  if (p.scale !== undefined) {
    if (typeof p.scale === 'number') obj.scale.setScalar(p.scale);
    else obj.scale.set(...p.scale);
  }
}

/**
 * A pooled mesh's own geometry: the source's attributes (as floats) and a 32-bit index, with room for
 * more vertices than any one sample uses, refilled per sample. The renderer then updates its GPU
 * buffers in place (a write of the used range) instead of creating and freeing four buffers per part
 * and frame, which cost about a tenth of a five-object frame. Attribute `count`s are set to the used
 * length, so bounds, raycasts and draws see only this sample's data.
 */
class SlotGeometry {
  geometry = new THREE.BufferGeometry();
  private vertices = 0;
  private indices = 0;
  /** Attribute names and item sizes of the current buffers, e.g. `normal:3,position:3,uv:2`. */
  private layout = '';

  /** Copy `src` (indexed or not; position, normal, uv and whatever else it carries) into the pooled buffers. */
  fill(src: THREE.BufferGeometry): THREE.BufferGeometry {
    const p = src.getAttribute('position');
    const nv = p.count;
    const ni = src.index ? src.index.count : nv;
    // Built-in parts always carry a normal and uv (zeros stand in for a missing one, as in mergeAll).
    const sizes = new Map<string, number>([['normal', 3], ['uv', 2]]);
    for (const [name, attr] of Object.entries(src.attributes)) sizes.set(name, attr.itemSize);
    const layout = [...sizes].map(([name, k]) => `${name}:${k}`).sort().join(',');
    if (nv > this.vertices || ni > this.indices || layout !== this.layout) this.grow(nv, ni, sizes, layout);
    const g = this.geometry;
    for (const name of sizes.keys()) copyAttribute(src.getAttribute(name), g.getAttribute(name) as THREE.BufferAttribute, nv);
    const index = g.index!;
    const out = index.array as Uint32Array;
    if (src.index) {
      const a = src.index.array;
      for (let i = 0; i < ni; i++) out[i] = a[i];
    } else {
      for (let i = 0; i < ni; i++) out[i] = i;
    }
    setCount(index, ni);
    index.clearUpdateRanges();
    index.addUpdateRange(0, ni);
    index.needsUpdate = true;
    g.boundingBox = null;
    g.boundingSphere = null;
    src.dispose();
    return g;
  }

  /** New buffers for `layout` with room for at least `nv` vertices and `ni` indices (powers of two); the old ones are freed. */
  private grow(nv: number, ni: number, sizes: ReadonlyMap<string, number>, layout: string): void {
    const room = (n: number, have: number) => Math.max(have, 2 ** Math.ceil(Math.log2(Math.max(n, 1024))));
    this.vertices = room(nv, this.vertices);
    this.indices = room(ni, this.indices);
    this.layout = layout;
    this.geometry.dispose();
    const g = new THREE.BufferGeometry();
    for (const [name, k] of sizes) g.setAttribute(name, new THREE.BufferAttribute(new Float32Array(this.vertices * k), k));
    g.setIndex(new THREE.BufferAttribute(new Uint32Array(this.indices), 1));
    POOLED_GEOMETRIES.add(g);
    this.geometry = g;
  }
}

/** Copy the first `n` items of `from` (zeros when absent) into `to`, marking that range for upload. */
function copyAttribute(from: THREE.BufferAttribute | THREE.InterleavedBufferAttribute | undefined, to: THREE.BufferAttribute, n: number): void {
  const k = to.itemSize;
  const out = to.array as Float32Array;
  if (!from) out.fill(0, 0, n * k);
  else if (from instanceof THREE.BufferAttribute && from.itemSize === k && from.array instanceof Float32Array) out.set(from.array.subarray(0, n * k));
  else {
    for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = from.getComponent(i, c);
  }
  setCount(to, n);
  to.clearUpdateRanges();
  to.addUpdateRange(0, n * k);
  to.needsUpdate = true;
}

/** Set how many items of `attr` are in use (three types `count` read-only; it is a plain property set once from the array length). */
function setCount(attr: THREE.BufferAttribute, n: number): void {
  (attr as { count: number }).count = n;
}

const POOLED_GEOMETRIES = new WeakSet<THREE.BufferGeometry>();

/** Whether `g` belongs to a pooled mesh (kept across samples: not to be disposed after a render). */
export function isPooledGeometry(g: THREE.BufferGeometry): boolean {
  return POOLED_GEOMETRIES.has(g);
}

/**
 * Meshes reused across samples, one list per object slot, each with its own geometry (SlotGeometry).
 * The renderer keeps per-mesh state (uniform buffers, bind groups, pipelines in use, vertex buffers);
 * reusing the mesh objects keeps that state warm and bounded, where fresh meshes per sample would
 * either leak it or pay to rebuild it every frame.
 */
export class MeshPool {
  private readonly slots: Map<string, { mesh: THREE.Mesh; geometry: SlotGeometry }>[] = [];

  /**
   * The pooled mesh for the `nth` part of material `material` in object slot `slot`, reset to a neutral
   * transform, holding a copy of `geometry` (which is disposed). Keyed by material so that a mesh
   * always pairs with the same material: the renderer's per-(mesh, material) state is then reused
   * across samples instead of rebuilt whenever a class puts another material on the mesh.
   */
  acquire(slot: number, nth: number, geometry: THREE.BufferGeometry, material: THREE.Material): THREE.Mesh {
    while (this.slots.length <= slot) this.slots.push(new Map());
    const key = `${material.uuid}:${nth}`;
    let entry = this.slots[slot].get(key);
    if (!entry) {
      entry = { mesh: new THREE.Mesh(), geometry: new SlotGeometry() };
      entry.mesh.material = material;
      this.slots[slot].set(key, entry);
    }
    const { mesh, geometry: pooled } = entry;
    mesh.removeFromParent();
    mesh.geometry = pooled.fill(geometry);
    mesh.position.set(0, 0, 0);
    mesh.quaternion.identity();
    mesh.scale.set(1, 1, 1);
    mesh.visible = true;
    mesh.renderOrder = 0;
    return mesh;
  }
}

/** The process-wide pool used by buildClassObject. */
export const MESH_POOL = new MeshPool();

/**
 * A PartBuilder adding into `root`; secondary materials are shared, cached ones. With `pool`, meshes
 * come from object slot `slot` of the pool instead of being created.
 */
export function partBuilder(root: THREE.Object3D, main: THREE.Material, pool?: MeshPool, slot = 0): PartBuilder {
  /** Parts of each material so far in this object (the pool's `nth`). */
  const uses = new Map<THREE.Material, number>();
  const next = (material: THREE.Material) => {
    const n = uses.get(material) ?? 0;
    uses.set(material, n + 1);
    return n;
  };
  const make = (into: THREE.Object3D): PartBuilder => ({
    main,
    surface: (spec) => sharedMaterial(spec),
    add(geometry, material, p) {
      const mesh = pool ? pool.acquire(slot, next(material), geometry, material) : new THREE.Mesh(geometry, material);
      mesh.castShadow = true;
      mesh.receiveShadow = true;
      place(mesh, p);
      into.add(mesh);
      return mesh;
    },
    group(p) {
      const g = new THREE.Group();
      place(g, p);
      into.add(g);
      return make(g);
    },
  });
  return make(root);
}

/** A surface-of-revolution geometry from a profile of [radius, height] points (bottom to top). */
export function lathe(profile: readonly [number, number][], segments = 32): THREE.BufferGeometry {
  return new THREE.LatheGeometry(profile.map(([r, y]) => new THREE.Vector2(Math.max(r, 1e-4), y)), segments);
}

/** A box with its base at y = 0 (width x, height y, depth z). */
export function box(w: number, h: number, d: number): THREE.BufferGeometry {
  return new THREE.BoxGeometry(w, h, d).translate(0, h / 2, 0);
}

/** A vertical cylinder (or cone, with rTop != rBottom) with its base at y = 0. */
export function cylinder(rTop: number, rBottom: number, h: number, segments = 24): THREE.BufferGeometry {
  return new THREE.CylinderGeometry(rTop, rBottom, h, segments).translate(0, h / 2, 0);
}

/** A sphere (scale it to make an ellipsoid) centred at the origin. */
export function sphere(r: number, segments = 24): THREE.BufferGeometry {
  return new THREE.SphereGeometry(r, segments, Math.max(8, Math.round(segments * 0.6)));
}
