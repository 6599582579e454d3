/**
 * Furniture, in metres. The main material is the dominant upholstered or finished surface
 * (seat and back, table top, sofa fabric, duvet, lamp shade, shelf carcass).
 */
import * as THREE from 'three';
import type { AssetClass } from '../kit.js';
import { Parts, pick, roundRect, type V3, type P2 } from './parts.js';

const WOOD = '#8a5a32';
const DARK_WOOD = '#4a3020';
const METAL = '#b8bcc2';
const BLACK = '#1e1e20';

function wood(p: Parts, color = WOOD): THREE.Material {
  return p.mat(color, 0.7, 0, 'wood');
}

/** Four legs at the corners of a w x d rectangle (inset), from y0 down to 0. */
function fourLegs(p: Parts, mat: THREE.Material, w: number, d: number, y0: number, r: number, inset: number, square = true, splay = 0): void {
  for (const sx of [1, -1]) {
    for (const sz of [1, -1]) {
      const x = sx * (w / 2 - inset);
      const z = sz * (d / 2 - inset);
      if (square) p.box(mat, [x + sx * splay * 0.5, y0 / 2, z + sz * splay * 0.5], [r * 2, y0, r * 2], [sz * splay * -40, 0, sx * splay * 40]);
      else p.cyl(mat, [x + sx * splay, 0, z + sz * splay], [x, y0, z], r * 0.8, r, 8);
    }
  }
}

export const FURNITURE_CLASSES: AssetClass[] = [
  {
    name: 'chair', family: 'furniture', variants: ['dining', 'kitchen', 'office'],
    params: { seatHeight: [0.9, 1.1], backHeight: [0.85, 1.2], seatWidth: [0.9, 1.12], legThickness: [0.8, 1.2] },
    surface: (v) => ({ color: pick(['#9a6a3c', '#c8402a', '#2a2a30'], v), roughness: v === 2 ? 0.8 : 0.6, texture: v === 0 ? 'wood' : v === 2 ? 'fabric' : undefined }),
    build(b, v, p) {
      const parts = new Parts(b);
      const sh = 0.46 * p.seatHeight;
      const sw = 0.46 * p.seatWidth;
      const bh = 0.48 * p.backHeight;
      const lt = 0.022 * p.legThickness;
      if (v === 0) {
        // wooden dining chair: seat slab, square legs, two back posts with slats
        parts.box(b.main, [0, sh - 0.02, 0], [sw, 0.04, sw]);
        fourLegs(parts, b.main, sw, sw, sh - 0.04, lt, 0.03);
        for (const sz of [1, -1]) parts.box(b.main, [-sw / 2 + 0.03, sh + bh / 2, sz * (sw / 2 - 0.03)], [lt * 2, bh, lt * 2], [0, 0, 6]);
        for (const y of [0.35, 0.6, 0.9]) parts.box(b.main, [-sw / 2 + 0.03 - Math.sin(0.1) * bh * y, sh + bh * y, 0], [0.02, 0.06, sw - 0.06], [0, 0, 6]);
        for (const sz of [1, -1]) parts.box(b.main, [0, 0.14, sz * (sw / 2 - 0.03)], [sw - 0.06, 0.025, 0.02]);
      } else if (v === 1) {
        // plastic shell seat on tubular metal legs
        const metal = parts.mat(METAL, 0.3, 0.9);
        parts.slab(b.main, [[-sw / 2, 0.04], [sw / 2, 0.04], [sw / 2 + 0.01, 0.0], [-sw / 2 + 0.02, -0.01]], sw, { at: [0, sh - 0.02, 0] }, 0.01);
        parts.slab(b.main, roundRect(-0.02, 0, 0.02, bh * 0.7, 0.01), sw * 0.95, { at: [-sw / 2 + 0.01, sh + bh * 0.25, 0], rot: [0, 0, 8] });
        fourLegs(parts, metal, sw, sw, sh - 0.02, lt * 0.7, 0.04, false, 0.03);
        for (const sz of [1, -1]) parts.cyl(metal, [-sw / 2 + 0.02, sh, sz * sw * 0.35], [-sw / 2 + 0.01 - bh * 0.08, sh + bh * 0.3, sz * sw * 0.35], lt * 0.6, lt * 0.6, 6);
      } else {
        // office swivel chair: five-star base with casters, gas lift, padded seat and back, armrests
        const black = parts.mat(BLACK, 0.5, 0.3);
        const chrome = parts.mat(METAL, 0.25, 0.9);
        for (let i = 0; i < 5; i++) {
          const a = (i / 5) * Math.PI * 2 + 0.3;
          const end: V3 = [Math.cos(a) * 0.32, 0.07, Math.sin(a) * 0.32];
          parts.cyl(black, [0, 0.1, 0], end, 0.022, 0.018, 6);
          parts.ell(black, [end[0], 0.03, end[2]], [0.03, 0.03, 0.02], 8, [0, (-a * 180) / Math.PI, 0]);
        }
        parts.cyl(chrome, [0, 0.08, 0], [0, sh - 0.06, 0], 0.025, 0.025, 10);
        parts.cyl(black, [0, 0.08, 0], [0, 0.25, 0], 0.035, 0.035, 10);
        parts.slab(b.main, roundRect(-sw / 2, 0, sw / 2, 0.08, 0.035), sw, { at: [0, sh - 0.06, 0] });
        parts.slab(b.main, roundRect(-0.04, 0, 0.04, bh * 1.15, 0.04), sw * 0.92, { at: [-sw / 2 - 0.02, sh + 0.06, 0], rot: [0, 0, 8] });
        parts.box(black, [-sw / 2 + 0.02, sh + 0.02, 0], [0.04, 0.12, 0.06]);
        for (const sz of [1, -1]) {
          parts.cyl(black, [0, sh, sz * sw * 0.48], [0, sh + 0.2, sz * sw * 0.5], 0.015, 0.015, 6);
          parts.box(black, [0, sh + 0.21, sz * sw * 0.5], [0.24, 0.025, 0.06]);
        }
      }
      parts.flush();
    },
  },
  {
    name: 'table', family: 'furniture', variants: ['dining', 'round', 'coffee'],
    params: { length: [0.85, 1.15], height: [0.92, 1.08], topThickness: [0.7, 1.4], legInset: [0.6, 1.5] },
    surface: (v) => ({ color: pick(['#9a6a3c', '#c8a070', '#5a3a24'], v), roughness: 0.55, texture: 'wood' }),
    build(b, v, p) {
      const parts = new Parts(b);
      const t = 0.04 * p.topThickness;
      if (v === 0) {
        const L = 1.6 * p.length;
        const D = 0.9;
        const H = 0.75 * p.height;
        parts.box(b.main, [0, H - t, 0], [L, t, D]);
        const legs = wood(parts, DARK_WOOD);
        fourLegs(parts, legs, L, D, H - t, 0.035, 0.08 * p.legInset);
        parts.box(legs, [0, H - t - 0.05, 0], [L - 0.16 * p.legInset, 0.1, D - 0.16 * p.legInset]);
      } else if (v === 1) {
        const R = 0.55 * p.length;
        const H = 0.74 * p.height;
        parts.add(new THREE.CylinderGeometry(R, R, t, 32), b.main, { at: [0, H - t / 2, 0] });
        const legs = wood(parts, DARK_WOOD);
        parts.lathe(legs, [[0.06, 0], [0.06, H * 0.2], [0.045, H * 0.3], [0.07, H * 0.55], [0.04, H * 0.8], [0.08, H - t]], 14);
        for (let i = 0; i < 4; i++) {
          const a = (i / 4) * Math.PI * 2 + Math.PI / 4;
          parts.slab(legs, [[0, 0], [0.32 * p.legInset, 0], [0.32 * p.legInset, 0.04], [0, 0.18]], 0.05, { at: [0, 0, 0], rot: [0, (a * 180) / Math.PI, 0] });
        }
      } else {
        const L = 1.1 * p.length;
        const D = 0.6;
        const H = 0.42 * p.height;
        parts.box(b.main, [0, H - t, 0], [L, t, D]);
        parts.box(b.main, [0, 0.1, 0], [L - 0.1, 0.025, D - 0.1]);
        const legs = parts.mat(BLACK, 0.4, 0.6);
        fourLegs(parts, legs, L, D, H - t, 0.02, 0.04 * p.legInset);
      }
      parts.flush();
    },
  },
  {
    name: 'sofa', family: 'furniture', variants: ['loveseat', 'three-seater', 'chesterfield'],
    params: { length: [0.9, 1.1], backHeight: [0.85, 1.2], armWidth: [0.7, 1.3], seatDepth: [0.9, 1.1] },
    surface: (v) => ({ color: pick(['#5a7a9a', '#8a8a82', '#6a2a1e'], v), roughness: v === 2 ? 0.45 : 0.9, texture: v === 2 ? undefined : 'fabric' }),
    build(b, v, p) {
      const parts = new Parts(b);
      // the seat faces +x, so the length runs along z
      const seats = v === 0 ? 2 : 3;
      const L = (v === 0 ? 1.5 : 2.1) * p.length;
      const D = 0.9 * p.seatDepth;
      const aw = (v === 2 ? 0.2 : 0.16) * p.armWidth;
      const legH = v === 2 ? 0.06 : 0.12;
      const seatH = 0.44;
      const bh = (v === 2 ? 0.32 : 0.42) * p.backHeight;
      const f = b.main;
      // base
      parts.box(f, [0, legH + (seatH - 0.12 - legH) / 2, 0], [D, seatH - 0.12 - legH, L]);
      // back
      parts.slab(f, roundRect(-D / 2, legH, -D / 2 + 0.2, seatH + bh, 0.05), L, undefined);
      // arms
      const armTop = v === 2 ? seatH + bh : seatH + 0.2;
      for (const sz of [1, -1]) {
        parts.box(f, [0, (legH + armTop) / 2, sz * (L / 2 + aw / 2 - 0.01)], [D, armTop - legH, aw]);
        if (v === 2) parts.cyl(f, [-D / 2, armTop, sz * (L / 2 + aw / 2)], [D / 2 + 0.04, armTop, sz * (L / 2 + aw / 2)], aw * 0.65, aw * 0.65, 12);
        else parts.cyl(f, [-D / 2, armTop, sz * (L / 2 + aw / 2 - 0.01)], [D / 2, armTop, sz * (L / 2 + aw / 2 - 0.01)], aw / 2, aw / 2, 10);
      }
      // seat cushions and back cushions
      const cw = L / seats;
      for (let i = 0; i < seats; i++) {
        const z = -L / 2 + cw * (i + 0.5);
        parts.slab(f, roundRect(-D / 2 + 0.2, 0, D / 2, 0.14, 0.05), cw - 0.02, { at: [0, seatH - 0.13, z] });
        if (v !== 2) parts.slab(f, roundRect(0, 0, 0.16, bh * 0.85, 0.06), cw - 0.03, { at: [-D / 2 + 0.18, seatH, z], rot: [0, 0, 10] });
      }
      if (v === 2) {
        // tufting buttons on the back
        const btn = parts.mat('#3a140e', 0.5);
        for (let i = 0; i < 7; i++) for (const y of [0.35, 0.7]) parts.ell(btn, [-D / 2 + 0.205, seatH + bh * y, -L / 2 + (i + 0.5) * (L / 7) + (y > 0.5 ? L / 14 : 0) - L / 28], 0.015, 6);
      }
      const legs = wood(parts, DARK_WOOD);
      for (const sx of [1, -1]) for (const sz of [1, -1]) parts.cyl(legs, [sx * (D / 2 - 0.06), 0, sz * (L / 2 + aw - 0.06)], [sx * (D / 2 - 0.06), legH, sz * (L / 2 + aw - 0.06)], 0.025, 0.03, 8);
      parts.flush();
    },
  },
  {
    name: 'bed', family: 'furniture', variants: ['single', 'double', 'bunk'],
    params: { length: [0.92, 1.08], headboardHeight: [0.8, 1.25], mattressThickness: [0.8, 1.2], legHeight: [0.7, 1.4] },
    surface: (v) => ({ color: pick(['#4a6ab0', '#c8b090', '#3a8a5a'], v), roughness: 0.9, texture: 'fabric' }),
    build(b, v, p) {
      const parts = new Parts(b);
      const L = 2.05 * p.length;
      const W = v === 1 ? 1.6 : 0.95;
      const legH = 0.18 * p.legHeight;
      const mt = 0.22 * p.mattressThickness;
      const frame = wood(parts, v === 1 ? DARK_WOOD : WOOD);
      const sheet = parts.mat('#f2f0ea', 0.9);
      const hb = (v === 1 ? 1.1 : 0.85) * p.headboardHeight;
      const levels = v === 2 ? [0, 1.3] : [0];
      for (const y0 of levels) {
        const base = y0 + legH;
        parts.box(frame, [0, base + 0.1, 0], [L, 0.2, W + 0.04]);
        parts.box(sheet, [0.02, base + 0.2 + mt / 2, 0], [L - 0.1, mt, W - 0.04]);
        // duvet over most of the mattress, draped over the sides
        parts.slab(b.main, roundRect(-L / 2 + 0.5, base + 0.16, L / 2 - 0.02, base + 0.24 + mt, 0.05), W + 0.02, undefined);
        parts.box(sheet, [-L / 2 + 0.52, base + 0.24 + mt - 0.015, 0], [0.16, 0.035, W + 0.03]);
        // pillows
        const np = v === 1 ? 2 : 1;
        for (let i = 0; i < np; i++) parts.ell(sheet, [-L / 2 + 0.28, base + 0.2 + mt + 0.06, (i - (np - 1) / 2) * (W / 2)], [0.18, 0.07, W / np * 0.4], 12);
      }
      const top = v === 2 ? 1.3 + legH + 0.2 + mt + 0.35 : legH + hb;
      // head- and footboard panels (one pair per level on the bunk) and corner posts
      if (v === 2) {
        for (const y0 of levels) for (const sx of [1, -1]) parts.box(frame, [sx * (L / 2 + 0.03), y0 + legH + 0.3, 0], [0.05, 0.45, W + 0.04]);
      } else {
        parts.box(frame, [-L / 2 - 0.03, (legH + hb) / 2, 0], [0.05, legH + hb, W + 0.04]);
        parts.box(frame, [L / 2 + 0.03, (legH + 0.5 * hb) / 2, 0], [0.05, legH + 0.5 * hb, W + 0.04]);
      }
      for (const sx of [1, -1]) {
        const ph = v === 2 ? top + 0.04 : sx > 0 ? legH + 0.5 * hb + 0.04 : legH + hb + 0.04;
        for (const sz of [1, -1]) parts.box(frame, [sx * (L / 2 + 0.03), ph / 2, sz * (W / 2 + 0.04)], [0.07, ph, 0.07]);
      }
      if (v === 2) {
        // guard rail and ladder
        parts.box(frame, [0, 1.3 + legH + 0.2 + mt + 0.2, W / 2 + 0.02], [L * 0.7, 0.06, 0.04]);
        parts.box(frame, [0, 1.3 + legH + 0.2 + mt + 0.2, -W / 2 - 0.02], [L, 0.06, 0.04]);
        for (const dx of [0, 0.42]) parts.box(frame, [L / 2 - 0.55 + dx, (1.3 + legH + 0.4) / 2, W / 2 + 0.07], [0.05, 1.3 + legH + 0.4, 0.05]);
        for (let i = 1; i < 5; i++) parts.box(frame, [L / 2 - 0.34, (i * (1.3 + legH + 0.2)) / 5, W / 2 + 0.07], [0.42, 0.04, 0.04]);
      }
      parts.flush();
    },
  },
  {
    name: 'lamp', family: 'furniture', variants: ['floor', 'desk', 'table'],
    params: { height: [0.85, 1.15], shadeSize: [0.85, 1.2], baseSize: [0.85, 1.2], armAngle: [-15, 15] },
    surface: (v) => ({ color: pick(['#f0e6cc', '#c83028', '#e8dcc0'], v), roughness: v === 1 ? 0.35 : 0.9, metalness: v === 1 ? 0.3 : 0, texture: v === 1 ? undefined : 'fabric' }),
    build(b, v, p) {
      const parts = new Parts(b);
      const bulb = parts.mat('#fff6d0', 0.2);
      const ss = p.shadeSize;
      if (v === 0) {
        const H = 1.6 * p.height;
        const metal = parts.mat('#2a2a2a', 0.4, 0.6);
        parts.cyl(metal, [0, 0, 0], [0, 0.04, 0], 0.17 * p.baseSize, 0.16 * p.baseSize, 20);
        parts.cyl(metal, [0, 0.04, 0], [0, H - 0.2, 0], 0.013, 0.013, 8);
        parts.lathe(b.main, [[0.22 * ss, 0], [0.15 * ss, 0.32 * ss], [0.145 * ss, 0.32 * ss], [0.215 * ss, 0]], 24, { at: [0, H - 0.3, 0] });
        parts.ell(bulb, [0, H - 0.2, 0], 0.05, 10);
      } else if (v === 1) {
        // articulated desk lamp with a cone shade, facing +x
        const metal = parts.mat('#2a2a2a', 0.4, 0.6);
        const s = p.height;
        parts.cyl(b.main, [0, 0, 0], [0, 0.03, 0], 0.1 * p.baseSize, 0.1 * p.baseSize, 20);
        const a = (p.armAngle * Math.PI) / 180;
        const elbow: V3 = [-0.12 * s, 0.38 * s, 0];
        const head: V3 = [elbow[0] + 0.36 * s * Math.cos(0.25 + a), elbow[1] + 0.36 * s * Math.sin(0.25 + a), 0];
        for (const dz of [-0.015, 0.015]) {
          parts.cyl(metal, [0, 0.03, dz], [elbow[0], elbow[1], dz], 0.008, 0.008, 6);
          parts.cyl(metal, [elbow[0], elbow[1], dz], [head[0], head[1], dz], 0.008, 0.008, 6);
        }
        parts.ell(metal, elbow, 0.02, 8);
        parts.ell(metal, [0, 0.04, 0], 0.025, 8);
        // shade opening down and forward
        const sh = parts.sub({ at: head, rot: [0, 0, -135] });
        sh.lathe(b.main, [[0.03, 0], [0.035, 0.05], [0.11 * ss, 0.17 * ss], [0.105 * ss, 0.17 * ss], [0.03, 0.05]], 20);
        sh.ell(bulb, [0, 0.12 * ss, 0], 0.035, 8);
      } else {
        // table lamp: ceramic vase base and a drum shade
        const base = parts.mat('#3a6a8a', 0.25);
        const bs = p.baseSize;
        const H = 0.36 * p.height;
        parts.lathe(base, [[0.001, 0], [0.07 * bs, 0], [0.11 * bs, H * 0.3], [0.1 * bs, H * 0.55], [0.04 * bs, H * 0.85], [0.025, H]], 18);
        parts.cyl(parts.mat('#c8a050', 0.3, 0.8), [0, H, 0], [0, H + 0.12, 0], 0.01, 0.01, 6);
        parts.ell(bulb, [0, H + 0.1, 0], 0.035, 8);
        parts.lathe(b.main, [[0.19 * ss, 0], [0.15 * ss, 0.24 * ss], [0.145 * ss, 0.24 * ss], [0.185 * ss, 0]], 24, { at: [0, H + 0.04, 0] });
      }
      parts.flush();
    },
  },
  {
    name: 'bookshelf', family: 'furniture', variants: ['tall', 'wide', 'cubby'],
    params: { height: [0.9, 1.1], width: [0.9, 1.1], depth: [0.85, 1.15], fill: [0.55, 0.95] },
    surface: (v) => ({ color: pick(['#9a6a3c', '#f0ece4', '#5a3a24'], v), roughness: 0.6, texture: v === 1 ? undefined : 'wood' }),
    build(b, v, p) {
      const parts = new Parts(b);
      const H = [1.9, 1.1, 1.2][v] * p.height;
      const Wd = [0.85, 1.6, 1.2][v] * p.width;
      const D = 0.32 * p.depth;
      const t = 0.025;
      const rows = [5, 3, 3][v];
      const cols = v === 2 ? 3 : 1;
      const f = b.main;
      // carcass: sides, top, bottom; it faces +x so the length runs along z
      for (const sz of [1, -1]) parts.box(f, [0, H / 2, sz * (Wd / 2 - t / 2)], [D, H, t]);
      // open back (books show from behind too), with two cross rails
      for (const y of [H * 0.25, H * 0.75]) parts.box(f, [-D / 2 + 0.01, y, 0], [0.02, 0.05, Wd]);
      const shelfY: number[] = [];
      for (let i = 0; i <= rows; i++) {
        const y = 0.06 + (i * (H - 0.06 - t)) / rows;
        shelfY.push(y);
        parts.box(f, [0, y + t / 2, 0], [D, t, Wd]);
      }
      parts.box(f, [D / 2 - 0.01, 0.03, 0], [0.02, 0.06, Wd]);
      for (let c = 1; c < cols; c++) parts.box(f, [0, H / 2, -Wd / 2 + (c * Wd) / cols], [D, H - 0.06, t]);
      // books: a deterministic pattern of heights, widths and colours, merged per colour
      const colours = ['#8a2a2a', '#2a4a8a', '#d8c8a0'].map((c) => parts.mat(c, 0.8));
      let k = 0;
      for (let r = 0; r < rows; r++) {
        const y = shelfY[r] + t;
        const gap = shelfY[r + 1] - y;
        for (let c = 0; c < cols; c++) {
          const z0 = -Wd / 2 + t + (c * Wd) / cols;
          const span = Wd / cols - t * 1.5;
          let z = z0;
          const stop = z0 + span * p.fill * (0.75 + 0.25 * ((r * 7 + c * 3) % 4) / 3);
          while (z < stop) {
            k++;
            const bw = 0.025 + ((k * 37) % 5) * 0.006;
            const bh = gap * (0.68 + ((k * 53) % 7) * 0.035);
            const lean = k % 11 === 0 && z > z0 ? 12 : 0;
            parts.box(colours[(k * 5 + r) % colours.length], [0.01, y + bh / 2, z + bw / 2], [D * 0.82, bh, bw], [lean, 0, 0]);
            z += bw + 0.002;
          }
        }
      }
      parts.flush();
    },
  },
  {
    name: 'stool', family: 'furniture', variants: ['bar', 'milking', 'step'],
    params: { height: [0.9, 1.12], seatSize: [0.85, 1.15], legSplay: [0.5, 1.5], legThickness: [0.8, 1.2] },
    surface: (v) => ({ color: pick(['#c83a2a', '#a8784a', '#e8e4dc'], v), roughness: 0.5, texture: v === 1 ? 'wood' : undefined }),
    build(b, v, p) {
      const parts = new Parts(b);
      const ss = p.seatSize;
      const lt = p.legThickness;
      if (v === 0) {
        const H = 0.76 * p.height;
        const metal = parts.mat(METAL, 0.25, 0.9);
        parts.cyl(b.main, [0, H - 0.06, 0], [0, H, 0], 0.19 * ss, 0.2 * ss, 24);
        parts.cyl(b.main, [0, H - 0.01, 0], [0, H + 0.02, 0], 0.17 * ss, 0.19 * ss, 24);
        const sp = 0.07 * p.legSplay;
        for (let i = 0; i < 4; i++) {
          const a = (i / 4) * Math.PI * 2 + Math.PI / 4;
          parts.cyl(metal, [Math.cos(a) * (0.2 + sp), 0, Math.sin(a) * (0.2 + sp)], [Math.cos(a) * 0.13, H - 0.06, Math.sin(a) * 0.13], 0.014 * lt, 0.014 * lt, 6);
        }
        parts.add(new THREE.TorusGeometry(0.19 + sp * 0.7, 0.01, 6, 24), metal, { at: [0, 0.26, 0], rot: [90, 0, 0] });
      } else if (v === 1) {
        const H = 0.3 * p.height;
        parts.cyl(b.main, [0, H - 0.04, 0], [0, H, 0], 0.16 * ss, 0.16 * ss, 20);
        const legs = wood(parts);
        const sp = 0.08 * p.legSplay;
        for (let i = 0; i < 3; i++) {
          const a = (i / 3) * Math.PI * 2;
          parts.cyl(legs, [Math.cos(a) * (0.1 + sp), 0, Math.sin(a) * (0.1 + sp)], [Math.cos(a) * 0.09, H - 0.04, Math.sin(a) * 0.09], 0.018 * lt, 0.022 * lt, 8);
        }
      } else {
        // two-step kitchen step stool
        const H = 0.5 * p.height;
        const w = 0.42 * ss;
        parts.box(b.main, [0, H - 0.03, 0], [0.3, 0.03, w]);
        parts.box(b.main, [0.2, H * 0.5 - 0.03, 0], [0.22, 0.03, w]);
        const frame = parts.mat('#9aa0a8', 0.35, 0.8);
        for (const sz of [1, -1]) {
          parts.slab(frame, [[-0.16, 0], [-0.12, 0], [-0.12, H - 0.04], [-0.16 - 0.05 * p.legSplay, 0.0]], 0.02, { at: [0, 0, sz * (w / 2 - 0.01)] });
          parts.cyl(frame, [-0.15, 0, sz * (w / 2 - 0.01)], [0.14, H - 0.04, sz * (w / 2 - 0.01)], 0.012 * lt, 0.012 * lt, 6);
          parts.cyl(frame, [0.32 + 0.03 * p.legSplay, 0, sz * (w / 2 - 0.01)], [0.16, H - 0.04, sz * (w / 2 - 0.01)], 0.012 * lt, 0.012 * lt, 6);
        }
        const grip = parts.mat('#2a2a2a', 0.8);
        for (const [x, y] of [[0, H], [0.2, H * 0.5]] as P2[]) parts.box(grip, [x, y - 0.01, 0], [x === 0 ? 0.26 : 0.18, 0.006, w * 0.9]);
      }
      parts.flush();
    },
  },
];
