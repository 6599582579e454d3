/**
 * Vehicles: bodies are extruded side profiles (so the side silhouette is the characteristic one),
 * with glass, wheels and details as secondary parts. Front is +x.
 */
import * as THREE from 'three';
import type { AssetClass } from '../kit.js';
import { Parts, wheel, pick, roundRect, type V3, type P2 } from './parts.js';

const TYRE = '#1c1c1e';
const HUB = '#c8ccd0';
const GLASS = '#27323c';
const CHROME = '#c8ccd0';

function glass(p: Parts): THREE.Material {
  return p.mat(GLASS, 0.3, 0.1);
}

/** Front and rear lights at x = ±`x`, height y, half-width z. */
function lights(p: Parts, xf: number, xr: number, y: number, z: number, s: number): void {
  // headlights in the chrome material and tail lights in the dark trim one: each extra material is a draw call
  const head = p.mat(CHROME, 0.2, 0.9);
  const tail = p.mat(TYRE, 0.5);
  for (const sz of [1, -1]) {
    p.ell(head, [xf, y, sz * z], [s * 0.35, s * 0.6, s], 8);
    p.ell(tail, [xr, y, sz * z], [s * 0.35, s * 0.5, s * 0.9], 8);
  }
}

/**
 * A hull: a top-view outline (pointed bow at +x) extruded to height h, its bottom pulled in (vee)
 * and the bow raised. Deck at y = h.
 */
function hull(p: Parts, mat: THREE.Material, L: number, W: number, h: number, bow = 0.3, vee = 0.45): void {
  const pts: P2[] = [];
  const n = 8;
  // starboard side from stern to bow, then port side back
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    const x = -L / 2 + t * L;
    const k = t < 1 - bow ? 1 : Math.cos(((t - (1 - bow)) / bow) * (Math.PI / 2)) ** 0.8;
    pts.push([x, (W / 2) * (t === 0 ? 0.88 : k)]);
  }
  for (let i = n; i >= 0; i--) pts.push([pts[i][0], -pts[i][1]]);
  const shape = new THREE.Shape(pts.map(([x, y]) => new THREE.Vector2(x, y)));
  const g = new THREE.ExtrudeGeometry(shape, { depth: h, bevelEnabled: false, curveSegments: 4 });
  g.clearGroups();
  // extrusion z (0..h) becomes y; outline y becomes z.
  g.rotateX(-Math.PI / 2);
  const pos = g.getAttribute('position');
  for (let i = 0; i < pos.count; i++) {
    const x = pos.getX(i);
    const y = pos.getY(i);
    const z = pos.getZ(i);
    const t = 1 - y / h; // 1 at keel, 0 at deck
    const fwd = Math.max(0, (x / (L / 2) - 0.3) / 0.7);
    pos.setXYZ(i, x * (1 - 0.06 * t), y + fwd * fwd * h * 0.35 * (1 - t), z * (1 - vee * t));
  }
  g.computeVertexNormals();
  p.add(g, mat);
}

export const VEHICLE_CLASSES: AssetClass[] = [
  {
    name: 'car', family: 'vehicle', variants: ['sedan', 'hatchback', 'suv'],
    params: { length: [0.9, 1.1], height: [0.92, 1.1], wheelSize: [0.9, 1.15], cabinLength: [0.85, 1.15] },
    surface: (v) => ({ color: pick(['#b02a2a', '#2a5fa8', '#3a4a3e'], v), roughness: 0.3, metalness: 0.4 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const L = [4.4, 3.8, 4.6][v] * p.length;
      const W = 1.8;
      const clr = [0.3, 0.3, 0.45][v];
      const belt = [0.95, 0.95, 1.2][v] * p.height;
      const roof = [1.42, 1.5, 1.85][v] * p.height;
      const wr = [0.33, 0.31, 0.4][v] * p.wheelSize;
      const hl = L / 2;
      // lower body: bumper-to-bumper side profile with a sloping hood front
      parts.slab(b.main, [[-hl, clr + 0.05], [-hl + 0.15, clr], [hl - 0.2, clr], [hl, clr + 0.12], [hl, belt - 0.25], [hl - 0.25, belt - 0.05], [hl * 0.3, belt], [-hl + 0.1, belt], [-hl, belt - 0.12]], W, undefined, 0.04);
      // greenhouse
      const cl = p.cabinLength;
      const xf = [0.22, 0.25, 0.3][v] * L;
      const xr = [-0.28 * L * cl, -hl + 0.05, -hl + 0.1][v];
      const ws = [0.55, 0.6, 0.5][v] * (roof - belt) / 0.5;
      const rs = [0.5, 0.2, 0.12][v];
      const top = roof - 0.04;
      parts.slab(glass(parts), [[xr, belt - 0.02], [xf, belt - 0.02], [xf - ws, top], [xr + rs, top]], W * 0.86);
      parts.box(b.main, [(xf - ws + xr + rs) / 2, top + 0.02, 0], [xf - ws - xr - rs + 0.06, 0.06, W * 0.88]);
      // pillars
      const bx = (xf - ws + xr + rs) / 2 + 0.05;
      parts.box(b.main, [bx, (belt + top) / 2, 0], [0.1, top - belt, W * 0.87]);
      if (v === 2) {
        parts.box(b.main, [xr + rs * 0.5 + 0.06, (belt + top) / 2, 0], [0.14, top - belt, W * 0.87]);
        const rack = parts.mat('#222222', 0.5, 0.5);
        for (const sz of [1, -1]) parts.box(rack, [bx - 0.2, top + 0.1, sz * W * 0.38], [L * 0.45, 0.04, 0.05]);
      }
      // wheels
      const ax = L * 0.31;
      const tyre = parts.mat(TYRE, 0.9);
      const hub = parts.mat(HUB, 0.3, 0.8);
      for (const x of [ax, -ax]) for (const sz of [1, -1]) wheel(parts, tyre, hub, [x, wr, sz * (W / 2 - 0.12)], wr, 0.26);
      lights(parts, hl - 0.04, -hl + 0.02, belt - 0.2, W * 0.34, 0.1);
      // bumpers and mirrors
      const trim = parts.mat('#2a2a2a', 0.6);
      parts.box(trim, [hl - 0.02, clr + 0.12, 0], [0.08, 0.16, W * 0.98]);
      parts.box(trim, [-hl + 0.02, clr + 0.12, 0], [0.08, 0.16, W * 0.98]);
      for (const sz of [1, -1]) parts.box(b.main, [xf - 0.15, belt + 0.05, sz * (W / 2 + 0.08)], [0.16, 0.1, 0.14]);
      parts.flush();
    },
  },
  {
    name: 'truck', family: 'vehicle', variants: ['box-truck', 'dump-truck', 'tanker'],
    params: { cargoLength: [0.85, 1.15], cargoHeight: [0.85, 1.15], cabHeight: [0.92, 1.08], wheelSize: [0.9, 1.12] },
    surface: (v) => ({ color: pick(['#e8e6e0', '#e0a020', '#c03028'], v), roughness: 0.4, metalness: 0.2 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const W = 2.4;
      const wr = 0.5 * p.wheelSize;
      const frameY = 0.85;
      const cl = 5.0 * p.cargoLength;
      const cabL = 2.2;
      const front = cl / 2 + cabL + 0.3;
      const dark = parts.mat('#2a2a2c', 0.6, 0.3);
      // chassis
      parts.box(dark, [(front - cl / 2 - 0.6) / 2 - 0.3, frameY - 0.15, 0], [front + cl / 2 + 0.3, 0.3, W * 0.6]);
      // cab: conventional with a hood
      const cabH = 2.9 * p.cabHeight;
      const cx0 = cl / 2 + 0.3;
      const cabMat = v === 0 ? parts.mat('#2a5fa8', 0.35, 0.3) : b.main;
      parts.slab(cabMat, [[cx0, frameY], [front, frameY], [front, frameY + 1.2], [front - 0.9, frameY + 1.35], [front - 1.05, cabH], [cx0, cabH]], W, undefined, 0.05);
      parts.slab(glass(parts), [[front - 1.0, frameY + 1.4], [front - 0.98, frameY + 1.42], [front - 1.08, cabH - 0.15], [front - 1.1, cabH - 0.15]], W * 0.9);
      parts.box(glass(parts), [front - 1.02, (frameY + 1.45 + cabH - 0.15) / 2, 0], [0.12, cabH - 0.15 - frameY - 1.45, W * 0.86], [0, 0, 4]);
      for (const sz of [1, -1]) parts.box(glass(parts), [cx0 + 0.55, frameY + 1.75, sz * W / 2], [0.8, 0.7, 0.04]);
      parts.box(parts.mat(CHROME, 0.25, 0.9), [front + 0.02, frameY + 0.55, 0], [0.06, 0.7, W * 0.7]);
      for (const sz of [1, -1]) parts.cyl(parts.mat(CHROME, 0.25, 0.9), [cx0 - 0.1, frameY, sz * W * 0.4], [cx0 - 0.1, cabH + 0.4, sz * W * 0.4], 0.07, 0.07, 8);
      lights(parts, front, -cl / 2 - 0.3, frameY + 0.3, W * 0.38, 0.14);
      // cargo
      const ch = 2.6 * p.cargoHeight;
      if (v === 0) {
        parts.box(b.main, [0, frameY + ch / 2 + 0.02, 0], [cl, ch, W * 1.02]);
        parts.box(dark, [-cl / 2 - 0.02, frameY + ch / 2, 0], [0.04, ch * 0.9, W * 0.9]);
      } else if (v === 1) {
        const h = ch * 0.6;
        parts.slab(b.main, [[-cl / 2, frameY + h], [-cl / 2 + 0.4, frameY + 0.1], [cl / 2, frameY + 0.1], [cl / 2, frameY + h + 0.4], [cl / 2 - 0.5, frameY + h + 0.4], [cl / 2 - 0.5, frameY + h]], W);
        parts.box(dark, [0, frameY + h - 0.05, 0], [cl - 0.6, 0.1, W * 0.85]);
        for (let i = 0; i < 4; i++) parts.box(b.main, [-cl / 2 + 0.8 + i * (cl - 1) / 3, frameY + h / 2 + 0.1, 0], [0.12, h - 0.1, W * 1.04]);
      } else {
        const tr = ch * 0.42;
        const tank = parts.mat('#c8ccd0', 0.3, 0.8);
        parts.cyl(tank, [-cl / 2, frameY + tr + 0.1, 0], [cl / 2, frameY + tr + 0.1, 0], tr, tr, 20);
        for (const x of [-cl / 2, cl / 2]) parts.ell(tank, [x, frameY + tr + 0.1, 0], [0.25, tr, tr], 16);
        for (let i = 0; i < 3; i++) parts.cyl(dark, [-cl / 2 + 0.6 + i * (cl - 1.2) / 2 - 0.05, frameY + tr + 0.1, 0], [-cl / 2 + 0.6 + i * (cl - 1.2) / 2 + 0.05, frameY + tr + 0.1, 0], tr * 1.03, tr * 1.03, 20);
        parts.box(dark, [0, frameY + 2 * tr + 0.15, 0], [cl * 0.7, 0.08, 0.5]);
      }
      // wheels: steer axle and twin rear axles
      const tyre = parts.mat(TYRE, 0.9);
      const hub = parts.mat(HUB, 0.3, 0.8);
      for (const x of [front - 1.6, -cl / 2 + 1.0, -cl / 2 + 2.1]) for (const sz of [1, -1]) wheel(parts, tyre, hub, [x, wr, sz * (W / 2 - 0.2)], wr, 0.4);
      parts.flush();
    },
  },
  {
    name: 'bus', family: 'vehicle', variants: ['city', 'school', 'double-decker'],
    params: { length: [0.88, 1.12], height: [0.95, 1.08], windowSize: [0.85, 1.1], wheelSize: [0.9, 1.1] },
    surface: (v) => ({ color: pick(['#2a70c0', '#f2b418', '#c4201e'], v), roughness: 0.35, metalness: 0.2 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const W = 2.5;
      const L = [11, 10, 10][v] * p.length;
      const H = [3.0, 2.9, 4.3][v] * p.height;
      const clr = 0.45;
      const wr = 0.5 * p.wheelSize;
      const hl = L / 2;
      const hoodL = v === 1 ? 1.4 : 0;
      // body: rounded box, with a hood at the front for the school bus
      parts.slab(b.main, roundRect(-hl, clr, hl - hoodL, clr + H, 0.25), W, undefined, 0.04);
      if (v === 1) parts.slab(b.main, [[hl - hoodL - 0.1, clr], [hl, clr], [hl, clr + 1.1], [hl - 0.3, clr + 1.4], [hl - hoodL - 0.1, clr + 1.45]], W * 0.8, undefined, 0.04);
      // window bands
      const gl = glass(parts);
      const ws = p.windowSize;
      const bands = v === 2 ? [clr + 1.25, clr + 3.0] : [clr + 1.45];
      const wh = (v === 2 ? 0.9 : 1.0) * ws;
      const fx = hl - hoodL;
      for (const y of bands) {
        const n = Math.round((L - hoodL) / 1.3);
        for (let i = 0; i < n; i++) {
          const x = -hl + 0.5 + (i + 0.5) * ((L - hoodL - 1.6) / n);
          parts.box(gl, [x, y + wh / 2, 0], [((L - hoodL - 1.6) / n) * 0.86, wh, W + 0.02]);
        }
        // windscreen
        parts.box(gl, [fx + 0.01, y + wh / 2 + (v === 2 ? 0 : -0.1), 0], [0.04, wh * (v === 2 ? 1 : 1.25), W * 0.86]);
      }
      // door (front right side), stripes and destination sign
      const door = glass(parts);
      parts.box(door, [fx - 0.9, clr + 1.1, W / 2 + 0.005], [0.9, 2.0, 0.02]);
      if (v === 1) {
        const black = parts.mat('#1a1a1a', 0.5);
        for (const y of [clr + 0.7, clr + 1.15]) parts.box(black, [-hoodL / 2, y, 0], [L - hoodL - 0.2, 0.08, W + 0.03]);
        parts.box(black, [-hl + 0.1, clr + 0.2, 0], [0.2, 0.25, W * 1.02]);
      } else {
        parts.box(parts.mat(CHROME, 0.3, 0.9), [0, clr + 0.8, 0], [L * 0.98, 0.15, W + 0.03]);
      }
      lights(parts, hl, -hl, clr + 0.5, W * 0.38, 0.14);
      const tyre = parts.mat(TYRE, 0.9);
      const hub = parts.mat(HUB, 0.3, 0.8);
      for (const x of [hl - hoodL - 1.9, -hl + 2.6]) for (const sz of [1, -1]) wheel(parts, tyre, hub, [x, wr, sz * (W / 2 - 0.12)], wr, 0.3);
      parts.flush();
    },
  },
  {
    name: 'bicycle', family: 'vehicle', variants: ['road', 'mountain', 'cruiser'],
    params: { wheelSize: [0.9, 1.1], frameSize: [0.9, 1.12], saddleHeight: [0.9, 1.15], wheelbase: [0.95, 1.08] },
    surface: (v) => ({ color: pick(['#c42828', '#2a6ab0', '#2a9a8a'], v), roughness: 0.3, metalness: 0.5 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const frame = b.main;
      const R = 0.34 * p.wheelSize;
      const tyreR = [0.014, 0.03, 0.024][v];
      const wb = 1.02 * p.wheelbase;
      const rear: V3 = [-wb / 2, R, 0];
      const front: V3 = [wb / 2, R, 0];
      const tyre = parts.mat(TYRE, 0.85);
      const metal = parts.mat(CHROME, 0.3, 0.9);
      for (const c of [rear, front]) {
        parts.add(new THREE.TorusGeometry(R - tyreR, tyreR, 6, 32), tyre, { at: c });
        parts.add(new THREE.TorusGeometry(R - tyreR * 2.2, 0.008, 4, 24), metal, { at: c });
        for (let i = 0; i < 6; i++) {
          const a = (i / 6) * Math.PI;
          const dx = Math.cos(a) * (R - tyreR * 2);
          const dy = Math.sin(a) * (R - tyreR * 2);
          parts.cyl(metal, [c[0] - dx, c[1] - dy, 0], [c[0] + dx, c[1] + dy, 0], 0.003, 0.003, 3);
        }
        parts.cyl(metal, [c[0], c[1], -0.04], [c[0], c[1], 0.04], 0.025, 0.025, 8);
      }
      const fs = p.frameSize;
      const bb: V3 = [-0.02, R - 0.04, 0];
      const seatTop: V3 = [bb[0] - 0.16 * fs, bb[1] + 0.55 * fs, 0];
      const headTop: V3 = [front[0] - 0.2, bb[1] + 0.6 * fs, 0];
      const headBot: V3 = [front[0] - 0.16, bb[1] + 0.45 * fs, 0];
      const tr = v === 1 ? 0.022 : 0.016;
      // main triangle and rear triangle
      parts.cyl(frame, bb, seatTop, tr, tr, 8);
      parts.cyl(frame, bb, headBot, tr * 1.15, tr * 1.15, 8);
      if (v === 2) parts.tube(frame, [[seatTop[0], seatTop[1] - 0.08, 0], [0.05, seatTop[1] - 0.18, 0], [headBot[0] - 0.03, headBot[1] + 0.03, 0]], tr, 12, 6);
      else parts.cyl(frame, [seatTop[0], seatTop[1] - 0.03, 0], [headTop[0], headTop[1] - (v === 1 ? 0.06 : 0.02), 0], tr, tr, 8);
      parts.cyl(frame, headBot, headTop, tr * 1.3, tr * 1.3, 8);
      for (const sz of [1, -1]) {
        parts.cyl(frame, [bb[0], bb[1], sz * 0.03], [rear[0], rear[1], sz * 0.05], tr * 0.7, tr * 0.7, 6);
        parts.cyl(frame, [seatTop[0], seatTop[1] - 0.04, sz * 0.02], [rear[0], rear[1], sz * 0.05], tr * 0.7, tr * 0.7, 6);
        parts.cyl(v === 1 ? metal : frame, [headBot[0], headBot[1], sz * 0.02], [front[0], front[1], sz * 0.05], tr * (v === 1 ? 1.1 : 0.8), tr * 0.7, 6);
      }
      // seat post and saddle
      const sh = 0.12 * p.saddleHeight + (v === 1 ? 0.02 : 0);
      const sdir = [seatTop[0] - bb[0], seatTop[1] - bb[1]];
      const sl = Math.hypot(sdir[0], sdir[1]);
      const saddle: V3 = [seatTop[0] + (sdir[0] / sl) * sh, seatTop[1] + (sdir[1] / sl) * sh, 0];
      parts.cyl(metal, seatTop, saddle, 0.012, 0.012, 6);
      const black = parts.mat('#1e1e1e', 0.6);
      parts.ell(black, [saddle[0] + 0.02, saddle[1] + 0.02, 0], v === 2 ? [0.12, 0.035, 0.08] : [0.12, 0.025, 0.045], 10);
      // stem and bars
      const stem: V3 = [headTop[0] - 0.02, headTop[1] + 0.08, 0];
      parts.cyl(metal, headTop, stem, 0.013, 0.013, 6);
      if (v === 0) {
        parts.cyl(metal, [stem[0], stem[1], -0.2], [stem[0], stem[1], 0.2], 0.011, 0.011, 6);
        for (const sz of [1, -1]) parts.add(new THREE.TorusGeometry(0.06, 0.011, 5, 10, Math.PI * 1.2), black, { at: [stem[0] + 0.05, stem[1] - 0.06, sz * 0.2], rot: [0, 0, -90] });
      } else if (v === 1) {
        parts.cyl(black, [stem[0], stem[1], -0.34], [stem[0], stem[1], 0.34], 0.012, 0.012, 6);
      } else {
        parts.tube(metal, [[stem[0] - 0.2, stem[1] + 0.08, -0.3], [stem[0] - 0.05, stem[1] + 0.02, -0.22], [stem[0], stem[1], 0], [stem[0] - 0.05, stem[1] + 0.02, 0.22], [stem[0] - 0.2, stem[1] + 0.08, 0.3]], 0.012, 16, 6);
        // fenders and a basket
        for (const c of [rear, front]) parts.add(new THREE.TorusGeometry(R + 0.02, 0.012, 4, 16, Math.PI * 0.9), frame, { at: c, rot: [0, 0, 20], scale: [1, 1, 3] });
        parts.box(parts.mat('#a07a4a', 0.9), [front[0] + 0.02, headTop[1] - 0.02, 0], [0.22, 0.16, 0.3]);
      }
      // crank and pedals
      parts.cyl(metal, [bb[0], bb[1], -0.06], [bb[0], bb[1], 0.06], 0.05, 0.05, 12);
      for (const sz of [1, -1]) {
        const pe: V3 = [bb[0] + sz * 0.1, bb[1] - sz * 0.1, sz * 0.08];
        parts.cyl(metal, [bb[0], bb[1], sz * 0.07], pe, 0.01, 0.01, 4);
        parts.box(black, [pe[0], pe[1], sz * 0.11], [0.08, 0.015, 0.07]);
      }
      parts.flush();
    },
  },
  {
    name: 'airplane', family: 'vehicle', variants: ['airliner', 'propeller', 'fighter'],
    params: { wingspan: [0.85, 1.15], fuselageLength: [0.9, 1.1], tailHeight: [0.85, 1.2], sweep: [0.8, 1.2] },
    surface: (v) => ({ color: pick(['#eeeeee', '#e0c020', '#7a8690'], v), roughness: 0.35, metalness: v === 2 ? 0.4 : 0.2 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const body = b.main;
      const L = [10, 7, 9][v] * p.fuselageLength;
      const R = [0.55, 0.45, 0.45][v];
      // fuselage: a lathe along +x (tail at x=-L/2)
      const prof: P2[] = v === 2
        ? [[0.2, 0], [0.4, 0.5], [R, 2.5], [R, L * 0.6], [R * 0.7, L * 0.8], [R * 0.3, L * 0.95], [0.02, L]]
        : v === 1
          ? [[0.1, 0], [0.25, 1.2], [R, L * 0.6], [R, L * 0.82], [R * 0.8, L * 0.97], [0.15, L]]
          : [[0.08, 0], [0.3, 0.5], [R * 0.9, 2.4], [R, 3.2], [R, L * 0.85], [R * 0.8, L * 0.94], [R * 0.45, L * 0.985], [0.05, L]];
      const fy = R + (v === 1 ? 0.55 : 0.45);
      parts.lathe(body, prof, 20, { at: [-L / 2, fy, 0], rot: [0, 0, -90] });
      const gl = glass(parts);
      const sw = p.sweep;
      const span = [5.5, 5.0, 3.2][v] * p.wingspan;
      if (v === 0) {
        // swept low wing, engines, windows
        const wx = 0.4;
        parts.slab(body, [[wx + 0.9, 0], [wx - 1.0 - 1.8 * sw, span], [wx - 1.9 - 1.8 * sw, span], [wx - 1.6, 0], [wx - 1.9 - 1.8 * sw, -span], [wx - 1.0 - 1.8 * sw, -span]], 0.12, { at: [0, fy - R * 0.6, 0], rot: [90, 0, 0] });
        const eng = parts.mat(CHROME, 0.3, 0.9);
        for (const sz of [1, -1]) {
          parts.cyl(eng, [wx - 1.4, fy - R * 1.2, sz * span * 0.38], [wx + 0.6, fy - R * 1.2, sz * span * 0.38], 0.3, 0.34, 14);
          parts.cyl(parts.mat('#222222', 0.5), [wx + 0.59, fy - R * 1.2, sz * span * 0.38], [wx + 0.62, fy - R * 1.2, sz * span * 0.38], 0.28, 0.28, 14);
        }
        for (const sz of [1, -1]) parts.box(gl, [0.3, fy + R * 0.25, sz * (R - 0.02)], [L * 0.62, 0.12, 0.04]);
        parts.slab(gl, [[0, 0], [0.5, -0.22], [0.3, 0.08]], R * 1.2, { at: [L / 2 - 0.9, fy + R * 0.35, 0] });
        parts.box(parts.mat('#1e4fa0', 0.4), [0, fy - R * 0.2, 0], [L * 0.8, 0.12, R * 2.02]);
      } else if (v === 1) {
        // high wing with struts, propeller
        parts.slab(body, [[0.5, span], [0.5, -span], [-0.7, -span], [-0.7, span]], 0.12, { at: [L * 0.12, fy + R * 0.95, 0], rot: [90, 0, 0] });
        for (const sz of [1, -1]) parts.cyl(body, [L * 0.12, fy - R * 0.6, sz * R * 0.8], [L * 0.12, fy + R * 0.9, sz * span * 0.5], 0.035, 0.035, 6);
        parts.slab(gl, [[0, 0], [0.7, 0], [0.1, 0.5], [-0.4, 0.45]], R * 1.8, { at: [L * 0.22, fy + R * 0.2, 0] });
        const prop = parts.mat(TYRE, 0.6);
        const nose = L / 2 + 0.1;
        parts.ell(parts.mat('#c8202a', 0.4), [nose, fy, 0], [0.3, 0.18, 0.18], 10);
        parts.box(prop, [nose + 0.12, fy, 0], [0.05, 2.2, 0.16], [30, 0, 0]);
        // fixed gear
        for (const sz of [1, -1]) {
          parts.cyl(prop, [L * 0.15, fy - R, sz * 0.3], [L * 0.15, 0.25, sz * 0.75], 0.04, 0.04, 6);
          wheel(parts, parts.mat(TYRE, 0.9), parts.mat(HUB, 0.3, 0.8), [L * 0.15, 0.25, sz * 0.8], 0.25, 0.14);
        }
      } else {
        // delta wing fighter with a bubble canopy and twin fins
        parts.slab(body, [[1.5, 0.4], [-2.2 * sw, span], [-3.2, span], [-3.6, 0.4], [-3.6, -0.4], [-3.2, -span], [-2.2 * sw, -span], [1.5, -0.4]], 0.1, { at: [0, fy - 0.1, 0], rot: [90, 0, 0] });
        parts.ell(gl, [L * 0.28, fy + R * 0.7, 0], [1.1, 0.38, 0.32], 14);
        for (const sz of [1, -1]) parts.box(parts.mat('#222222', 0.5, 0.2), [1.0, fy - 0.05, sz * (R + 0.15)], [2.6, 0.6, 0.3]);
        parts.cyl(parts.mat('#222222', 0.5, 0.2), [-L / 2 - 0.2, fy, 0], [-L / 2 + 0.4, fy, 0], 0.32, 0.36, 12);
      }
      // tail: fin and stabilisers
      const th = [2.2, 1.5, 1.7][v] * p.tailHeight;
      const tx = -L / 2 + 0.1;
      const fins = v === 2 ? [0.5, -0.5] : [0];
      for (const z of fins) parts.slab(body, [[tx, 0], [tx + 1.6, 0], [tx + 0.5, th], [tx - 0.1, th]], 0.1, { at: [0, fy + R * 0.3, z], rot: [v === 2 ? z * 30 : 0, 0, 0] });
      const st = [1.9, 1.4, 1.5][v];
      parts.slab(body, [[tx + 1.3, 0], [tx + 0.2, st], [tx - 0.4, st], [tx - 0.1, 0], [tx - 0.4, -st], [tx + 0.2, -st]], 0.08, { at: [0, fy + (v === 0 ? 0 : R * 0.2), 0], rot: [90, 0, 0] });
      if (v !== 1) {
        // retractable gear, down
        const gear = parts.mat(TYRE, 0.6);
        const tyre = parts.mat(TYRE, 0.9);
        for (const [x, z] of [[L * 0.3, 0], [-0.6, 0.9], [-0.6, -0.9]] as [number, number][]) {
          parts.cyl(gear, [x, fy - R * 0.5, z], [x, 0.2, z], 0.05, 0.05, 6);
          parts.add(new THREE.CylinderGeometry(0.2, 0.2, 0.15, 12), tyre, { at: [x, 0.2, z], rot: [90, 0, 0] });
        }
      }
      parts.flush();
    },
  },
  {
    name: 'boat', family: 'vehicle', variants: ['sailboat', 'motorboat', 'tugboat'],
    params: { length: [0.9, 1.1], beam: [0.85, 1.15], cabinSize: [0.85, 1.15], mastHeight: [0.85, 1.15] },
    surface: (v) => ({ color: pick(['#f2f2ee', '#e8e8ec', '#c43020'], v), roughness: 0.4, metalness: 0.05 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const L = [6, 6, 7][v] * p.length;
      const W = [2.2, 2.3, 2.9][v] * p.beam;
      const H = [0.9, 0.8, 1.5][v];
      hull(parts, b.main, L, W, H, v === 2 ? 0.25 : 0.35, v === 2 ? 0.3 : 0.5);
      const deck = parts.mat('#b08a58', 0.8, 0, 'wood', 2);
      const stripe = parts.mat(TYRE, 0.5);
      // waterline stripe
      parts.box(stripe, [0, H * 0.28, 0], [L * 0.9, H * 0.12, W * 0.86]);
      const white = parts.mat('#f2f2ee', 0.5);
      const cs = p.cabinSize;
      if (v === 0) {
        parts.box(deck, [-L * 0.05, H, 0], [L * 0.78, 0.04, W * 0.8]);
        parts.slab(white, [[-L * 0.2, 0], [L * 0.12, 0], [L * 0.05, 0.45 * cs], [-L * 0.18, 0.45 * cs]], W * 0.5, { at: [-L * 0.05, H, 0] });
        parts.box(glass(parts), [-L * 0.1, H + 0.22 * cs, 0], [L * 0.2, 0.14, W * 0.52]);
        const mh = 8 * p.mastHeight;
        const mx = L * 0.08;
        const metal = parts.mat(CHROME, 0.3, 0.7);
        parts.cyl(metal, [mx, H, 0], [mx, H + mh, 0], 0.07, 0.05, 8);
        parts.cyl(metal, [mx, H + 1.2, 0], [-L * 0.45, H + 1.2, 0], 0.05, 0.05, 6);
        const sail = white;
        parts.slab(sail, [[mx - 0.1, H + 1.3], [mx - 0.1, H + mh - 0.2], [-L * 0.44, H + 1.3]], 0.03);
        parts.slab(sail, [[mx + 0.15, H + 0.6], [mx + 0.15, H + mh * 0.85], [L * 0.47, H + 0.3]], 0.03);
      } else if (v === 1) {
        parts.box(deck, [-L * 0.15, H, 0], [L * 0.6, 0.04, W * 0.82]);
        // cockpit with windscreen
        parts.slab(white, [[-L * 0.1, 0], [L * 0.18, 0], [L * 0.08, 0.55 * cs], [-L * 0.02, 0.6 * cs]], W * 0.72, { at: [0, H, 0] });
        parts.slab(glass(parts), [[L * 0.05, 0.5 * cs], [L * 0.12, 0.3 * cs], [L * 0.02, 1.0 * cs], [-L * 0.0, 1.0 * cs]], W * 0.7, { at: [0, H, 0] });
        parts.box(stripe, [-L / 2 - 0.15, H * 0.6, 0], [0.4, 0.9, 0.5]);
        const seat = white;
        for (const sz of [1, -1]) parts.box(seat, [-L * 0.15, H + 0.25, sz * W * 0.2], [0.5, 0.5, 0.5]);
      } else {
        parts.box(deck, [0, H, 0], [L * 0.8, 0.04, W * 0.86]);
        // wheelhouse, funnel and fenders
        parts.box(white, [-L * 0.02, H + 0.7 * cs, 0], [L * 0.32, 1.4 * cs, W * 0.6]);
        parts.box(white, [L * 0.02, H + 1.4 * cs + 0.5 * cs, 0], [L * 0.2, 1.0 * cs, W * 0.55]);
        const gl = glass(parts);
        parts.box(gl, [L * 0.12 + 0.02, H + 1.4 * cs + 0.55 * cs, 0], [0.04, 0.45 * cs, W * 0.5]);
        for (const sz of [1, -1]) parts.box(gl, [L * 0.02, H + 1.4 * cs + 0.55 * cs, sz * W * 0.276], [L * 0.14, 0.4 * cs, 0.02]);
        parts.box(stripe, [L * 0.02, H + 2.4 * cs + 0.05, 0], [L * 0.22, 0.1, W * 0.57]);
        parts.cyl(parts.mat('#e8b020', 0.5), [-L * 0.2, H + 0.5, 0], [-L * 0.2, H + 2.6 * cs, 0], 0.35, 0.3, 12);
        parts.cyl(stripe, [-L * 0.2, H + 2.6 * cs, 0], [-L * 0.2, H + 2.9 * cs, 0], 0.3, 0.3, 12);
        const tyre = parts.mat(TYRE, 0.9);
        for (let i = 0; i < 4; i++) for (const sz of [1, -1]) parts.add(new THREE.TorusGeometry(0.22, 0.09, 6, 10), tyre, { at: [-L * 0.3 + i * L * 0.18, H * 0.65, sz * (W / 2 - 0.05)], rot: [0, 0, 0] });
      }
      parts.flush();
    },
  },
  {
    name: 'locomotive', family: 'vehicle', variants: ['steam', 'diesel', 'bullet'],
    params: { length: [0.9, 1.1], boilerSize: [0.9, 1.1], cabHeight: [0.9, 1.1], wheelSize: [0.9, 1.12] },
    surface: (v) => ({ color: pick(['#1e1e22', '#e0a020', '#f0f0f2'], v), roughness: 0.4, metalness: 0.4 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const W = 2.8;
      const L = [11, 15, 16][v] * p.length;
      const hl = L / 2;
      const dark = parts.mat('#1a1a1a', 0.6, 0.4);
      const red = parts.mat('#a82020', 0.5, 0.3);
      const tyre = parts.mat(CHROME, 0.3, 0.9);
      const gl = glass(parts);
      // rails under it
      parts.box(parts.mat(CHROME, 0.3, 0.9), [0, 0.05, 0], [L * 1.05, 0.1, W * 0.7]);
      if (v === 0) {
        const bw = 0.8 * p.wheelSize;
        parts.box(dark, [0, bw * 1.1, 0], [L * 0.95, 0.4, W * 0.75]);
        for (let i = 0; i < 3; i++) for (const sz of [1, -1]) wheel(parts, red, dark, [-0.5 + i * 1.8 - 1.2, bw, sz * W * 0.4], bw, 0.2, 18);
        for (const x of [hl - 1.6, hl - 2.6]) for (const sz of [1, -1]) wheel(parts, red, dark, [x, 0.45, sz * W * 0.4], 0.45, 0.2);
        for (const sz of [1, -1]) parts.box(parts.mat(CHROME, 0.3, 0.9), [-1.7 + 1.8, bw, sz * W * 0.48], [3.8, 0.12, 0.06]);
        const br = 1.0 * p.boilerSize;
        const by = bw * 1.1 + 0.4 + br;
        parts.cyl(b.main, [-hl * 0.25, by, 0], [hl - 0.6, by, 0], br, br, 20);
        parts.cyl(dark, [hl - 0.6, by, 0], [hl - 0.4, by, 0], br * 1.02, br * 1.02, 20);
        parts.cyl(b.main, [hl - 1.8, by + br * 0.8, 0], [hl - 1.8, by + br + 1.0, 0], 0.3, 0.42, 12);
        parts.cyl(dark, [hl - 1.8, by + br + 0.9, 0], [hl - 1.8, by + br + 1.15, 0], 0.48, 0.48, 12);
        parts.ell(parts.mat(CHROME, 0.3, 0.9), [0.6, by + br * 0.95, 0], [0.4, 0.45, 0.4], 12);
        // cab
        const ch = 3.2 * p.cabHeight;
        parts.box(b.main, [-hl + 1.4, bw * 1.1 + 0.4 + ch / 2, 0], [2.6, ch, W]);
        parts.box(red, [-hl + 1.4, bw * 1.1 + 0.4 + ch + 0.05, 0], [2.9, 0.12, W * 1.1]);
        for (const sz of [1, -1]) parts.box(gl, [-hl + 1.5, bw * 1.1 + 0.4 + ch * 0.7, sz * W / 2], [0.9, 0.8, 0.04]);
        // cowcatcher and lamp
        parts.slab(red, [[0, 0.1], [0.9, 0.1], [0, 1.0]], W * 0.8, { at: [hl - 0.45, 0, 0] });
        parts.ell(parts.mat(CHROME, 0.3, 0.9), [hl - 0.35, by + br * 0.6, 0], 0.22, 10);
      } else {
        const wr = 0.5 * p.wheelSize;
        const deckY = 1.3;
        // bogies
        for (const x of [hl * 0.6, -hl * 0.6]) {
          parts.box(dark, [x, wr, 0], [3.2, 0.6, W * 0.7]);
          for (const dx of [-0.9, 0.9]) for (const sz of [1, -1]) wheel(parts, tyre, dark, [x + dx, wr, sz * W * 0.36], wr, 0.16);
        }
        parts.box(dark, [0, deckY - 0.15, 0], [L * 0.98, 0.4, W]);
        const ch = 2.6 * p.cabHeight;
        if (v === 1) {
          // hood unit with a cab towards the front
          parts.box(b.main, [-1.2, deckY + ch * 0.42, 0], [L - 4.5, ch * 0.84, W * 0.7]);
          parts.box(b.main, [hl - 2.6, deckY + ch * 0.52, 0], [2.6, ch * 1.04, W]);
          parts.box(b.main, [hl - 0.65, deckY + ch * 0.28, 0], [1.3, ch * 0.56, W * 0.7]);
          parts.box(gl, [hl - 1.28, deckY + ch * 0.8, 0], [0.04, ch * 0.3, W * 0.85]);
          for (const sz of [1, -1]) parts.box(gl, [hl - 2.4, deckY + ch * 0.8, sz * W / 2], [1.4, ch * 0.3, 0.04]);
          const stripe = parts.mat('#1e1e1e', 0.5);
          parts.box(stripe, [0, deckY + 0.25, 0], [L * 0.99, 0.2, W * 1.01]);
          parts.box(dark, [-1.2, deckY + ch * 0.84 + 0.1, 0], [1.5, 0.2, 1.0]);
          for (let i = 0; i < 5; i++) parts.box(dark, [-hl + 2.5 + i * 1.6, deckY + ch * 0.5, 0], [0.8, ch * 0.5, W * 0.71]);
        } else {
          // streamlined nose
          const h = ch * 1.2;
          parts.slab(b.main, [[-hl, 0], [hl - 5, 0], [hl - 1.5, 0.05], [hl, 0.15], [hl - 1, h * 0.5], [hl - 4.5, h], [-hl, h]], W, { at: [0, deckY, 0] }, 0.1);
          parts.slab(gl, [[hl - 4.3, h * 0.98], [hl - 2.5, h * 0.82], [hl - 2.8, h * 0.7], [hl - 4.4, h * 0.88]], W * 0.8, { at: [0, deckY + 0.03, 0] });
          const band = parts.mat('#1e4fa0', 0.4);
          parts.slab(band, [[-hl, 0.35], [hl - 0.6, 0.35], [hl - 0.3, 0.55], [-hl, 0.6]], W + 0.02, { at: [0, deckY, 0] });
          for (let i = 0; i < 8; i++) for (const sz of [1, -1]) parts.box(gl, [-hl + 1 + i * 1.2, deckY + h * 0.62, sz * (W / 2 + 0.005)], [0.8, 0.5, 0.02]);
        }
        lights(parts, hl, -hl, deckY + 0.6, W * 0.3, 0.15);
      }
      parts.flush();
    },
  },
  {
    name: 'helicopter', family: 'vehicle', variants: ['civil', 'military', 'rescue'],
    params: { cabinSize: [0.9, 1.1], boomLength: [0.85, 1.15], rotorSize: [0.85, 1.15], rotorAngle: [0, 90] },
    surface: (v) => ({ color: pick(['#2a5aa8', '#4a5638', '#d82820'], v), roughness: 0.4, metalness: 0.3 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const cs = p.cabinSize;
      const cy = 1.5;
      const cr: V3 = [2.0 * cs, 1.1 * cs, 1.0 * cs];
      parts.ell(b.main, [0, cy, 0], v === 1 ? [cr[0] * 1.1, cr[1] * 0.95, cr[2] * 0.9] : cr, 20);
      const gl = glass(parts);
      parts.ell(gl, [cr[0] * 0.5, cy + 0.15, 0], [cr[0] * 0.55, cr[1] * 0.75, cr[2] * 0.85], 16);
      // tail boom, fin, tail rotor
      const bl = 5.0 * p.boomLength;
      const tail: V3 = [-cr[0] * 0.6 - bl, cy + 0.5, 0];
      parts.cyl(b.main, [-cr[0] * 0.6, cy + 0.2, 0], tail, 0.45, 0.18, 10);
      parts.slab(b.main, [[0, 0], [0.8, 0], [0.2, 1.3], [-0.3, 1.3]], 0.12, { at: [tail[0] - 0.1, tail[1] - 0.2, 0] });
      parts.slab(b.main, [[0, 0], [0.5, 0.6], [0.5, -0.6]], 0.08, { at: [tail[0] + 0.8, tail[1], 0], rot: [90, 0, 0] });
      const blade = parts.mat('#2a2a2a', 0.5, 0.3);
      parts.box(blade, [tail[0] + 0.1, tail[1] + 0.9, 0.2], [0.12, 1.5, 0.04], [0, 0, p.rotorAngle]);
      // mast and main rotor
      const top = cy + cr[1] + 0.35;
      parts.cyl(blade, [0, cy + cr[1] * 0.8, 0], [0, top, 0], 0.15, 0.12, 8);
      parts.slab(b.main, [[-1.2, 0], [0.8, 0], [0.4, 0.5], [-0.9, 0.55]], 1.2, { at: [0, cy + cr[1] * 0.7, 0] });
      const rs = 4.6 * p.rotorSize;
      const nb = v === 0 ? 2 : 4;
      for (let i = 0; i < nb / 2; i++) parts.box(blade, [0, top, 0], [rs * 2, 0.05, 0.3], [0, p.rotorAngle + (i * 360) / nb, 0]);
      parts.cyl(blade, [0, top - 0.05, 0], [0, top + 0.15, 0], 0.25, 0.2, 10);
      // landing skids
      const skid = parts.mat('#2e2e2e', 0.5, 0.5);
      for (const sz of [1, -1]) {
        parts.tube(skid, [[-1.8, 0.08, sz * 1.1], [1.7, 0.08, sz * 1.1], [2.1, 0.3, sz * 1.1]], 0.07, 10, 6);
        for (const x of [-1.0, 0.9]) parts.cyl(skid, [x, 0.08, sz * 1.1], [x, cy - cr[1] * 0.6, sz * 0.6], 0.06, 0.06, 6);
      }
      if (v === 1) {
        // stub wings with rocket pods
        for (const sz of [1, -1]) {
          parts.box(b.main, [-0.2, cy - 0.1, sz * (cr[2] + 0.5)], [0.8, 0.1, 1.0]);
          parts.cyl(parts.mat('#222222', 0.6), [-0.7, cy - 0.35, sz * (cr[2] + 0.8)], [0.6, cy - 0.35, sz * (cr[2] + 0.8)], 0.2, 0.2, 10);
        }
      }
      if (v === 2) {
        const white = parts.mat('#f2f2f2', 0.4);
        parts.ell(white, [-cr[0] * 0.2, cy - 0.15, 0], [cr[0] * 0.8, cr[1] * 0.3, cr[2] * 1.01], 16);
        parts.cyl(white, [-cr[0] * 0.6 - bl * 0.5, cy + 0.35, 0], [-cr[0] * 0.6 - bl * 0.3, cy + 0.3, 0], 0.34, 0.38, 10);
      }
      parts.flush();
    },
  },
];
