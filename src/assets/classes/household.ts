/**
 * Household objects, in centimetres, mostly surfaces of revolution (lathe profiles with a wall
 * thickness, so open vessels look open). Proportions keep neighbours apart: a mug is taller than
 * wide and has a handle; a bowl is two to three times wider than tall; a plate is flat.
 */
import * as THREE from 'three';
import type { AssetClass } from '../kit.js';
import { Parts, pick, lerp, type P2 } from './parts.js';

/** A vessel profile with wall thickness: the outer profile (bottom to rim), then back down inside. */
function shell(outer: P2[], t: number, floor: number): P2[] {
  const inner: P2[] = [];
  for (let i = outer.length - 1; i >= 1; i--) {
    const [r, y] = outer[i];
    if (y <= floor + t) continue;
    inner.push([Math.max(0.01, r - t), y]);
  }
  // close the rim with a rounded lip, then the inside down to the floor
  const [rr, ry] = outer[outer.length - 1];
  const lip: P2[] = [[rr - t * 0.5, ry + t * 0.3]];
  const last = inner.length ? inner[inner.length - 1] : [rr - t, ry];
  return [[0, 0], ...outer, ...lip, ...inner, [Math.max(0.01, last[0] * 0.9), floor + t], [0, floor + t]];
}

/** Points of a smooth curve r(t), y(t), t in 0..1. */
function curve(n: number, f: (t: number) => P2): P2[] {
  const out: P2[] = [];
  for (let i = 0; i <= n; i++) out.push(f(i / n));
  return out;
}

/** A D-shaped side handle on the -x side (back), in the xy plane. */
function sideHandle(p: Parts, mat: THREE.Material, xWall: number, y: number, h: number, reach: number, r: number): void {
  p.add(new THREE.TorusGeometry(h / 2, r, 8, 16, Math.PI), mat, { at: [xWall, y, 0], rot: [0, 0, 90], scale: [reach / (h / 2), 1, 1] });
}

export const HOUSEHOLD_CLASSES: AssetClass[] = [
  {
    name: 'mug', family: 'household', variants: ['classic', 'latte', 'enamel'],
    params: { height: [0.92, 1.15], radius: [0.9, 1.05], handleSize: [0.85, 1.15], fill: [0.6, 0.9] },
    surface: (v) => ({ color: pick(['#e8e4dc', '#c8402a', '#f4f4f0'], v), roughness: v === 2 ? 0.3 : 0.35 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const R = [4.1, 3.7, 4.4][v] * p.radius;
      const H = [9.8, 12.5, 9.2][v] * p.height;
      const t = 0.45;
      const top = v === 1 ? R * 1.12 : R;
      const outer: P2[] = [[R - 0.35, 0], [R * 0.98, 0.25], [R, 0.6], [top, H]];
      parts.lathe(b.main, shell(outer, t, 0.3), 28);
      // coffee surface
      const level = H * p.fill;
      parts.add(new THREE.CircleGeometry(lerp(R, top, p.fill) - t, 20), parts.mat('#3a2216', 0.2), { at: [0, level, 0], rot: [-90, 0, 0] });
      if (v === 2) {
        const rim = parts.mat('#1e3a7a', 0.3);
        parts.add(new THREE.TorusGeometry(top - t * 0.45, t * 0.55, 6, 28), rim, { at: [0, H, 0], rot: [90, 0, 0] });
        parts.add(new THREE.TorusGeometry(R - 0.1, 0.3, 6, 28), rim, { at: [0, 0.3, 0], rot: [90, 0, 0] });
      }
      const hs = p.handleSize;
      sideHandle(parts, v === 2 ? parts.mat('#1e3a7a', 0.3) : b.main, -R + 0.25, H * 0.55, H * 0.55 * hs, 2.6 * hs, 0.55);
      parts.flush();
    },
  },
  {
    name: 'bowl', family: 'household', variants: ['cereal', 'salad', 'footed'],
    params: { width: [0.9, 1.12], depth: [0.85, 1.12], flare: [0.8, 1.2], rimThickness: [0.8, 1.3] },
    surface: (v) => ({ color: pick(['#e8e0d0', '#b07a44', '#3a7aa0'], v), roughness: v === 1 ? 0.6 : 0.3, texture: v === 1 ? 'wood' : undefined }),
    build(b, v, p) {
      const parts = new Parts(b);
      const R = [7.5, 13, 8.5][v] * p.width;
      const H = [6, 7.5, 4.5][v] * p.depth;
      const foot = v === 2 ? 3.5 : 0.6;
      const rf = R * 0.42;
      const k = p.flare;
      const outer = curve(8, (t) => {
        const a = (t * Math.PI) / 2;
        return [rf + (R - rf) * Math.sin(a) ** (0.75 * k), foot + (H - 0.2) * (1 - Math.cos(a))];
      });
      const t = 0.45 * p.rimThickness;
      const prof: P2[] = v === 2
        ? [[0, 0], [R * 0.45, 0], [R * 0.45, 0.4], [R * 0.15, 0.8], [R * 0.12, foot - 0.2], ...shell(outer, t, foot).slice(1)]
        : [[rf * 0.95, 0], [rf, foot], ...outer.slice(1)];
      if (v === 2) parts.lathe(b.main, prof, 28);
      else parts.lathe(b.main, shell(prof, t, foot), 28);
      if (v === 0) parts.add(new THREE.TorusGeometry(R * 0.97, 0.22, 6, 28), parts.mat('#2a5a9a', 0.3), { at: [0, foot + H * 0.88, 0], rot: [90, 0, 0] });
      parts.flush();
    },
  },
  {
    name: 'plate', family: 'household', variants: ['dinner', 'soup', 'charger'],
    params: { width: [0.9, 1.1], rimWidth: [0.8, 1.25], depth: [0.8, 1.25], thickness: [0.85, 1.2] },
    surface: (v) => ({ color: pick(['#f4f2ec', '#e8e0cc', '#f0ece4'], v), roughness: 0.25 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const R = [13, 11.5, 15][v] * p.width;
      const rim = [3, 3.2, 4][v] * p.rimWidth;
      const d = [1.4, 3.2, 1.2][v] * p.depth;
      const t = 0.4 * p.thickness;
      const well = R - rim;
      const outer: P2[] = [[well * 0.7, 0], [well * 0.72, 0.35], [well, d * 0.6], [R, d], [R, d + t * 0.3]];
      const prof: P2[] = [[0, 0.25], ...outer, [R - 0.3, d + t], [well + 0.3, d * 0.6 + t], [well * 0.95, t + 0.35], [0, t + 0.35]];
      parts.lathe(b.main, prof, 32);
      const band = parts.mat(pick(['#2a4a8a', '#3a7a4a', '#c8a040'], v), 0.3, v === 2 ? 0.8 : 0);
      parts.add(new THREE.TorusGeometry(R - rim * 0.35, 0.18, 4, 32), band, { at: [0, d + t * 0.75, 0], rot: [90, 0, 0], scale: [1, 1, 0.4] });
      parts.flush();
    },
  },
  {
    name: 'bottle', family: 'household', variants: ['wine', 'water', 'beer'],
    params: { height: [0.9, 1.12], radius: [0.9, 1.1], neckLength: [0.8, 1.25], labelHeight: [0.8, 1.2] },
    surface: (v) => ({ color: pick(['#1e4a2a', '#8ac0e0', '#5a2e10'], v), roughness: 0.12, metalness: 0.1 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const R = [3.7, 3.4, 3.0][v] * p.radius;
      const H = [30, 24, 23][v] * p.height;
      const nr = [1.4, 1.3, 1.25][v];
      const nl = [8, 3.5, 6.5][v] * p.neckLength;
      const sh = H - nl - [4, 4, 4.5][v];
      const prof: P2[] = v === 0
        ? [[0, 0], [R - 0.3, 0], [R, 0.4], [R, sh], ...curve(5, (t) => [lerp(R, nr, Math.sin((t * Math.PI) / 2)), sh + t * 4]), [nr, H - 1.0], [nr + 0.25, H - 0.8], [nr + 0.25, H], [0, H]]
        : v === 1
          ? [[0, 0], [R - 0.4, 0], [R, 0.6], [R, sh * 0.3], [R * 0.92, sh * 0.35], [R, sh * 0.4], [R, sh], ...curve(4, (t) => [lerp(R, nr, t ** 0.8), sh + t * 4]), [nr, H - 0.3], [0, H]]
          : [[0, 0], [R - 0.3, 0], [R, 0.4], [R, sh], ...curve(5, (t) => [lerp(R, nr, Math.sin((t * Math.PI) / 2)), sh + t * 4.5]), [nr, H - 0.8], [nr + 0.2, H - 0.6], [nr + 0.15, H], [0, H]];
      parts.lathe(b.main, prof, 24);
      // label
      const lh = [9, 7, 7][v] * p.labelHeight;
      const ly = v === 1 ? sh * 0.45 : sh * 0.2;
      const label = parts.mat(pick(['#efe6cc', '#2a6ab0', '#e8c040'], v), 0.6);
      parts.add(new THREE.CylinderGeometry(R + 0.06, R + 0.06, lh, 24, 1, true), label, { at: [0, ly + lh / 2, 0] });
      // closure
      const cap = parts.mat(pick(['#7a1a22', '#1e5ab0', '#c8a040'], v), 0.4, v === 2 ? 0.7 : 0.1);
      if (v === 0) parts.cyl(cap, [0, H - 5, 0], [0, H + 0.1, 0], nr + 0.3, nr + 0.3, 16);
      else parts.cyl(cap, [0, H - (v === 1 ? 1.6 : 0.6), 0], [0, H + 0.4, 0], nr + 0.35, nr + 0.35, 16);
      parts.flush();
    },
  },
  {
    name: 'vase', family: 'household', variants: ['amphora', 'bud', 'urn'],
    params: { height: [0.88, 1.15], bellyWidth: [0.85, 1.15], neckWidth: [0.8, 1.25], lipFlare: [0.8, 1.3] },
    surface: (v) => ({ color: pick(['#b8663a', '#3a7a8a', '#e8e0d0'], v), roughness: 0.35 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const H = [34, 28, 26][v] * p.height;
      const bw = [10, 5, 12][v] * p.bellyWidth;
      const nw = [3.5, 1.4, 7.5][v] * p.neckWidth;
      const lip = [5.5, 2.4, 11][v] * p.lipFlare;
      const base = [4.5, 3.2, 6][v];
      const bellyAt = [0.42, 0.25, 0.45][v];
      const neckAt = [0.8, 0.75, 0.8][v];
      const outer = curve(14, (t) => {
        const y = t * H;
        let r: number;
        if (t < bellyAt) r = lerp(base, bw, Math.sin(((t / bellyAt) * Math.PI) / 2));
        else if (t < neckAt) r = lerp(bw, nw, (1 - Math.cos(((t - bellyAt) / (neckAt - bellyAt)) * Math.PI)) / 2);
        else r = lerp(nw, lip, ((t - neckAt) / (1 - neckAt)) ** 2);
        return [r, y];
      });
      parts.lathe(b.main, shell(outer, 0.5, 0.5), 28);
      if (v === 0) {
        // two handles from shoulder to neck
        for (const s of [1, -1]) {
          const y0 = H * 0.58;
          const y1 = H * 0.84;
          parts.tube(b.main, [[s * bw * 0.75, y0, 0], [s * (bw * 0.95), (y0 + y1) / 2, 0], [s * (nw + 3.5), y1 + 1, 0], [s * nw * 0.9, y1, 0]], 0.7, 12, 6);
        }
      }
      if (v === 1) {
        // a single stem with a flower
        parts.cyl(parts.mat('#3a7a2a', 0.7), [0, H * 0.6, 0], [1.5, H * 1.45, 0], 0.25, 0.25, 6);
        const petal = parts.mat('#e04a6a', 0.6);
        for (let i = 0; i < 5; i++) {
          const a = (i / 5) * Math.PI * 2;
          parts.ell(petal, [1.6 + Math.cos(a) * 1.6, H * 1.47, Math.sin(a) * 1.6], [1.4, 0.4, 0.9], 8, [0, (-a * 180) / Math.PI, 0]);
        }
        parts.ell(parts.mat('#f2c830', 0.6), [1.6, H * 1.5, 0], 0.8, 8);
      }
      if (v === 2) {
        const band = parts.mat('#2a4a8a', 0.3);
        for (const y of [0.3, 0.55]) {
          const i = Math.round(y * 14);
          parts.add(new THREE.TorusGeometry(outer[i][0], 0.35, 4, 28), band, { at: [0, outer[i][1], 0], rot: [90, 0, 0] });
        }
      }
      parts.flush();
    },
  },
  {
    name: 'teapot', family: 'household', variants: ['classic', 'tall', 'cast-iron'],
    params: { bodyWidth: [0.9, 1.12], bodyHeight: [0.88, 1.12], spoutLength: [0.8, 1.25], handleSize: [0.85, 1.15] },
    surface: (v) => ({ color: pick(['#f0ece4', '#3a6a9a', '#2a2a2a'], v), roughness: v === 2 ? 0.7 : 0.3, metalness: v === 2 ? 0.3 : 0 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const R = [9, 7, 9.5][v] * p.bodyWidth;
      const H = [11, 16, 10][v] * p.bodyHeight;
      const body = curve(10, (t) => {
        if (v === 1) return [R * (0.8 + 0.2 * Math.sin(t * Math.PI * 0.9)) * (t > 0.9 ? 0.92 : 1), t * H];
        return [R * Math.sin(0.35 + t * (Math.PI - 0.9)) * 1.02, t * H];
      });
      const topR = body[body.length - 1][0];
      parts.lathe(b.main, [[0, 0], ...body, [topR * 0.85, H], [0, H]], 24);
      // lid and knob
      parts.lathe(b.main, [[topR * 0.95, 0], [topR * 0.9, 1.2], [topR * 0.5, 2.2], [0, 2.5]], 20, { at: [0, H - 0.2, 0] });
      const knob = v === 2 ? b.main : parts.mat(v === 1 ? '#f0ece4' : '#c8a040', 0.3, v === 0 ? 0.6 : 0);
      parts.ell(knob, [0, H + 2.8, 0], [1.3, 1.0, 1.3], 10);
      // spout: a tapering curved tube from the lower front
      const sl = 10 * p.spoutLength;
      parts.taper(b.main, [[R * 0.8, H * 0.3, 0], [R + sl * 0.35, H * 0.45, 0], [R + sl * 0.7, H * 0.8, 0], [R + sl * 0.95, H * 1.02, 0]], (t) => lerp(2.2, 0.8, t), 16, 10, false);
      // handle
      const hs = p.handleSize;
      if (v === 2) {
        const iron = parts.mat('#1a1a1a', 0.6, 0.4);
        parts.add(new THREE.TorusGeometry(R * 0.8 * hs, 0.6, 6, 20, Math.PI), iron, { at: [0, H + 0.5, 0], rot: [0, 0, 0], scale: [1, 0.9, 1] });
        // bumpy texture band
        for (let i = 0; i < 12; i++) {
          const a = (i / 12) * Math.PI * 2;
          for (const y of [0.45, 0.7]) {
            const r = body[Math.round(y * 10)][0];
            parts.ell(b.main, [Math.cos(a) * r, y * H, Math.sin(a) * r], 0.8, 6);
          }
        }
      } else {
        sideHandle(parts, b.main, -R * 0.85, H * 0.5, H * 0.7 * hs, 6 * hs, 0.9);
      }
      parts.flush();
    },
  },
  {
    name: 'bucket', family: 'household', variants: ['metal', 'plastic', 'wooden'],
    params: { height: [0.9, 1.1], taper: [0.7, 0.95], width: [0.9, 1.1], handleUp: [0, 1] },
    surface: (v) => ({ color: pick(['#a8aeb4', '#2a8ad0', '#a07040'], v), roughness: pick([0.35, 0.45, 0.75], v), metalness: v === 0 ? 0.8 : 0, texture: v === 2 ? 'wood' : v === 0 ? 'metal' : undefined }),
    build(b, v, p) {
      const parts = new Parts(b);
      const Rt = 14 * p.width;
      const Rb = Rt * p.taper;
      const H = 26 * p.height;
      parts.lathe(b.main, shell([[Rb - 0.4, 0], [Rb, 0.5], [Rt, H]], 0.5, 0.3), v === 2 ? 14 : 28);
      const rimMat = v === 2 ? parts.mat('#3a3a3a', 0.4, 0.7) : b.main;
      parts.add(new THREE.TorusGeometry(Rt, 0.5, 6, 28), rimMat, { at: [0, H, 0], rot: [90, 0, 0] });
      if (v === 0) for (const y of [0.3, 0.6]) parts.add(new THREE.TorusGeometry(lerp(Rb, Rt, y) + 0.1, 0.35, 4, 28), b.main, { at: [0, y * H, 0], rot: [90, 0, 0] });
      if (v === 2) for (const y of [0.15, 0.85]) parts.add(new THREE.TorusGeometry(lerp(Rb, Rt, y) + 0.15, 0.4, 4, 14), rimMat, { at: [0, y * H, 0], rot: [90, 0, 0] });
      // wire handle pivoting at ±x, standing up or lying back
      const wire = parts.mat(v === 1 ? '#2a2a2a' : '#8a8e94', 0.4, 0.7);
      const lean = lerp(-75, 0, p.handleUp);
      for (const s of [1, -1]) parts.ell(wire, [s * (Rt - 0.2), H * 0.88, 0], [0.4, 1.4, 1.4], 8);
      parts.add(new THREE.TorusGeometry(Rt, 0.3, 5, 24, Math.PI), wire, { at: [0, H * 0.88, 0], rot: [lean, 0, 0] });
      if (v === 1) parts.cyl(parts.mat('#2a2a2a', 0.7), [-4, H * 0.88 + Rt * Math.cos((lean * Math.PI) / 180), Rt * Math.sin((lean * Math.PI) / 180)], [4, H * 0.88 + Rt * Math.cos((lean * Math.PI) / 180), Rt * Math.sin((lean * Math.PI) / 180)], 0.9, 0.9, 8);
      parts.flush();
    },
  },
  {
    name: 'wine-glass', family: 'household', variants: ['wine', 'flute', 'martini'],
    params: { height: [0.9, 1.12], bowlWidth: [0.88, 1.12], stemLength: [0.8, 1.2], fill: [0, 0.7] },
    surface: (v) => ({ color: pick(['#dde8ee', '#e8eee4', '#e4eaf0'], v), roughness: 0.06, metalness: 0.2 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const sl = [8, 7, 9][v] * p.stemLength;
      const bw = [4.2, 2.6, 6][v] * p.bowlWidth;
      const bh = [10, 13, 7][v] * p.height;
      const foot = [3.8, 3.4, 4][v];
      const t = 0.2;
      const bowl = curve(10, (s) => {
        if (v === 2) return [0.3 + bw * s, sl + s * bh];
        if (v === 1) return [0.3 + bw * Math.sin(Math.min(1, s * 1.6) * Math.PI / 2) * (1 - 0.1 * s), sl + s * bh];
        const a = s * Math.PI * 0.75;
        return [0.3 + bw * Math.sin(a) * (1 + 0.25 * s), sl + (1 - Math.cos(a)) / (1 - Math.cos(Math.PI * 0.75)) * bh];
      });
      const prof: P2[] = [[0, 0], [foot, 0], [foot, 0.25], [0.5, 0.6], [0.35, 1.2], [0.35, sl - 0.3], ...bowl];
      parts.lathe(b.main, shell(prof, t, sl + 0.4).slice(1), 24);
      if (p.fill > 0.05) {
        // wine, champagne or a martini, up to a level
        const k = Math.round(p.fill * 10);
        const liquid = parts.mat(pick(['#6a0e1a', '#e8d890', '#d8e0c0'], v), 0.1);
        parts.lathe(liquid, [[0, sl + 0.4], ...bowl.slice(1, k + 1).map(([r, y]) => [Math.max(0.1, r - t * 1.5), y] as P2), [0, bowl[k][1]]], 20);
        if (v === 2) parts.ell(parts.mat('#5a7a2a', 0.4), [0, sl + bh * Math.max(0.3, p.fill * 0.6), 0], 0.7, 8);
      }
      parts.flush();
    },
  },
];
