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
 * Meshes reused across samples, one list per object slot. The renderer keeps per-mesh state
 * (uniform buffers, bind groups, pipelines in use); reusing the mesh objects keeps that state warm
 * and bounded, where fresh meshes per sample would either leak it or pay to rebuild it every frame.
 */
export class MeshPool {
  private readonly slots: THREE.Mesh[][] = [];

  /** Mesh number `i` of object slot `slot`, reset to a neutral transform. */
  acquire(slot: number, i: number, geometry: THREE.BufferGeometry, material: THREE.Material): THREE.Mesh {
    while (this.slots.length <= slot) this.slots.push([]);
    const list = this.slots[slot];
    while (list.length <= i) list.push(new THREE.Mesh());
    const mesh = list[i];
    mesh.removeFromParent();
    mesh.geometry = geometry;
    mesh.material = material;
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
  let next = 0;
  const make = (into: THREE.Object3D): PartBuilder => ({
    main,
    surface: (spec) => sharedMaterial(spec),
    add(geometry, material, p) {
      const mesh = pool ? pool.acquire(slot, next++, geometry, material) : new THREE.Mesh(geometry, material);
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

/** A capsule between two points, radius r: limbs, necks, tails. */
export function limb(from: [number, number, number], to: [number, number, number], r: number): { geometry: THREE.BufferGeometry; place: PartPlacement } {
  const a = new THREE.Vector3(...from);
  const b = new THREE.Vector3(...to);
  const len = a.distanceTo(b);
  const geometry = new THREE.CapsuleGeometry(r, Math.max(1e-3, len), 4, 12);
  const mid = a.clone().add(b).multiplyScalar(0.5);
  const q = new THREE.Quaternion().setFromUnitVectors(new THREE.Vector3(0, 1, 0), b.clone().sub(a).normalize());
  const e = new THREE.Euler().setFromQuaternion(q);
  return { geometry, place: { at: [mid.x, mid.y, mid.z], rot: [e.x / deg, e.y / deg, e.z / deg] } };
}
