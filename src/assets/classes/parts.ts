/**
 * Shared helpers for the procedural classes: a merging part collector (every part of one material
 * becomes one mesh, so a 60-part animal is a handful of draw calls), placement helpers (ellipsoids,
 * capsules and rods between points, extruded profiles, tubes along curves), and reusable body-part
 * builders (quadruped, wheels).
 */
import * as THREE from 'three';
import type { PartBuilder, PartPlacement } from '../kit.js';
import type { SurfaceSpec } from '../materials.js';

export type V3 = [number, number, number];
export type P2 = [number, number];

const DEG = Math.PI / 180;

/** Matrix of a placement (position, Euler XYZ in degrees, scale). */
export function placementMatrix(p?: PartPlacement): THREE.Matrix4 {
  const m = new THREE.Matrix4();
  if (!p) return m;
  const pos = new THREE.Vector3(...(p.at ?? [0, 0, 0]));
  const q = new THREE.Quaternion().setFromEuler(new THREE.Euler(...((p.rot ?? [0, 0, 0]).map((d) => d * DEG) as V3)));
  const s = p.scale === undefined ? new THREE.Vector3(1, 1, 1) : typeof p.scale === 'number' ? new THREE.Vector3(p.scale, p.scale, p.scale) : new THREE.Vector3(...p.scale);
  return m.compose(pos, q, s);
}

/**
 * Shared unit primitives (never modified, never disposed): parts scale them through their placement
 * instead of building each from scratch, which was most of the cost of building an object.
 */
const TEMPLATES = new Map<string, THREE.BufferGeometry>();
const TEMPLATE_SET = new WeakSet<THREE.BufferGeometry>();
function template(key: string, make: () => THREE.BufferGeometry): THREE.BufferGeometry {
  let g = TEMPLATES.get(key);
  if (!g) {
    g = make();
    TEMPLATES.set(key, g);
    TEMPLATE_SET.add(g);
  }
  return g;
}

/** A part waiting to be merged: its geometry in its own frame and the matrix into the collector's frame. */
export interface PlacedPart {
  geometry: THREE.BufferGeometry;
  matrix: THREE.Matrix4;
}

/**
 * Merge parts that carry position (and normal, uv; zeros where missing) into one indexed geometry,
 * transforming each by its matrix on the way (normals by the normal matrix, renormalised): the same
 * arithmetic as three's BufferGeometry.applyMatrix4, in one pass. Non-template inputs are disposed.
 */
export function mergeAll(parts: readonly PlacedPart[]): THREE.BufferGeometry {
  let nv = 0;
  let ni = 0;
  for (const { geometry: g } of parts) {
    const n = g.getAttribute('position').count;
    nv += n;
    ni += g.index ? g.index.count : n;
  }
  const pos = new Float32Array(nv * 3);
  const nor = new Float32Array(nv * 3);
  const uv = new Float32Array(nv * 2);
  const idx = nv > 65535 ? new Uint32Array(ni) : new Uint16Array(ni);
  const nm = new THREE.Matrix3();
  let vo = 0;
  let io = 0;
  for (const { geometry: g, matrix } of parts) {
    const p = g.getAttribute('position');
    const n = g.getAttribute('normal');
    const t = g.getAttribute('uv');
    const c = p.count;
    const e = matrix.elements;
    for (let i = 0; i < c; i++) {
      const x = p.getX(i), y = p.getY(i), z = p.getZ(i);
      const w = 1 / (e[3] * x + e[7] * y + e[11] * z + e[15]);
      const o = (vo + i) * 3;
      pos[o] = (e[0] * x + e[4] * y + e[8] * z + e[12]) * w;
      pos[o + 1] = (e[1] * x + e[5] * y + e[9] * z + e[13]) * w;
      pos[o + 2] = (e[2] * x + e[6] * y + e[10] * z + e[14]) * w;
    }
    if (n) {
      const m = nm.getNormalMatrix(matrix).elements;
      for (let i = 0; i < c; i++) {
        const x = n.getX(i), y = n.getY(i), z = n.getZ(i);
        const nx = m[0] * x + m[3] * y + m[6] * z;
        const ny = m[1] * x + m[4] * y + m[7] * z;
        const nz = m[2] * x + m[5] * y + m[8] * z;
        const s = 1 / (Math.sqrt(nx * nx + ny * ny + nz * nz) || 1);
        const o = (vo + i) * 3;
        nor[o] = nx * s;
        nor[o + 1] = ny * s;
        nor[o + 2] = nz * s;
      }
    }
    if (t) {
      if (t instanceof THREE.BufferAttribute && t.itemSize === 2 && t.array instanceof Float32Array) uv.set(t.array.subarray(0, c * 2), vo * 2);
      else for (let i = 0; i < c; i++) { uv[(vo + i) * 2] = t.getX(i); uv[(vo + i) * 2 + 1] = t.getY(i); }
    }
    if (g.index) {
      const gi = g.index.array;
      const count = g.index.count;
      for (let i = 0; i < count; i++) idx[io + i] = gi[i] + vo;
      io += count;
    } else {
      for (let i = 0; i < c; i++) idx[io + i] = vo + i;
      io += c;
    }
    vo += c;
    if (!TEMPLATE_SET.has(g)) g.dispose();
  }
  const out = new THREE.BufferGeometry();
  out.setAttribute('position', new THREE.BufferAttribute(pos, 3));
  out.setAttribute('normal', new THREE.BufferAttribute(nor, 3));
  out.setAttribute('uv', new THREE.BufferAttribute(uv, 2));
  out.setIndex(new THREE.BufferAttribute(idx, 1));
  return out;
}

/**
 * Collects parts, transformed into the collector's frame, and adds one merged mesh per material on
 * flush(). sub() opens a nested frame that shares the same store.
 */
export class Parts {
  private readonly store: Map<THREE.Material, PlacedPart[]>;
  private readonly palette: { rgb: [number, number, number]; metalness: number; material: THREE.Material }[];
  private readonly frame: THREE.Matrix4;
  constructor(
    private readonly b: PartBuilder, frame?: THREE.Matrix4, store?: Map<THREE.Material, PlacedPart[]>,
    palette?: { rgb: [number, number, number]; metalness: number; material: THREE.Material }[],
  ) {
    this.frame = frame ?? new THREE.Matrix4();
    this.store = store ?? new Map();
    this.palette = palette ?? [];
  }
  get main(): THREE.Material {
    return this.b.main;
  }
  /**
   * A cached secondary material. Every material is one more draw call per object, so an untextured
   * colour close to one this object already uses (within 0.12 in sRGB, similar metalness) reuses it.
   */
  mat(color: string, roughness = 0.6, metalness = 0, texture?: string, repeat?: number): THREE.Material {
    const s: SurfaceSpec = { color, roughness, metalness };
    if (texture) s.texture = texture;
    if (repeat !== undefined) s.repeat = repeat;
    if (texture) return this.b.surface(s);
    const n = Number.parseInt(color.slice(1), 16);
    const rgb: [number, number, number] = [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
    for (const e of this.palette) {
      const d = Math.hypot(e.rgb[0] - rgb[0], e.rgb[1] - rgb[1], e.rgb[2] - rgb[2]);
      if (d < 0.12 && Math.abs(e.metalness - metalness) < 0.3) return e.material;
    }
    const material = this.b.surface(s);
    this.palette.push({ rgb, metalness, material });
    return material;
  }
  /** A nested frame. */
  sub(p: PartPlacement): Parts {
    return new Parts(this.b, this.frame.clone().multiply(placementMatrix(p)), this.store, this.palette);
  }
  /** Add `geometry` (owned from now on, unless a shared template), placed by `p` in this frame; transformed when merged. */
  add(geometry: THREE.BufferGeometry, material: THREE.Material, p?: PartPlacement): this {
    let list = this.store.get(material);
    if (!list) this.store.set(material, (list = []));
    list.push({ geometry, matrix: this.frame.clone().multiply(placementMatrix(p)) });
    return this;
  }
  /** Ellipsoid centred at `at` with semi-axes `r`, optionally rotated (degrees). */
  ell(material: THREE.Material, at: V3, r: V3 | number, seg = 16, rot?: V3): this {
    const rings = Math.max(6, Math.round(seg * 0.6));
    const g = template(`sphere:${seg}:${rings}`, () => new THREE.SphereGeometry(1, seg, rings));
    return this.add(g, material, { at, rot, scale: r });
  }
  /** Capsule between two points. */
  rod(material: THREE.Material, from: V3, to: V3, r: number, seg = 10): this {
    const { len, place } = between(from, to);
    return this.add(new THREE.CapsuleGeometry(r, Math.max(1e-3, len), 3, seg), material, place);
  }
  /** Cylinder (or truncated cone, r0 at `from`, r1 at `to`) between two points. */
  cyl(material: THREE.Material, from: V3, to: V3, r0: number, r1 = r0, seg = 12, open = false): this {
    const { len, place } = between(from, to);
    const h = Math.max(1e-4, len);
    // A straight cylinder is a unit one scaled (its normals stay radial); a cone's normals depend on its slope.
    if (r0 === r1 && r0 > 0) return this.add(template(`cylinder:${seg}:${open}`, () => new THREE.CylinderGeometry(1, 1, 1, seg, 1, open)), material, { ...place, scale: [r0, h, r0] });
    return this.add(new THREE.CylinderGeometry(r1, r0, h, seg, 1, open), material, place);
  }
  /** Box centred at `at` with size `s`. */
  box(material: THREE.Material, at: V3, s: V3, rot?: V3): this {
    // A unit box scaled (a flat side would make the normal matrix singular: build that one as it is).
    if (s[0] > 0 && s[1] > 0 && s[2] > 0) return this.add(template('box', () => new THREE.BoxGeometry(1, 1, 1)), material, { at, rot, scale: s });
    return this.add(new THREE.BoxGeometry(s[0], s[1], s[2]), material, { at, rot });
  }
  /** A flat profile in the xy plane extruded `depth` along z, centred on z = `z`. */
  slab(material: THREE.Material, profile: P2[], depth: number, p?: PartPlacement, bevel = 0): this {
    return this.add(extrude(profile, depth, bevel), material, p);
  }
  /** Tube along a smooth curve through `pts`. */
  tube(material: THREE.Material, pts: V3[], r: number, seg = 24, radial = 8, closed = false): this {
    const curve = new THREE.CatmullRomCurve3(pts.map((q) => new THREE.Vector3(...q)), closed);
    return this.add(new THREE.TubeGeometry(curve, seg, r, radial, closed), material);
  }
  /** Tube along a smooth curve whose radius follows radius(t), t in 0..1 from the first point; ends capped with spheres. */
  taper(material: THREE.Material, pts: V3[], radius: (t: number) => number, seg = 24, radial = 8, caps = true): this {
    const curve = new THREE.CatmullRomCurve3(pts.map((q) => new THREE.Vector3(...q)));
    const g = new THREE.TubeGeometry(curve, seg, 1, radial, false);
    const pos = g.getAttribute('position');
    const c = new THREE.Vector3();
    for (let i = 0; i <= seg; i++) {
      curve.getPointAt(i / seg, c);
      const r = radius(i / seg);
      for (let j = 0; j <= radial; j++) {
        const k = i * (radial + 1) + j;
        pos.setXYZ(k, c.x + (pos.getX(k) - c.x) * r, c.y + (pos.getY(k) - c.y) * r, c.z + (pos.getZ(k) - c.z) * r);
      }
    }
    this.add(g, material);
    if (caps) {
      this.ell(material, pts[0], radius(0), radial);
      this.ell(material, pts[pts.length - 1], radius(1), radial);
    }
    return this;
  }
  /** Surface of revolution about y from a [radius, y] profile. */
  lathe(material: THREE.Material, profile: P2[], seg = 24, p?: PartPlacement): this {
    return this.add(new THREE.LatheGeometry(profile.map(([r, y]) => new THREE.Vector2(Math.max(r, 1e-4), y)), seg), material, p);
  }
  /** Add one merged mesh per material to the builder. */
  flush(): void {
    for (const [material, list] of this.store) this.b.add(mergeAll(list), material);
    this.store.clear();
  }
}

/** Length and placement that maps a unit y-axis object centred at the origin onto segment from->to. */
export function between(from: V3, to: V3): { len: number; place: PartPlacement } {
  const a = new THREE.Vector3(...from);
  const b = new THREE.Vector3(...to);
  const len = a.distanceTo(b);
  const dir = len > 1e-9 ? b.clone().sub(a).normalize() : new THREE.Vector3(0, 1, 0);
  const q = new THREE.Quaternion().setFromUnitVectors(new THREE.Vector3(0, 1, 0), dir);
  const e = new THREE.Euler().setFromQuaternion(q);
  const mid = a.add(b).multiplyScalar(0.5);
  return { len, place: { at: [mid.x, mid.y, mid.z], rot: [e.x / DEG, e.y / DEG, e.z / DEG] } };
}

/** A closed 2D profile extruded `depth` along z, centred on z = 0. */
export function extrude(profile: P2[], depth: number, bevel = 0): THREE.BufferGeometry {
  const shape = new THREE.Shape(profile.map(([x, y]) => new THREE.Vector2(x, y)));
  const g = new THREE.ExtrudeGeometry(shape, {
    depth: Math.max(1e-4, depth - 2 * bevel), bevelEnabled: bevel > 0, bevelThickness: bevel, bevelSize: bevel, bevelSegments: 1, curveSegments: 6,
  });
  g.translate(0, 0, -depth / 2 + bevel);
  g.clearGroups();
  return g;
}

/** A rounded-corner rectangle profile (x from x0 to x1, y from y0 to y1, corner radius r). */
export function roundRect(x0: number, y0: number, x1: number, y1: number, r: number, steps = 3): P2[] {
  const out: P2[] = [];
  const corners: [number, number, number][] = [[x1 - r, y0 + r, -90], [x1 - r, y1 - r, 0], [x0 + r, y1 - r, 90], [x0 + r, y0 + r, 180]];
  for (const [cx, cy, a0] of corners) {
    for (let i = 0; i <= steps; i++) {
      const a = (a0 + (90 * i) / steps) * DEG;
      out.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
    }
  }
  return out;
}

/** Points on an arc (centre cx,cy, radius r, from a0 to a1 degrees). */
export function arc(cx: number, cy: number, r: number, a0: number, a1: number, steps: number): P2[] {
  const out: P2[] = [];
  for (let i = 0; i <= steps; i++) {
    const a = (a0 + ((a1 - a0) * i) / steps) * DEG;
    out.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return out;
}

export const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;

/** Pick a per-variant value (cycling when the list is shorter). */
export function pick<T>(list: readonly T[], v: number): T {
  return list[((v % list.length) + list.length) % list.length];
}

/** A wheel with its axle along z: tyre (torus or cylinder) and hub, centred at `at`. */
export function wheel(p: Parts, tyre: THREE.Material, hub: THREE.Material, at: V3, r: number, width: number, seg = 16): void {
  p.add(new THREE.CylinderGeometry(r, r, width, seg), tyre, { at, rot: [90, 0, 0] });
  p.add(new THREE.CylinderGeometry(r * 0.55, r * 0.55, width * 1.08, 10), hub, { at, rot: [90, 0, 0] });
}

// ---------------------------------------------------------------------------------------------
// Quadruped

export type EarKind = 'pointy' | 'floppy' | 'round' | 'long' | 'big' | 'small' | 'none';
export type TailKind = 'thin' | 'bushy' | 'stub' | 'curl' | 'tuft' | 'hair' | 'none';

export interface QuadOpts {
  /** Body ellipsoid: length (x), half height (y), half width (z). */
  bodyLen: number;
  bodyH: number;
  bodyW: number;
  /** Leg length from body underside to ground, and radius. */
  legLen: number;
  legR: number;
  /** Upper-leg thickening factor (1 = straight). */
  thigh?: number;
  neckLen: number;
  /** Neck angle above horizontal (deg). */
  neckAngle: number;
  neckR: number;
  headR: number;
  /** Head elongation along its facing (x semi-axis = headR * headLong). */
  headLong?: number;
  snoutLen: number;
  snoutR: number;
  /** Head pitch down (deg). */
  headTilt?: number;
  ears: EarKind;
  earSize: number;
  tail: TailKind;
  tailLen: number;
  tailR?: number;
  /** Tail angle above horizontal, pointing backwards (deg). */
  tailAngle?: number;
  fur: THREE.Material;
  legMat?: THREE.Material;
  /** Head and snout material (defaults to fur). */
  headMat?: THREE.Material;
  earMat?: THREE.Material;
  tailMat?: THREE.Material;
  /** Rounded paws at the feet (dogs, cats, bears). */
  paws?: boolean;
  /** Tuft at the end of a 'tuft' tail. */
  tailTip?: THREE.Material;
  feet?: THREE.Material;
  eye: THREE.Material;
  nose: THREE.Material;
  /** Lower body line: the belly y offset (fraction of bodyH) the legs start from. */
  hipDrop?: number;
  /** Leg x position as fraction of half body length. */
  legInset?: number;
}

export interface QuadAnchors {
  /** Centre of the body. */
  body: V3;
  /** Neck base and top. */
  neckBase: V3;
  neckTop: V3;
  /** Head centre and the direction the head faces (unit, in xy). */
  head: V3;
  facing: [number, number];
  /** Tip of the snout. */
  snoutTip: V3;
  /** Tail root. */
  rump: V3;
}

/** A four-legged animal, facing +x, standing on y = 0. */
export function quadruped(p: Parts, o: QuadOpts): QuadAnchors {
  const hl = o.bodyLen / 2;
  const cy = o.legLen + o.bodyH * (1 - (o.hipDrop ?? 0.3));
  const body: V3 = [0, cy, 0];
  p.ell(o.fur, body, [hl, o.bodyH, o.bodyW], 20);
  // Legs.
  const legMat = o.legMat ?? o.fur;
  const lx = hl * (o.legInset ?? 0.68);
  const lz = o.bodyW * 0.55;
  const thigh = o.thigh ?? 1;
  for (const sx of [1, -1]) {
    for (const sz of [1, -1]) {
      const top: V3 = [sx * lx, cy, sz * lz];
      const foot: V3 = [sx * lx + (sx > 0 ? 0 : 0.02 * o.legLen), o.legR, sz * lz];
      p.rod(legMat, top, foot, o.legR, 8);
      if (thigh > 1.01) p.ell(legMat, [sx * lx, cy - o.bodyH * 0.35, sz * lz], [o.legR * thigh, o.bodyH * 0.55, o.legR * thigh * 0.9], 10);
      if (o.paws) p.ell(legMat, [foot[0] + o.legR * 0.5, o.legR * 0.75, foot[2]], [o.legR * 1.6, o.legR * 0.75, o.legR * 1.15], 8);
      if (o.feet) p.cyl(o.feet, [foot[0], 0, foot[2]], [foot[0], o.legR * 1.4, foot[2]], o.legR * 1.15, o.legR * 1.05, 8);
    }
  }
  // Neck and head.
  const na = o.neckAngle * DEG;
  const neckBase: V3 = [hl * 0.72, cy + o.bodyH * 0.35, 0];
  const neckTop: V3 = [neckBase[0] + o.neckLen * Math.cos(na), neckBase[1] + o.neckLen * Math.sin(na), 0];
  if (o.neckLen > 0.01) p.rod(o.fur, neckBase, neckTop, o.neckR, 12);
  const tilt = (o.headTilt ?? 0) * DEG;
  const facing: [number, number] = [Math.cos(-tilt), Math.sin(-tilt)];
  const hr = o.headR;
  const hx = hr * (o.headLong ?? 1.15);
  const head: V3 = [neckTop[0] + facing[0] * hx * 0.45, neckTop[1] + facing[1] * hx * 0.45 + hr * 0.15, 0];
  const headMat = o.headMat ?? o.fur;
  p.ell(headMat, head, [hx, hr, hr * 0.88], 16, [0, 0, -(o.headTilt ?? 0)]);
  // Snout: an ellipsoid reaching forward (and down with the tilt).
  const sl = o.snoutLen;
  const sc: V3 = [head[0] + facing[0] * (hx * 0.6 + sl * 0.5) + facing[1] * 0, head[1] + facing[1] * (hx * 0.6 + sl * 0.5) - hr * 0.28, 0];
  if (sl > 0.005) p.ell(headMat, sc, [sl * 0.5 + o.snoutR * 0.6, o.snoutR, o.snoutR * 0.92], 12, [0, 0, -(o.headTilt ?? 0)]);
  const snoutTip: V3 = [sc[0] + facing[0] * (sl * 0.5 + o.snoutR * 0.55), sc[1] + facing[1] * (sl * 0.5 + o.snoutR * 0.55) + o.snoutR * 0.2, 0];
  p.ell(o.nose, snoutTip, [o.snoutR * 0.28, o.snoutR * 0.3, o.snoutR * 0.45], 8);
  // Eyes.
  const er = hr * 0.16;
  for (const sz of [1, -1]) {
    p.ell(o.eye, [head[0] + facing[0] * hx * 0.45, head[1] + hr * 0.32, sz * hr * 0.7], er, 8);
  }
  // Ears.
  const earMat = o.earMat ?? o.fur;
  const es = o.earSize;
  for (const sz of [1, -1]) {
    const base: V3 = [head[0] - hx * 0.25, head[1] + hr * 0.75, sz * hr * 0.5];
    switch (o.ears) {
      case 'pointy':
        p.add(new THREE.ConeGeometry(es * 0.45, es, 4), earMat, { at: [base[0], base[1] + es * 0.4, base[2]], rot: [sz * -15, 45, 0], scale: [1, 1, 0.5] });
        break;
      case 'small':
        p.add(new THREE.ConeGeometry(es * 0.35, es, 6), earMat, { at: [base[0] - es * 0.2, base[1] + es * 0.3, base[2] * 0.9], rot: [sz * -25, 0, 30], scale: [1, 1, 0.5] });
        break;
      case 'floppy':
        p.ell(earMat, [head[0] - hx * 0.2, head[1] - es * 0.2, sz * hr * 0.92], [es * 0.32, es * 0.6, es * 0.1], 10, [sz * 12, 0, 10]);
        break;
      case 'round':
        p.ell(earMat, [base[0], base[1] + es * 0.15, base[2] * 1.2], [es * 0.35, es * 0.35, es * 0.14], 10);
        break;
      case 'long':
        p.ell(earMat, [base[0] - es * 0.15, base[1] + es * 0.5, base[2] * 0.7], [es * 0.16, es * 0.55, es * 0.07], 10, [sz * -10, 0, 15]);
        break;
      case 'big':
        p.ell(earMat, [head[0] - hx * 0.55, head[1] - es * 0.1, sz * (hr * 0.85 + es * 0.05)], [es * 0.42, es * 0.55, es * 0.06], 14, [0, sz * 20, -8]);
        break;
      case 'none':
        break;
    }
  }
  // Tail.
  const rump: V3 = [-hl * 0.92, cy + o.bodyH * 0.35, 0];
  const ta = (o.tailAngle ?? 20) * DEG;
  const tl = o.tailLen;
  const tr = o.tailR ?? o.legR * 0.45;
  const tailMat = o.tailMat ?? o.fur;
  const tipOf = (len: number): V3 => [rump[0] - len * Math.cos(ta), rump[1] + len * Math.sin(ta), 0];
  switch (o.tail) {
    case 'thin':
      p.tube(tailMat, [rump, [rump[0] - tl * 0.45 * Math.cos(ta), rump[1] + tl * 0.35 * Math.sin(ta), 0], tipOf(tl), [rump[0] - tl * Math.cos(ta) * 0.95 + tl * 0.1, rump[1] + tl * Math.sin(ta) + tl * 0.15, 0]], tr, 12, 6);
      break;
    case 'bushy':
      p.ell(tailMat, tipOf(tl * 0.5), [tl * 0.55, tr * 2.2, tr * 2.2], 10, [0, 0, -(o.tailAngle ?? 20)]);
      break;
    case 'stub':
      p.ell(tailMat, tipOf(tl * 0.2), [tl * 0.3, tl * 0.25, tl * 0.25], 8);
      break;
    case 'curl': {
      const c: V3 = [rump[0] - tl * 0.3, rump[1] + tl * 0.1, 0];
      p.add(new THREE.TorusGeometry(tl * 0.22, tr, 6, 12, Math.PI * 1.6), tailMat, { at: c, rot: [0, 0, 0] });
      break;
    }
    case 'tuft': {
      const down: V3 = [rump[0] - tl * 0.15, rump[1] - tl, 0];
      p.rod(tailMat, rump, down, tr, 6);
      p.ell(o.tailTip ?? tailMat, [down[0], down[1] - tr * 2, 0], [tr * 1.8, tr * 3.5, tr * 1.8], 8);
      break;
    }
    case 'hair':
      p.add(new THREE.ConeGeometry(tr * 2.2, tl, 8), tailMat, { at: [rump[0] - tl * 0.25, rump[1] - tl * 0.42, 0], rot: [0, 0, -18] });
      break;
    case 'none':
      break;
  }
  return { body, neckBase, neckTop, head, facing, snoutTip, rump };
}
