/**
 * Buildings, in metres. The main material is the walls; roofs, windows, doors and trim are
 * secondary. The entrance faces +x.
 */
import * as THREE from 'three';
import type { AssetClass } from '../kit.js';
import { Parts, pick, lerp, arc, type V3, type P2 } from './parts.js';

const GLASS = '#2a3a4a';
const TRIM = '#f4f2ec';
const DOOR = '#5a3a22';

function glassMat(p: Parts): THREE.Material {
  return p.mat(GLASS, 0.3, 0.1);
}

/** A window with a frame on a wall facing +x (rot 0) or ±z, centre `at`, size w x h. */
function windowOn(p: Parts, at: V3, w: number, h: number, facing: 'x' | 'z' | '-z' | '-x', frame: THREE.Material, glass: THREE.Material): void {
  const along = facing === 'x' || facing === '-x' ? [0.12, h, w] : [w, h, 0.12];
  const fr = facing === 'x' || facing === '-x' ? [0.1, h + 0.2, w + 0.2] : [w + 0.2, h + 0.2, 0.1];
  p.box(frame, at, fr as V3);
  p.box(glass, at, along as V3);
  // a mullion cross
  if (facing === 'x' || facing === '-x') {
    p.box(frame, at, [0.14, h, 0.06]);
    p.box(frame, at, [0.14, 0.06, w]);
  } else {
    p.box(frame, at, [0.06, h, 0.14]);
    p.box(frame, at, [w, 0.06, 0.14]);
  }
}

/** A gable roof over a D (x) by W (z) box of height h, ridge along z; returns nothing. Gable ends in `wall`. */
function gableRoof(p: Parts, wall: THREE.Material, roof: THREE.Material, D: number, W: number, h: number, rise: number, over = 0.4, ridgeAlongX = false): void {
  const rot: V3 = ridgeAlongX ? [0, 90, 0] : [0, 0, 0];
  const g = p.sub({ rot });
  const d = ridgeAlongX ? W : D;
  const w = ridgeAlongX ? D : W;
  g.slab(wall, [[-d / 2, h], [d / 2, h], [0, h + rise]], w);
  const half = d / 2 + over;
  const len = Math.hypot(half, rise * (half / (d / 2)));
  const ang = (Math.atan2(rise, d / 2) * 180) / Math.PI;
  for (const s of [1, -1]) {
    g.box(roof, [(s * half) / 2, h + rise / 2 - (over * rise) / d + 0.08, 0], [len, 0.18, w + over * 2], [0, 0, -s * ang]);
  }
}

export const BUILDING_CLASSES: AssetClass[] = [
  {
    name: 'house', family: 'building', variants: ['cottage', 'two-story', 'bungalow'],
    params: { width: [0.88, 1.15], wallHeight: [0.9, 1.12], roofPitch: [0.75, 1.3], chimney: [0, 1] },
    surface: (v) => ({ color: pick(['#efe4cc', '#d8d0c8', '#c8dce8'], v), roughness: 0.85, texture: v === 1 ? 'brick' : undefined }),
    build(b, v, p) {
      const parts = new Parts(b);
      const D = [6, 7, 8][v];
      const W = [8, 9, 12][v] * p.width;
      const H = [3, 6, 3.2][v] * p.wallHeight;
      const rise = [3.4, 2.8, 1.6][v] * p.roofPitch;
      const roof = parts.mat(pick(['#8a3a2a', '#3a3a40', '#6a4a3a'], v), 0.8);
      const frame = parts.mat(TRIM, 0.6);
      const gl = glassMat(parts);
      parts.box(b.main, [0, H / 2, 0], [D, H, W]);
      parts.box(frame, [0, 0.2, 0], [D + 0.1, 0.4, W + 0.1]);
      if (v === 2) {
        // low hipped roof: a flattened four-sided pyramid stretched along z, and a porch
        parts.add(new THREE.ConeGeometry(1, 1, 4).rotateY(Math.PI / 4), roof, { at: [0, H + rise / 2, 0], scale: [(D / 2 + 0.6) * Math.SQRT2, rise, (W / 2 + 0.6) * Math.SQRT2] });
        parts.box(roof, [D / 2 + 1.2, H - 0.1, 0], [2.6, 0.2, W * 0.5]);
        for (const sz of [1, -1]) parts.box(frame, [D / 2 + 2.3, (H - 0.2) / 2, sz * W * 0.23], [0.2, H - 0.2, 0.2]);
        parts.box(frame, [D / 2 + 1.2, 0.15, 0], [2.6, 0.3, W * 0.5]);
      } else {
        gableRoof(parts, b.main, roof, D, W, H, rise);
      }
      // door and windows on the front (+x) and the sides (±z)
      parts.box(parts.mat(DOOR, 0.7), [D / 2 + 0.02, 1.1, 0], [0.1, 2.2, 1.1]);
      parts.box(frame, [D / 2 + 0.01, 1.15, 0], [0.08, 2.4, 1.3]);
      const floors = v === 1 ? [1.6, 4.5] : [1.7];
      for (const y of floors) {
        for (const z of y > 3 ? [-W * 0.3, 0, W * 0.3] : [-W * 0.3, W * 0.3]) windowOn(parts, [D / 2 + 0.02, y * p.wallHeight, z], 1.2, 1.3, 'x', frame, gl);
        for (const s of [1, -1]) for (const x of [-D * 0.22, D * 0.22]) windowOn(parts, [x, y * p.wallHeight, s * (W / 2 + 0.02)], 1.1, 1.2, s > 0 ? 'z' : '-z', frame, gl);
      }
      if (v !== 2) windowOn(parts, [0, H + rise * 0.38, W / 2 + 0.02], 0.8, 0.8, 'z', frame, gl);
      if (p.chimney > 0.35 || v === 0) {
        const brick = roof;
        const cz = W * 0.3;
        const cx = -D * 0.2;
        const roofAt = H + rise * (1 - Math.abs(cx) / (D / 2));
        parts.box(brick, [cx, (roofAt + H + rise + 0.8) / 2, cz], [0.8, H + rise + 0.8 - roofAt + 0.6, 0.8]);
      }
      parts.flush();
    },
  },
  {
    name: 'tower', family: 'building', variants: ['castle', 'lighthouse', 'clock-tower'],
    params: { height: [0.85, 1.15], girth: [0.85, 1.15], topSize: [0.85, 1.2], taper: [0.8, 1.0] },
    surface: (v) => ({ color: pick(['#a8a498', '#f2f0ea', '#b89a78'], v), roughness: 0.9, texture: v === 0 ? 'noise' : v === 2 ? 'brick' : undefined }),
    build(b, v, p) {
      const parts = new Parts(b);
      const H = [14, 18, 20][v] * p.height;
      const R = [3, 2.2, 2.4][v] * p.girth;
      const ts = p.topSize;
      const dark = parts.mat('#1a1a1e', 0.8);
      if (v === 0) {
        parts.cyl(b.main, [0, 0, 0], [0, H, 0], R * p.taper * 0.95, R, 16);
        parts.cyl(b.main, [0, H - 0.2, 0], [0, H + 1.2, 0], R * 1.18 * ts, R * 1.18 * ts, 16);
        parts.cyl(b.main, [0, H - 1.0, 0], [0, H - 0.2, 0], R * 1.18 * ts, R * 0.95, 16);
        const n = 10;
        for (let i = 0; i < n; i++) {
          const a = (i / n) * Math.PI * 2;
          parts.box(b.main, [Math.cos(a) * R * 1.08 * ts, H + 1.8, Math.sin(a) * R * 1.08 * ts], [0.9, 1.2, 0.5], [0, (-a * 180) / Math.PI + 90, 0]);
        }
        // arrow slits and an arched door
        for (const [y, a] of [[0.35, 0.3], [0.55, -0.4], [0.75, 0.2], [0.55, 1.2]] as [number, number][]) {
          const r = lerp(R, R * p.taper * 0.95, y) + 0.02;
          parts.box(dark, [Math.cos(a) * r, H * y, Math.sin(a) * r], [0.2, 1.4, 0.35], [0, (-a * 180) / Math.PI, 0]);
        }
        parts.slab(parts.mat(DOOR, 0.8), [[-0.8, 0], [0.8, 0], ...arc(0, 2.0, 0.8, 0, 180, 6).slice(1, -1), [-0.8, 2.0]], 0.3, { at: [R - 0.05, 0, 0], rot: [0, 90, 0] });
      } else if (v === 1) {
        // striped tapering tower, gallery, lantern and dome
        const rt = R * 0.62 * p.taper;
        const red = parts.mat('#c42a22', 0.6);
        const bands = 5;
        for (let i = 0; i < bands; i++) {
          const y0 = (i / bands) * H;
          const y1 = ((i + 1) / bands) * H;
          parts.cyl(i % 2 ? red : b.main, [0, y0, 0], [0, y1, 0], lerp(R, rt, i / bands), lerp(R, rt, (i + 1) / bands), 16);
        }
        parts.cyl(dark, [0, H, 0], [0, H + 0.3, 0], rt * 1.5 * ts, rt * 1.5 * ts, 16);
        parts.add(new THREE.TorusGeometry(rt * 1.45 * ts, 0.05, 4, 20), dark, { at: [0, H + 1.1, 0], rot: [90, 0, 0] });
        const gl = parts.mat('#f8e8a0', 0.1, 0.2);
        parts.cyl(gl, [0, H + 0.3, 0], [0, H + 2.3, 0], rt * 0.85 * ts, rt * 0.85 * ts, 12);
        for (let i = 0; i < 6; i++) {
          const a = (i / 6) * Math.PI * 2;
          parts.cyl(dark, [Math.cos(a) * rt * 0.86 * ts, H + 0.3, Math.sin(a) * rt * 0.86 * ts], [Math.cos(a) * rt * 0.86 * ts, H + 2.3, Math.sin(a) * rt * 0.86 * ts], 0.06, 0.06, 4);
        }
        parts.add(new THREE.SphereGeometry(rt * 0.95 * ts, 14, 6, 0, Math.PI * 2, 0, Math.PI / 2), red, { at: [0, H + 2.3, 0] });
        parts.cyl(dark, [0, H + 2.3 + rt * 0.9 * ts, 0], [0, H + 3.2 + rt * 0.9 * ts, 0], 0.08, 0.03, 6);
        parts.box(parts.mat(DOOR, 0.8), [R - 0.05, 1.1, 0], [0.3, 2.2, 1.1]);
        parts.cyl(dark, [0, 0, 0], [0, 0.5, 0], R * 1.4, R * 1.45, 16);
      } else {
        // square clock tower: shaft, clock stage, belfry and a pyramid spire
        const w = R * 2;
        const ws = w * p.taper;
        parts.box(b.main, [0, H * 0.4, 0], [w, H * 0.8, w]);
        const stone = parts.mat('#f4f0e4', 0.5);
        parts.box(stone, [0, H * 0.8 + 0.2, 0], [w + 0.4, 0.4, w + 0.4]);
        parts.box(b.main, [0, H * 0.8 + 0.4 + (w * ts) / 2, 0], [ws * ts, w * ts, ws * ts]);
        const face = parts.mat('#f4f0e4', 0.5);
        const cy = H * 0.8 + 0.4 + (w * ts) / 2;
        const cr = ws * ts * 0.38;
        for (const [dir, rot] of [[[1, 0, 0], [0, 0, 90]], [[-1, 0, 0], [0, 0, 90]], [[0, 0, 1], [90, 0, 0]], [[0, 0, -1], [90, 0, 0]]] as [V3, V3][]) {
          const off = (ws * ts) / 2 + 0.05;
          const c: V3 = [dir[0] * off, cy, dir[2] * off];
          parts.add(new THREE.CylinderGeometry(cr, cr, 0.12, 20), face, { at: c, rot });
          parts.add(new THREE.TorusGeometry(cr, 0.08, 4, 20), dark, { at: c, rot: dir[0] ? [0, 90, 0] : [0, 0, 0] });
          const hand = (len: number, ang: number) => {
            const a = (ang * Math.PI) / 180;
            const u: V3 = dir[0] ? [0, Math.cos(a), Math.sin(a)] : [Math.sin(a), Math.cos(a), 0];
            parts.cyl(dark, [c[0] + dir[0] * 0.08, c[1], c[2] + dir[2] * 0.08], [c[0] + dir[0] * 0.08 + u[0] * len, c[1] + u[1] * len, c[2] + dir[2] * 0.08 + u[2] * len], 0.06, 0.04, 4);
          };
          hand(cr * 0.55, 60);
          hand(cr * 0.85, -30);
        }
        const top = H * 0.8 + 0.4 + w * ts;
        parts.box(stone, [0, top + 0.15, 0], [ws * ts + 0.5, 0.3, ws * ts + 0.5]);
        parts.add(new THREE.ConeGeometry(((ws * ts) / 2 + 0.2) * Math.SQRT2, w * 1.6, 4), parts.mat('#3a5a4a', 0.6, 0.3), { at: [0, top + 0.3 + w * 0.8, 0], rot: [0, 45, 0] });
        parts.box(dark, [w / 2 + 0.03, 1.4, 0], [0.1, 2.8, 1.4]);
        for (const y of [0.3, 0.55]) parts.box(dark, [w / 2 + 0.03, H * y, 0], [0.1, 1.6, 0.8]);
      }
      parts.flush();
    },
  },
  {
    name: 'barn', family: 'building', variants: ['gambrel', 'gable', 'with-silo'],
    params: { length: [0.85, 1.2], height: [0.9, 1.12], roofPitch: [0.8, 1.2], doorSize: [0.85, 1.1] },
    surface: (v) => ({ color: pick(['#a82a20', '#8a3020', '#b0301e'], v), roughness: 0.85, texture: 'wood' }),
    build(b, v, p) {
      const parts = new Parts(b);
      const D = 10;
      const L = 14 * p.length;
      const H = 4.5 * p.height;
      const rp = p.roofPitch;
      const trim = parts.mat(TRIM, 0.7);
      const roof = parts.mat(pick(['#4a4a4e', '#6a6a6e', '#3a3a40'], v), 0.6, 0.3);
      // the gable end faces +x: the ridge runs along x and the length is along x
      const outline: P2[] = v === 1
        ? [[-D / 2, 0], [D / 2, 0], [D / 2, H], [0, H + 3.5 * rp], [-D / 2, H]]
        : [[-D / 2, 0], [D / 2, 0], [D / 2, H], [D * 0.34, H + 2.6 * rp], [0, H + 3.6 * rp], [-D * 0.34, H + 2.6 * rp], [-D / 2, H]];
      const walls = parts.sub({ rot: [0, 90, 0] });
      walls.slab(b.main, outline, L);
      // roof: a band following the top of the outline, extruded along the length
      const top = outline.slice(2);
      const o = 0.35;
      const grow = (q: P2): P2 => [q[0] * (1 + o / (D / 2)), q[1] + o * 0.8];
      walls.slab(roof, [...top.map(grow), ...[...top].reverse()], L + 0.8);
      // big doors with X braces on the front gable, a hayloft door above
      const ds = p.doorSize;
      const dw = 4.2 * ds;
      const dh = 3.6 * ds;
      const fx = L / 2 + 0.06;
      parts.box(b.main, [fx, dh / 2, 0], [0.1, dh, dw]);
      parts.box(trim, [fx + 0.02, dh, 0], [0.12, 0.2, dw + 0.2]);
      for (const s of [1, -1]) parts.box(trim, [fx + 0.02, dh / 2, s * (dw / 2 + 0.05)], [0.12, dh, 0.2]);
      parts.box(trim, [fx + 0.02, dh / 2, 0], [0.12, dh, 0.15]);
      for (const s of [1, -1]) {
        const diag = (Math.atan2(dw / 2, dh) * 180) / Math.PI;
        for (const t of [1, -1]) parts.box(trim, [fx + 0.03, dh / 2, s * dw * 0.25], [0.1, Math.hypot(dh, dw / 2), 0.16], [t * diag, 0, 0]);
      }
      parts.box(trim, [fx, H + 1.0, 0], [0.1, 1.6, 1.6]);
      parts.box(glassMat(parts), [fx + 0.02, H + 1.0, 0], [0.1, 1.3, 1.3]);
      // trim on the corners, small windows on the long sides
      for (const sx of [1, -1]) for (const sz of [1, -1]) parts.box(trim, [sx * L / 2, H / 2, sz * D / 2], [0.25, H, 0.25]);
      for (const s of [1, -1]) for (const x of [-L * 0.3, 0, L * 0.3]) windowOn(parts, [x, H * 0.6, s * (D / 2 + 0.03)], 1.0, 1.0, s > 0 ? 'z' : '-z', trim, glassMat(parts));
      if (v === 2) {
        // silo with a dome, beside the barn
        const sr = 2.4;
        const sh = H + 7 * p.height;
        const silo = parts.mat('#c8c8c4', 0.5, 0.5, 'metal');
        parts.cyl(silo, [-L * 0.25, 0, -D / 2 - sr - 0.3], [-L * 0.25, sh, -D / 2 - sr - 0.3], sr, sr, 18);
        parts.add(new THREE.SphereGeometry(sr, 16, 6, 0, Math.PI * 2, 0, Math.PI / 2), roof, { at: [-L * 0.25, sh, -D / 2 - sr - 0.3] });
        for (let i = 1; i < 5; i++) parts.add(new THREE.TorusGeometry(sr + 0.02, 0.06, 4, 18), roof, { at: [-L * 0.25, (i * sh) / 5, -D / 2 - sr - 0.3], rot: [90, 0, 0] });
      }
      parts.flush();
    },
  },
  {
    name: 'church', family: 'building', variants: ['chapel', 'village', 'cathedral'],
    params: { length: [0.85, 1.15], spireHeight: [0.8, 1.25], wallHeight: [0.9, 1.12], towerWidth: [0.85, 1.15] },
    surface: (v) => ({ color: pick(['#f2eee4', '#c8c0b0', '#b8ae9c'], v), roughness: 0.9, texture: v === 0 ? undefined : 'noise' }),
    build(b, v, p) {
      const parts = new Parts(b);
      const L = [10, 16, 22][v] * p.length;
      const W = [6, 8, 11][v];
      const H = [4.5, 6.5, 10][v] * p.wallHeight;
      const roof = parts.mat(pick(['#6a3a2a', '#4a4a52', '#3a4a4a'], v), 0.7, 0.2);
      const gl = parts.mat('#2a3a6a', 0.2, 0.3);
      const dark = parts.mat('#2a2a2e', 0.8);
      // nave, ridge along x, entrance at +x
      parts.box(b.main, [0, H / 2, 0], [L, H, W]);
      gableRoof(parts, b.main, roof, L, W, H, W * 0.55, 0.4, true);
      // arched windows on the long sides
      const nwin = Math.max(3, Math.round(L / 4));
      const ww = v === 2 ? 1.4 : 1.0;
      const wh = H * 0.5;
      const archWin: P2[] = [[-ww / 2, 0], [ww / 2, 0], ...arc(0, wh - ww / 2, ww / 2, 0, 180, 6).slice(1, -1), [-ww / 2, wh - ww / 2]];
      for (const s of [1, -1]) for (let i = 0; i < nwin; i++) parts.slab(gl, archWin, 0.1, { at: [-L / 2 + (i + 0.5) * (L / nwin), H * 0.3, s * (W / 2 + 0.02)] });
      const cross = parts.mat('#c8a040', 0.3, 0.8);
      const addCross = (at: V3, s: number) => {
        parts.box(cross, [at[0], at[1] + s * 0.6, at[2]], [0.12 * s, 1.2 * s, 0.12 * s]);
        parts.box(cross, [at[0], at[1] + s * 0.8, at[2]], [0.12 * s, 0.12 * s, 0.7 * s]);
      };
      const tw = [2.2, 3.6, 4.2][v] * p.towerWidth;
      const sh = [3, 9, 10][v] * p.spireHeight;
      if (v === 0) {
        // bell-cote on the front of the ridge
        const y = H + W * 0.55;
        const x = L / 2 - 0.8;
        for (const s of [1, -1]) parts.box(b.main, [x, y + 0.8, s * 0.6], [0.5, 1.8, 0.3]);
        parts.box(roof, [x, y + 1.8, 0], [0.8, 0.3, 1.7]);
        parts.ell(parts.mat('#c8a040', 0.3, 0.8), [x, y + 1.2, 0], [0.35, 0.4, 0.35], 8);
        addCross([x, y + 1.9, 0], 1.2);
        parts.slab(dark, [[-0.9, 0], [0.9, 0], ...arc(0, 1.8, 0.9, 0, 180, 6).slice(1, -1), [-0.9, 1.8]], 0.2, { at: [L / 2 + 0.02, 0, 0], rot: [0, 90, 0] });
        parts.ell(gl, [L / 2 + 0.02, H + 1.2, 0], [0.05, 0.8, 0.8], 12);
      } else {
        const towers = v === 1 ? [0] : [W / 2 - tw / 2 + 0.6, -(W / 2 - tw / 2 + 0.6)];
        const th = H * (v === 1 ? 1.9 : 1.7);
        for (const z of towers) {
          const x = L / 2 + tw / 2 - 0.3;
          parts.box(b.main, [x, th / 2, z], [tw, th, tw]);
          parts.box(dark, [x, th * 0.82, z], [tw + 0.05, th * 0.12, tw * 0.4]);
          parts.box(dark, [x, th * 0.82, z], [tw * 0.4, th * 0.12, tw + 0.05]);
          parts.box(b.main, [x, th + 0.15, z], [tw + 0.4, 0.3, tw + 0.4]);
          parts.add(new THREE.ConeGeometry((tw / 2) * Math.SQRT2, sh, 4), roof, { at: [x, th + 0.3 + sh / 2, z], rot: [0, 45, 0] });
          addCross([x, th + 0.3 + sh - 0.1, z], v === 2 ? 1.6 : 1.3);
          for (const y of [0.35, 0.6]) parts.slab(gl, archWin.map(([a, c]) => [a * 0.6, c * 0.6] as P2), 0.1, { at: [x, th * y, z + tw / 2 + 0.02] });
        }
        const fx = L / 2 + (v === 1 ? tw : 0.02) - 0.28;
        const dw = v === 2 ? 1.8 : 1.1;
        parts.slab(dark, [[-dw, 0], [dw, 0], ...arc(0, 2.4, dw, 0, 180, 8).slice(1, -1), [-dw, 2.4]], 0.3, { at: [fx, 0, 0], rot: [0, 90, 0] });
        if (v === 2) {
          // rose window between the towers
          parts.add(new THREE.CylinderGeometry(1.6, 1.6, 0.2, 16), gl, { at: [L / 2 + 0.05, H * 0.75, 0], rot: [0, 0, 90] });
          parts.add(new THREE.TorusGeometry(1.6, 0.18, 4, 16), b.main, { at: [L / 2 + 0.1, H * 0.75, 0], rot: [0, 90, 0] });
          // buttresses
          for (const s of [1, -1]) for (let i = 0; i <= nwin; i++) parts.box(b.main, [-L / 2 + i * (L / nwin), H * 0.4, s * (W / 2 + 0.35)], [0.6, H * 0.8, 0.7]);
        }
      }
      parts.flush();
    },
  },
  {
    name: 'skyscraper', family: 'building', variants: ['glass', 'stepped', 'spire'],
    params: { height: [0.85, 1.2], width: [0.85, 1.15], floors: [0.8, 1.2], crown: [0.8, 1.25] },
    surface: (v) => ({ color: pick(['#6a8aa8', '#c8bca8', '#9aa4ae'], v), roughness: v === 0 ? 0.2 : 0.7, metalness: v === 0 ? 0.5 : 0.1 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const H = [80, 90, 110][v] * p.height;
      const w = [22, 30, 24][v] * p.width;
      const floorH = 3.6 / p.floors;
      const win = parts.mat(v === 0 ? '#1e2e40' : '#2a3440', 0.15, 0.5);
      const steel = parts.mat('#d0d4d8', 0.3, 0.8);
      // blocks: [width, bottom, top]
      const blocks: [number, number, number][] = v === 1
        ? [[w, 0, H * 0.55], [w * 0.72, H * 0.55, H * 0.8], [w * 0.45, H * 0.8, H]]
        : [[w, 0, H]];
      for (const [bw, y0, y1] of blocks) {
        parts.box(b.main, [0, (y0 + y1) / 2, 0], [bw, y1 - y0, bw]);
        // window bands wrap all four sides, one per floor
        for (let y = y0 + floorH * (y0 === 0 ? 1.2 : 0.3); y + floorH * 0.6 < y1; y += floorH) parts.box(win, [0, y + floorH * 0.3, 0], [bw + 0.1, floorH * 0.55, bw + 0.1]);
        // vertical mullions / piers over the bands
        const n = v === 0 ? 8 : 5;
        for (let i = 0; i <= n; i++) {
          const c = -bw / 2 + (i * bw) / n;
          const pier = v === 0 ? steel : b.main;
          const t = v === 0 ? 0.25 : 0.9;
          const f = bw / 2 + 0.1;
          for (const s of [1, -1]) {
            parts.box(pier, [c, (y0 + y1) / 2, s * f], [t, y1 - y0, 0.3]);
            parts.box(pier, [s * f, (y0 + y1) / 2, c], [0.3, y1 - y0, t]);
          }
        }
        parts.box(b.main, [0, y1 + 0.5, 0], [bw + 0.6, 1.0, bw + 0.6]);
      }
      // lobby
      parts.box(win, [0, 3, 0], [w + 0.2, 5, w * 0.6]);
      const top = blocks[blocks.length - 1];
      const tw = top[0];
      const cr = p.crown;
      if (v === 0) {
        parts.box(steel, [0, H + 2.5, 0], [tw * 0.6, 4, tw * 0.6]);
        parts.cyl(steel, [tw * 0.15, H + 4.5, 0], [tw * 0.15, H + 4.5 + 12 * cr, 0], 0.4, 0.2, 6);
      } else if (v === 1) {
        parts.add(new THREE.ConeGeometry(tw * 0.5, 10 * cr, 4), steel, { at: [0, H + 1 + 5 * cr, 0], rot: [0, 45, 0] });
      } else {
        // tapering crown and a tall spire
        for (let i = 0; i < 3; i++) parts.box(b.main, [0, H + 1 + i * 3, 0], [tw * (0.8 - i * 0.2), 3, tw * (0.8 - i * 0.2)]);
        parts.cyl(steel, [0, H + 9, 0], [0, H + 9 + 35 * cr, 0], 0.8, 0.1, 8);
      }
      parts.flush();
    },
  },
];
