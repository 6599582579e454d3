/**
 * Plants: trees, conifers, cacti, house plants, flowers and mushrooms. The main material is the
 * foliage (or the pot, for a potted plant; the cap, for a mushroom; the petals, for a flower).
 */
import * as THREE from 'three';
import type { AssetClass } from '../kit.js';
import { Parts, pick, lerp, type V3, type P2 } from './parts.js';

const BARK = '#5a3e28';
const TERRACOTTA = '#b8603a';

/** A terracotta-style pot (lathe with a rim) of height h and top radius r, with soil; returns the soil height. */
function pot(p: Parts, mat: THREE.Material, r: number, h: number, soil = '#3a2a1e'): number {
  const rb = r * 0.72;
  p.lathe(mat, [[0, 0], [rb, 0], [r * 0.92, h * 0.82], [r, h * 0.82], [r, h], [r * 0.9, h], [r * 0.84, h * 0.86], [0, h * 0.86]], 20);
  p.add(new THREE.CircleGeometry(r * 0.86, 16), p.mat(soil, 0.95), { at: [0, h * 0.92, 0], rot: [-90, 0, 0] });
  return h * 0.92;
}

/** Canopy blobs: [x, y, z, r] in units of the canopy radius. */
const OAK_BLOBS: [number, number, number, number][] = [
  [0, 0.55, 0, 0.75], [0.65, 0.2, 0.2, 0.55], [-0.6, 0.25, -0.1, 0.55], [0.15, 0.2, 0.65, 0.5], [-0.1, 0.25, -0.65, 0.52],
  [0.4, 0.75, -0.35, 0.45], [-0.4, 0.7, 0.35, 0.45], [0.5, 0.0, -0.45, 0.4], [-0.45, 0.05, 0.5, 0.4],
];

export const PLANT_CLASSES: AssetClass[] = [
  {
    name: 'tree', family: 'plant', variants: ['oak', 'birch', 'poplar'],
    params: { trunkHeight: [0.8, 1.2], canopySize: [0.85, 1.15], canopyWidth: [0.85, 1.2], trunkThickness: [0.8, 1.25] },
    surface: (v) => ({ color: pick(['#3f7a2e', '#6a9a3a', '#4a8034'], v), roughness: 0.9 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const th = [2.2, 2.8, 1.4][v] * p.trunkHeight;
      const tr = [0.32, 0.16, 0.2][v] * p.trunkThickness;
      const bark = parts.mat(v === 1 ? '#e8e4dc' : BARK, 0.9);
      const cr = [2.0, 1.3, 1.0][v] * p.canopySize;
      const cw = p.canopyWidth;
      parts.cyl(bark, [0, 0, 0], [0, th + cr * 0.4, 0], tr, tr * 0.55, 10);
      // roots flare
      parts.cyl(bark, [0, 0, 0], [0, tr * 1.5, 0], tr * 1.5, tr, 10);
      if (v === 0) {
        for (const [a, e] of [[30, 50], [160, 45], [270, 55]]) {
          const rad = (a * Math.PI) / 180;
          const el = (e * Math.PI) / 180;
          parts.cyl(bark, [0, th * 0.85, 0], [Math.cos(rad) * cr * 0.6 * cw * Math.cos(el), th * 0.85 + cr * 0.6 * Math.sin(el), Math.sin(rad) * cr * 0.6], tr * 0.5, tr * 0.3, 6);
        }
        for (const [x, y, z, r] of OAK_BLOBS) parts.ell(b.main, [x * cr * cw, th + cr * 0.35 + y * cr, z * cr * cw], [r * cr * cw, r * cr * 0.85, r * cr * cw], 12);
      } else if (v === 1) {
        const mark = parts.mat('#2a2a2a', 0.9);
        for (let i = 0; i < 9; i++) {
          const a = (i * 137.5 * Math.PI) / 180;
          const y = 0.3 + i * (th / 9);
          const r = tr * (1 - (0.45 * y) / (th + cr * 0.4)) + 0.005;
          parts.box(mark, [Math.cos(a) * r, y, Math.sin(a) * r], [0.04, 0.05, tr * 0.9], [0, (-a * 180) / Math.PI, 0]);
        }
        // drooping oval canopy of a few blobs
        const blobs: [number, number, number, number][] = [[0, 1.1, 0, 0.85], [0.35, 0.5, 0.2, 0.65], [-0.35, 0.55, -0.2, 0.65], [0.1, 1.8, 0.05, 0.6], [-0.15, 0.3, 0.35, 0.55], [0.2, 0.35, -0.35, 0.55]];
        for (const [x, y, z, r] of blobs) parts.ell(b.main, [x * cr * cw, th + y * cr, z * cr * cw], [r * cr * cw, r * cr * 1.25, r * cr * cw], 12);
      } else {
        // columnar poplar: a tall narrow spindle
        parts.ell(b.main, [0, th + cr * 2.6, 0], [cr * 0.95 * cw, cr * 3.0, cr * 0.95 * cw], 14);
        parts.ell(b.main, [cr * 0.25, th + cr * 1.8, cr * 0.2], [cr * 0.7 * cw, cr * 1.6, cr * 0.7 * cw], 10);
        parts.ell(b.main, [-cr * 0.2, th + cr * 3.2, -cr * 0.15], [cr * 0.7 * cw, cr * 1.7, cr * 0.7 * cw], 10);
      }
      parts.flush();
    },
  },
  {
    name: 'pine-tree', family: 'plant', variants: ['spruce', 'fir', 'christmas'],
    params: { height: [0.85, 1.2], width: [0.8, 1.2], tiers: [0.8, 1.2], trunkHeight: [0.7, 1.4] },
    surface: (v) => ({ color: pick(['#1e4a2a', '#2e5e30', '#1e4a34'], v), roughness: 0.9 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const H = [6, 4.5, 5.5][v] * p.height;
      const W = [1.5, 1.9, 1.6][v] * p.width;
      const trunkH = 0.6 * p.trunkHeight;
      parts.cyl(parts.mat(BARK, 0.9), [0, 0, 0], [0, trunkH + H * 0.3, 0], 0.22, 0.16, 8);
      const n = Math.max(3, Math.round([6, 4, 5][v] * p.tiers));
      const red = parts.mat('#d01e2a', 0.3, 0.3);
      const gold = parts.mat('#e8b830', 0.3, 0.6);
      for (let i = 0; i < n; i++) {
        const f = i / n;
        const r = W * (1 - f * 0.78);
        const h = (H / n) * 1.9;
        const y = trunkH + f * (H - h * 0.55);
        // a tier with a flared, drooping skirt
        parts.lathe(b.main, [[0.001, h * 0.1], [r * 0.3, h * 0.1], [r, 0], [r * 0.55, h * 0.28], [r * 0.25, h * 0.6], [0.001, h]], v === 1 ? 12 : 10, { at: [0, y, 0], rot: [0, i * 17, 0] });
        if (v === 2) {
          // baubles hanging at the brim of each tier
          const m = 5 + i;
          for (let k = 0; k < m; k++) {
            const a = ((k + 0.5 * (i % 2)) / m) * Math.PI * 2 + i;
            parts.ell(k % 2 ? red : gold, [Math.cos(a) * r * 0.92, y + h * 0.06, Math.sin(a) * r * 0.92], W * 0.07, 8);
          }
        }
      }
      if (v === 2) {
        // a star on top
        const star: P2[] = [];
        for (let k = 0; k < 10; k++) {
          const a = (k / 10) * Math.PI * 2 + Math.PI / 2;
          const rr = (k % 2 ? 0.12 : 0.3) * W;
          star.push([Math.cos(a) * rr, Math.sin(a) * rr]);
        }
        parts.slab(gold, star, 0.06 * W, { at: [0, trunkH + H + 0.05 + 0.25 * W, 0] });
      }
      parts.flush();
    },
  },
  {
    name: 'cactus', family: 'plant', variants: ['saguaro', 'barrel', 'prickly-pear'],
    params: { height: [0.85, 1.15], girth: [0.85, 1.15], armHeight: [0.8, 1.2], armLength: [0.8, 1.2] },
    surface: (v) => ({ color: pick(['#4a7a3a', '#3e7a44', '#5a8a3a'], v), roughness: 0.7 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const c = b.main;
      if (v === 0) {
        const H = 4 * p.height;
        const r = 0.32 * p.girth;
        parts.add(new THREE.CylinderGeometry(r, r * 1.05, H, 12), c, { at: [0, H / 2, 0] });
        parts.add(new THREE.SphereGeometry(r, 12, 6, 0, Math.PI * 2, 0, Math.PI / 2), c, { at: [0, H, 0] });
        // two arms: out, then up
        const arms: [number, number, number][] = [[1, 0.38, 0.65], [-1, 0.52, 0.45]];
        for (const [s, hy, up] of arms) {
          const y0 = H * hy * p.armHeight;
          const out = 0.75 * p.armLength;
          const ar = r * 0.72;
          parts.taper(c, [[0, y0, 0], [s * out * 0.6, y0 + 0.02, 0], [s * out, y0 + 0.3, 0], [s * out, y0 + H * up * 0.75, 0]], () => ar, 14, 10);
        }
      } else if (v === 1) {
        const top = pot(parts, parts.mat(TERRACOTTA, 0.8), 0.3, 0.32);
        const r = 0.26 * p.girth;
        const h = 0.36 * p.height;
        parts.add(new THREE.SphereGeometry(1, 14, 10), c, { at: [0, top + h * 0.45, 0], scale: [r, h * 0.55, r] });
        const rib = parts.mat('#2e5a2e', 0.7);
        for (let i = 0; i < 14; i++) {
          const a = (i / 14) * Math.PI * 2;
          parts.add(new THREE.SphereGeometry(1, 6, 8), rib, { at: [Math.cos(a) * r * 0.82, top + h * 0.45, Math.sin(a) * r * 0.82], rot: [0, (-a * 180) / Math.PI, 0], scale: [r * 0.22, h * 0.5, r * 0.08] });
        }
        const flower = parts.mat('#e84a8a', 0.6);
        for (let i = 0; i < 5; i++) {
          const a = (i / 5) * Math.PI * 2;
          parts.ell(flower, [Math.cos(a) * r * 0.3, top + h * 0.97, Math.sin(a) * r * 0.3], [0.05, 0.03, 0.05], 8);
        }
      } else {
        const top = pot(parts, parts.mat(TERRACOTTA, 0.8), 0.28, 0.3);
        const s = 0.22 * p.girth;
        // paddles: [parent index, angle in plane (deg), yaw (deg)]
        const pads: { at: V3; rz: number; ry: number }[] = [];
        pads.push({ at: [0, top + s * 1.3, 0], rz: 0, ry: 10 });
        const kids: [number, number, number][] = [[0, 40, 0], [0, -35, 30], [1, 30, 20], [2, -20, -20], [0, 5, 80]];
        for (const [pi, rz, ry] of kids) {
          const par = pads[pi];
          const a = ((par.rz + rz) * Math.PI) / 180;
          const up = s * 1.25 * p.armHeight;
          pads.push({ at: [par.at[0] - Math.sin(a) * up * 1.8 * p.armLength, par.at[1] + Math.cos(a) * up * 1.8, par.at[2] + ry * 0.004], rz: par.rz + rz, ry });
        }
        const fruit = parts.mat('#c8284a', 0.6);
        for (const [i, pad] of pads.entries()) {
          parts.ell(c, pad.at, [s * 0.8, s * 1.25, s * 0.16], 12, [0, pad.ry, pad.rz]);
          if (i >= 3) {
            const a = (pad.rz * Math.PI) / 180;
            parts.ell(fruit, [pad.at[0] - Math.sin(a) * s * 1.25, pad.at[1] + Math.cos(a) * s * 1.25, pad.at[2]], [0.05, 0.07, 0.05], 8);
          }
        }
      }
      parts.flush();
    },
  },
  {
    name: 'potted-plant', family: 'plant', variants: ['snake-plant', 'monstera', 'spider-plant'],
    params: { potSize: [0.85, 1.15], leafLength: [0.8, 1.25], leafCount: [0.75, 1.25], spread: [0.8, 1.2] },
    surface: (v) => ({ color: pick([TERRACOTTA, '#e8e4dc', '#3a5a7a'], v), roughness: 0.7 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const pr = 0.16 * p.potSize;
      const top = pot(parts, b.main, pr, 0.3 * p.potSize);
      const leaf = parts.mat(pick(['#2e5e2a', '#2a6a2e', '#5a9a3a'], v), 0.6);
      const ll = p.leafLength;
      const sp = p.spread;
      if (v === 0) {
        const n = Math.round(7 * p.leafCount);
        const edge = parts.mat('#5a8a3a', 0.6);
        for (let i = 0; i < n; i++) {
          const a = i * 137.5;
          const rad = (a * Math.PI) / 180;
          const h = (0.55 + 0.3 * ((i * 7) % 5) / 4) * ll;
          const lean = (6 + ((i * 3) % 4) * 4) * sp;
          const blade: P2[] = [[-0.03, 0], [0.03, 0], [0.045, h * 0.4], [0.02, h * 0.85], [0, h], [-0.02, h * 0.85], [-0.045, h * 0.4]];
          const at: V3 = [Math.cos(rad) * pr * 0.4, top - 0.02, Math.sin(rad) * pr * 0.4];
          parts.slab(i % 2 ? leaf : edge, blade, 0.012, { at, rot: [Math.sin(rad) * lean, -a, -Math.cos(rad) * lean] });
        }
      } else if (v === 1) {
        const n = Math.round(6 * p.leafCount);
        const stem = parts.mat('#3a6a2a', 0.7);
        for (let i = 0; i < n; i++) {
          const rad = ((i * 137.5) * Math.PI) / 180;
          const len = (0.35 + 0.12 * (i % 3)) * ll;
          const out = (0.16 + 0.07 * (i % 2)) * sp;
          const tip: V3 = [Math.cos(rad) * out, top + len, Math.sin(rad) * out];
          parts.tube(stem, [[0, top - 0.02, 0], [tip[0] * 0.4, top + len * 0.6, tip[2] * 0.4], tip], 0.008, 8, 4);
          // a big heart-shaped leaf, tilted outwards
          const heart: P2[] = [[0, 0], [0.08, 0.03], [0.13, 0.1], [0.11, 0.19], [0.05, 0.23], [0, 0.2], [-0.05, 0.23], [-0.11, 0.19], [-0.13, 0.1], [-0.08, 0.03]];
          const sc = ll * (0.9 + 0.2 * (i % 2));
          parts.slab(leaf, heart.map(([x, y]) => [x * sc, y * sc] as P2), 0.01, { at: tip, rot: [0, (-rad * 180) / Math.PI + 90, 0] }, 0);
          parts.add(new THREE.BoxGeometry(0.01, 0.01, 0.01), leaf, { at: tip });
        }
        // tilt: re-add leaves bent outwards is handled by the slab orientation (facing out)
      } else {
        const n = Math.round(14 * p.leafCount);
        const stripe = parts.mat('#e8f0d0', 0.6);
        for (let i = 0; i < n; i++) {
          const rad = ((i * 137.5) * Math.PI) / 180;
          const len = (0.3 + 0.1 * ((i * 5) % 3)) * ll;
          const out = len * (0.6 + 0.3 * (i % 2)) * sp;
          const d: V3 = [Math.cos(rad), 0, Math.sin(rad)];
          const pts: V3[] = [[0, top, 0], [d[0] * out * 0.4, top + len * 0.45, d[2] * out * 0.4], [d[0] * out * 0.85, top + len * 0.35, d[2] * out * 0.85], [d[0] * out * 1.1, top + len * 0.05, d[2] * out * 1.1]];
          parts.taper(i % 3 === 0 ? stripe : leaf, pts, (t) => lerp(0.014, 0.003, t), 10, 4, false);
        }
      }
      parts.flush();
    },
  },
  {
    name: 'flower', family: 'plant', variants: ['daisy', 'tulip', 'sunflower'],
    params: { stemLength: [0.8, 1.2], headSize: [0.85, 1.2], petalLength: [0.85, 1.2], headTilt: [30, 75] },
    surface: (v) => ({ color: pick(['#f6f4ee', '#d82838', '#f2c020'], v), roughness: 0.6 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const stem = parts.mat('#3a7a2a', 0.7);
      const H = [0.45, 0.45, 1.2][v] * p.stemLength;
      const hs = [0.075, 0.05, 0.16][v] * p.headSize;
      const tilt = v === 1 ? 0 : v === 0 ? p.headTilt + 15 : p.headTilt;
      const lean = v === 1 ? 0.02 : H * 0.12;
      parts.tube(stem, [[0, 0, 0], [lean * 0.3, H * 0.5, 0], [lean, H, 0]], [0.006, 0.006, 0.025][v] * (v === 2 ? 1 : 1.4), 10, 6);
      // leaves
      for (const [y, s] of [[0.25, 1], [0.45, -1]] as [number, number][]) {
        const ls = [0.08, 0.14, 0.22][v];
        parts.ell(stem, [lean * y * 0.4 + s * ls * 0.55, H * y + ls * 0.2, 0], [ls * 0.6, ls * 0.18, ls * 0.2], 8, [0, 0, s * 35]);
      }
      // head: faces +x and up by `tilt` (the tulip faces straight up)
      const head = parts.sub({ at: [lean, H, 0], rot: [0, 0, tilt - 90] });
      const pl = hs * 1.5 * p.petalLength;
      if (v === 1) {
        // tulip: a cup of six petals
        for (let i = 0; i < 6; i++) {
          const a = (i / 6) * 360 + (i % 2 ? 30 : 0);
          const r = i % 2 ? hs * 0.55 : hs * 0.7;
          const rad = (a * Math.PI) / 180;
          parts.ell(b.main, [lean + Math.cos(rad) * r * 0.6, H + pl * 0.7, Math.sin(rad) * r * 0.6], [hs * 0.5, pl * 0.8, hs * 0.22], 10, [0, -a, 0]);
        }
        parts.ell(b.main, [lean, H + pl * 0.5, 0], [hs * 0.8, pl * 0.6, hs * 0.8], 10);
      } else {
        const n = v === 0 ? 16 : 22;
        const disc = parts.mat(v === 0 ? '#f2c020' : '#4a2a14', 0.8);
        head.add(new THREE.SphereGeometry(1, 14, 8), disc, { at: [0, hs * 0.12, 0], scale: [hs * (v === 0 ? 0.45 : 0.7), hs * 0.22, hs * (v === 0 ? 0.45 : 0.7)] });
        for (let i = 0; i < n; i++) {
          const a = (i / n) * Math.PI * 2;
          const r = hs * (v === 0 ? 0.4 : 0.62) + pl * 0.5;
          head.ell(b.main, [Math.cos(a) * r, 0.02 * hs, Math.sin(a) * r], [pl * 0.5, hs * 0.07, hs * (v === 0 ? 0.13 : 0.16)], 6, [0, (-a * 180) / Math.PI, 0]);
        }
        head.add(new THREE.CylinderGeometry(hs * 0.45, hs * 0.2, hs * 0.25, 10), stem, { at: [0, -hs * 0.1, 0] });
      }
      parts.flush();
    },
  },
  {
    name: 'mushroom', family: 'plant', variants: ['button', 'fly-agaric', 'porcini'],
    params: { capWidth: [0.85, 1.2], capHeight: [0.8, 1.25], stemHeight: [0.8, 1.25], stemWidth: [0.85, 1.2] },
    surface: (v) => ({ color: pick(['#ece6dc', '#d0281e', '#7a4a26'], v), roughness: v === 1 ? 0.4 : 0.8 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const stemMat = parts.mat(v === 2 ? '#e0d0b0' : '#f2eee6', 0.8);
      const gill = parts.mat(v === 2 ? '#c8b070' : '#e8dcc8', 0.9);
      const one = (x: number, z: number, k: number) => {
        const cw = [0.5, 0.7, 0.75][v] * p.capWidth * k;
        const ch = [0.35, 0.35, 0.45][v] * p.capHeight * k;
        const sh = [0.45, 0.9, 0.6][v] * p.stemHeight * k;
        const sw = [0.2, 0.13, 0.3][v] * p.stemWidth * k;
        // stem (the porcini's is a fat club)
        const stem: P2[] = v === 2
          ? [[0, 0], [sw * 0.9, 0], [sw * 1.2, sh * 0.3], [sw * 0.9, sh * 0.75], [sw * 0.7, sh + 0.02], [0, sh + 0.02]]
          : v === 1
            ? [[0, 0], [sw * 1.6, 0], [sw * 1.7, sh * 0.1], [sw * 1.1, sh * 0.25], [sw, sh * 0.6], [sw * 0.85, sh + 0.02], [0, sh + 0.02]]
            : [[0, 0], [sw, 0], [sw * 1.05, sh * 0.5], [sw * 0.95, sh + 0.02], [0, sh + 0.02]];
        parts.lathe(stemMat, stem, 14, { at: [x, 0, z] });
        if (v === 1) parts.lathe(stemMat, [[sw * 0.95, 0], [sw * 1.7, -sh * 0.12], [sw * 1.65, -sh * 0.14], [sw * 0.9, -0.01]], 14, { at: [x, sh * 0.8, z] });
        // cap dome with a flat gill underside
        const dome: P2[] = [];
        for (let i = 0; i <= 8; i++) {
          const a = (i / 8) * (Math.PI / 2);
          dome.push([cw * Math.cos(a) * (v === 0 ? 0.95 : 1), ch * Math.sin(a) ** (v === 1 ? 1.2 : 0.8)]);
        }
        parts.lathe(b.main, [[0, -0.01], [cw * 0.9, -0.01], [cw, ch * 0.05], ...dome.slice(1)], 20, { at: [x, sh - ch * 0.1, z] });
        parts.add(new THREE.CircleGeometry(cw * 0.92, 20), gill, { at: [x, sh - ch * 0.1 - 0.005, z], rot: [90, 0, 0] });
        if (v === 1) {
          const spot = parts.mat('#f6f2ea', 0.7);
          for (let i = 0; i < 14; i++) {
            const u = 0.2 + 0.75 * ((i * 0.618) % 1);
            const a = i * 2.4;
            const ph = u * (Math.PI / 2);
            const r = cw * Math.sin(ph);
            const y = ch * Math.cos(ph) ** 1.2;
            parts.ell(spot, [x + Math.cos(a) * r, sh - ch * 0.1 + y, z + Math.sin(a) * r], [cw * 0.09, cw * 0.05, cw * 0.09], 6);
          }
        }
      };
      one(0, 0, 1);
      one(-0.55 * p.capWidth, 0.35, 0.5);
      parts.flush();
    },
  },
];
