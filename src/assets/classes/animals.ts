/**
 * Animals, built from parametric body parts (parts.ts): quadrupeds share one builder, the rest
 * (birds, fish, reptiles) are assembled from ellipsoids, capsules, tubes and extruded fins.
 * Forward is +x, up +y; the default camera sees the side silhouette.
 */
import * as THREE from 'three';
import type { AssetClass } from '../kit.js';
import { Parts, quadruped, pick, roundRect, type V3, type QuadOpts } from './parts.js';

const EYE = '#111111';
const NOSE = EYE;
const HOOF = '#1e1a18';
const HORN = '#e8dcc0';

/** Standard multiplicative shape parameters shared by the quadrupeds. */
const QUAD_PARAMS = {
  legLength: [0.85, 1.15],
  bodyLength: [0.9, 1.1],
  neckLength: [0.8, 1.2],
  headSize: [0.9, 1.1],
  earSize: [0.8, 1.25],
  tailLength: [0.7, 1.3],
} as const;

type Q = Omit<QuadOpts, 'fur' | 'eye' | 'nose'>;

/** Apply the shared multiplicative parameters to a base quadruped. */
function scaled(q: Q, p: Readonly<Record<string, number>>): Q {
  return {
    ...q,
    legLen: q.legLen * (p.legLength ?? 1),
    bodyLen: q.bodyLen * (p.bodyLength ?? 1),
    neckLen: q.neckLen * (p.neckLength ?? 1),
    headR: q.headR * (p.headSize ?? 1),
    snoutLen: q.snoutLen * (p.headSize ?? 1),
    earSize: q.earSize * (p.earSize ?? 1),
    tailLen: q.tailLen * (p.tailLength ?? 1),
  };
}

// -------------------------------------------------------------------------------------------- dog
const DOGS: { color: string; q: Q }[] = [
  // terrier: compact, white with a tan head, pointy ears, tail up
  { color: '#eeeae0', q: { bodyLen: 0.72, bodyH: 0.19, bodyW: 0.15, legLen: 0.3, legR: 0.05, neckLen: 0.14, neckAngle: 60, neckR: 0.085, headR: 0.15, headLong: 1.15, snoutLen: 0.12, snoutR: 0.075, headTilt: 5, ears: 'pointy', earSize: 0.12, tail: 'thin', tailLen: 0.2, tailAngle: 75, tailR: 0.03, paws: true } },
  // retriever: long, golden, floppy ears, feathered tail
  { color: '#d4a043', q: { bodyLen: 1.0, bodyH: 0.23, bodyW: 0.18, legLen: 0.42, legR: 0.06, neckLen: 0.22, neckAngle: 50, neckR: 0.11, headR: 0.16, headLong: 1.15, snoutLen: 0.17, snoutR: 0.08, headTilt: 5, ears: 'floppy', earSize: 0.22, tail: 'bushy', tailLen: 0.42, tailAngle: 10, tailR: 0.035, paws: true } },
  // dachshund: very long, very short legs
  { color: '#7a3d18', q: { bodyLen: 1.05, bodyH: 0.17, bodyW: 0.14, legLen: 0.13, legR: 0.045, neckLen: 0.16, neckAngle: 40, neckR: 0.08, headR: 0.13, headLong: 1.15, snoutLen: 0.2, snoutR: 0.065, headTilt: 5, ears: 'floppy', earSize: 0.2, tail: 'thin', tailLen: 0.3, tailAngle: 25, tailR: 0.025, paws: true } },
];

// -------------------------------------------------------------------------------------------- cat
const CATS: { color: string; q: Q }[] = [
  { color: '#d98a3d', q: { bodyLen: 0.75, bodyH: 0.16, bodyW: 0.13, legLen: 0.3, legR: 0.04, neckLen: 0.08, neckAngle: 55, neckR: 0.07, headR: 0.12, headLong: 1.0, snoutLen: 0.02, snoutR: 0.055, ears: 'pointy', earSize: 0.11, tail: 'thin', tailLen: 0.55, tailAngle: 55, tailR: 0.025, paws: true } },
  { color: '#e8dcc4', q: { bodyLen: 0.8, bodyH: 0.15, bodyW: 0.12, legLen: 0.34, legR: 0.037, neckLen: 0.1, neckAngle: 55, neckR: 0.065, headR: 0.11, headLong: 1.1, snoutLen: 0.03, snoutR: 0.05, ears: 'pointy', earSize: 0.13, tail: 'thin', tailLen: 0.6, tailAngle: 40, tailR: 0.022, paws: true } },
  { color: '#222222', q: { bodyLen: 0.72, bodyH: 0.17, bodyW: 0.14, legLen: 0.28, legR: 0.042, neckLen: 0.07, neckAngle: 55, neckR: 0.07, headR: 0.125, headLong: 1.0, snoutLen: 0.02, snoutR: 0.055, ears: 'pointy', earSize: 0.1, tail: 'thin', tailLen: 0.5, tailAngle: 75, tailR: 0.027, paws: true } },
];

// ------------------------------------------------------------------------------------------ horse
const HORSES: { color: string; mane: string; q: Q }[] = [
  { color: '#7b4a26', mane: '#1e1611', q: { bodyLen: 1.0, bodyH: 0.22, bodyW: 0.17, legLen: 0.62, legR: 0.045, thigh: 1.6, neckLen: 0.42, neckAngle: 58, neckR: 0.085, headR: 0.095, headLong: 1.3, snoutLen: 0.2, snoutR: 0.065, headTilt: 55, ears: 'small', earSize: 0.08, tail: 'hair', tailLen: 0.45, tailR: 0.05 } },
  { color: '#d9b26a', mane: '#f2ead8', q: { bodyLen: 1.0, bodyH: 0.22, bodyW: 0.17, legLen: 0.6, legR: 0.045, thigh: 1.6, neckLen: 0.4, neckAngle: 55, neckR: 0.085, headR: 0.095, headLong: 1.3, snoutLen: 0.2, snoutR: 0.065, headTilt: 55, ears: 'small', earSize: 0.08, tail: 'hair', tailLen: 0.45, tailR: 0.05 } },
  // pony: stocky, short legs, long mane
  { color: '#a89e94', mane: '#3b3430', q: { bodyLen: 0.9, bodyH: 0.25, bodyW: 0.2, legLen: 0.4, legR: 0.055, thigh: 1.5, neckLen: 0.3, neckAngle: 50, neckR: 0.1, headR: 0.1, headLong: 1.25, snoutLen: 0.14, snoutR: 0.07, headTilt: 50, ears: 'small', earSize: 0.07, tail: 'hair', tailLen: 0.42, tailR: 0.06 } },
];

// -------------------------------------------------------------------------------------------- cow
const COWS: { color: string; q: Q }[] = [
  { color: '#f2f0ea', q: { bodyLen: 1.0, bodyH: 0.27, bodyW: 0.22, legLen: 0.38, legR: 0.055, neckLen: 0.14, neckAngle: 30, neckR: 0.12, headR: 0.13, headLong: 1.2, snoutLen: 0.08, snoutR: 0.09, headTilt: 40, ears: 'small', earSize: 0.1, tail: 'tuft', tailLen: 0.38, tailR: 0.02 } },
  { color: '#a8693a', q: { bodyLen: 0.95, bodyH: 0.25, bodyW: 0.2, legLen: 0.36, legR: 0.05, neckLen: 0.14, neckAngle: 30, neckR: 0.11, headR: 0.12, headLong: 1.2, snoutLen: 0.08, snoutR: 0.085, headTilt: 40, ears: 'small', earSize: 0.09, tail: 'tuft', tailLen: 0.36, tailR: 0.02 } },
  { color: '#b0562a', q: { bodyLen: 0.95, bodyH: 0.29, bodyW: 0.24, legLen: 0.28, legR: 0.06, neckLen: 0.12, neckAngle: 25, neckR: 0.13, headR: 0.12, headLong: 1.2, snoutLen: 0.07, snoutR: 0.085, headTilt: 35, ears: 'small', earSize: 0.1, tail: 'tuft', tailLen: 0.32, tailR: 0.025 } },
];

// --------------------------------------------------------------------------------------- giraffe
const GIRAFFES: { color: string; spot: string; q: Q }[] = [
  { color: '#e3b062', spot: '#7a4518', q: { bodyLen: 0.7, bodyH: 0.2, bodyW: 0.15, legLen: 0.75, legR: 0.035, thigh: 1.8, neckLen: 0.85, neckAngle: 65, neckR: 0.055, headR: 0.07, headLong: 1.4, snoutLen: 0.1, snoutR: 0.045, headTilt: 20, ears: 'small', earSize: 0.06, tail: 'tuft', tailLen: 0.4, tailR: 0.012 } },
  { color: '#d8b07a', spot: '#5a3417', q: { bodyLen: 0.72, bodyH: 0.2, bodyW: 0.15, legLen: 0.78, legR: 0.035, thigh: 1.8, neckLen: 0.9, neckAngle: 70, neckR: 0.055, headR: 0.07, headLong: 1.4, snoutLen: 0.1, snoutR: 0.045, headTilt: 25, ears: 'small', earSize: 0.06, tail: 'tuft', tailLen: 0.4, tailR: 0.012 } },
  // calf: shorter neck and legs, bigger head
  { color: '#ecc27e', spot: '#8a5224', q: { bodyLen: 0.6, bodyH: 0.17, bodyW: 0.13, legLen: 0.6, legR: 0.03, thigh: 1.8, neckLen: 0.55, neckAngle: 62, neckR: 0.05, headR: 0.075, headLong: 1.3, snoutLen: 0.07, snoutR: 0.045, headTilt: 20, ears: 'small', earSize: 0.07, tail: 'tuft', tailLen: 0.3, tailR: 0.012 } },
];

function quadClass(
  name: string, variants: string[], params: Record<string, readonly [number, number]>,
  color: (v: number, p: Readonly<Record<string, number>>) => string, roughness: number,
  base: (v: number) => Q, extra?: (parts: Parts, v: number, a: ReturnType<typeof quadruped>, q: Q, p: Readonly<Record<string, number>>) => void,
  mats?: (parts: Parts, v: number) => Partial<QuadOpts>,
): AssetClass {
  return {
    name, family: 'animal', variants, params,
    surface: (v, p) => ({ color: color(v, p), roughness }),
    build(b, v, p) {
      const parts = new Parts(b);
      const q = scaled(base(v), p);
      const opts: QuadOpts = { ...q, fur: b.main, eye: parts.mat(EYE, 0.5), nose: parts.mat(NOSE, 0.5), ...(mats ? mats(parts, v) : {}) };
      const a = quadruped(parts, opts);
      extra?.(parts, v, a, opts, p);
      parts.flush();
    },
  };
}

/** Flat patches hugging an ellipsoid body (spots, patches): `spots` as [u (along x, -1..1), angle around x (deg), size]. */
function bodySpots(parts: Parts, mat: THREE.Material, centre: V3, r: V3, spots: [number, number, number][]): void {
  for (const [u, ang, s] of spots) {
    const a = (ang * Math.PI) / 180;
    const k = Math.sqrt(Math.max(0, 1 - u * u));
    const y = Math.cos(a) * r[1] * k;
    const z = Math.sin(a) * r[2] * k;
    parts.ell(mat, [centre[0] + u * r[0], centre[1] + y * 0.97, centre[2] + z * 0.97], [s * 1.3, s * 0.3, s * 1.1], 6, [ang, 0, 0]);
  }
}

/** Spots along a segment (neck): [t (0..1), side sign, size]. */
function segmentSpots(parts: Parts, mat: THREE.Material, from: V3, to: V3, r: number, n: number, size: number): void {
  for (let i = 0; i < n; i++) {
    const t = (i + 0.5) / n;
    const sz = i % 2 ? 1 : -1;
    const at: V3 = [from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t + (i % 3 - 1) * r * 0.3, sz * r * 0.85];
    parts.ell(mat, at, [size, size * 0.9, size * 0.35], 6);
  }
}

export const ANIMAL_CLASSES: AssetClass[] = [
  quadClass('dog', ['terrier', 'retriever', 'dachshund'], { ...QUAD_PARAMS, snoutLength: [0.8, 1.25] },
    (v) => pick(DOGS, v).color, 0.8,
    (v) => pick(DOGS, v).q,
    undefined,
    (parts, v) => (v === 0 ? { headMat: parts.mat('#b07a40', 0.8), earMat: parts.mat('#b07a40', 0.8) } : {}),
  ),
  quadClass('cat', ['tabby', 'siamese', 'black'], QUAD_PARAMS,
    (v) => pick(CATS, v).color, 0.8,
    (v) => pick(CATS, v).q,
    (parts, v, a, q) => {
      // whisker pad and, for the siamese, dark points
      if (v === 1) {
        const dark = parts.mat('#4a3428', 0.8);
        parts.ell(dark, [a.snoutTip[0] - 0.03, a.snoutTip[1] - 0.01, 0], [0.05, 0.05, 0.06], 10);
        for (const sx of [1, -1]) for (const sz of [1, -1]) parts.rod(dark, [sx * q.bodyLen * 0.34, q.legLen * 0.35, sz * q.bodyW * 0.55], [sx * q.bodyLen * 0.34, q.legR, sz * q.bodyW * 0.55], q.legR * 1.08, 8);
      }
    },
    (parts, v) => (v === 1 ? { earMat: parts.mat('#4a3428', 0.8), tailMat: parts.mat('#4a3428', 0.8) } : v === 0 ? { nose: parts.mat('#d98080', 0.5) } : {}),
  ),
  quadClass('horse', ['bay', 'palomino', 'pony'], QUAD_PARAMS,
    (v) => pick(HORSES, v).color, 0.6,
    (v) => pick(HORSES, v).q,
    (parts, v, a, q) => {
      // mane along the top of the neck
      const mane = parts.mat(pick(HORSES, v).mane, 0.9);
      const n = 6;
      for (let i = 0; i <= n; i++) {
        const t = i / n;
        const x = a.neckBase[0] + (a.neckTop[0] - a.neckBase[0]) * t - q.neckR * 0.55;
        const y = a.neckBase[1] + (a.neckTop[1] - a.neckBase[1]) * t + q.neckR * 0.75;
        parts.ell(mane, [x, y, 0], [q.neckR * 0.6, q.neckR * 0.75, q.neckR * 0.35], 8, [0, 0, 30]);
      }
    },
    (parts, v) => ({ feet: parts.mat(HOOF, 0.6), tailMat: parts.mat(pick(HORSES, v).mane, 0.9) }),
  ),
  quadClass('cow', ['holstein', 'jersey', 'highland'], { ...QUAD_PARAMS, hornSize: [0.7, 1.3] },
    (v) => pick(COWS, v).color, 0.75,
    (v) => pick(COWS, v).q,
    (parts, v, a, q, p) => {
      const hs = (v === 2 ? 0.22 : 0.12) * p.hornSize;
      // square off the barrel-shaped body
      const hl = q.bodyLen / 2;
      parts.slab(parts.main, roundRect(-hl * 0.93, a.body[1] - q.bodyH * 0.8, hl * 0.8, a.body[1] + q.bodyH * 0.85, q.bodyH * 0.45), q.bodyW * 2 + 0.01, undefined, 0.03);
      const horn = parts.mat(HORN, 0.5);
      for (const sz of [1, -1]) {
        const base: V3 = [a.head[0] - q.headR * 0.3, a.head[1] + q.headR * 0.7, sz * q.headR * 0.55];
        parts.tube(horn, [base, [base[0] + hs * 0.1, base[1] + hs * 0.25, sz * (q.headR * 0.55 + hs * 0.6)], [base[0] + hs * 0.3, base[1] + hs * 0.7, sz * (q.headR * 0.55 + hs * 0.9)]], q.headR * 0.1, 8, 6);
      }
      // udder, and black patches on the holstein
      parts.ell(parts.mat('#e8a0a0', 0.6), [-q.bodyLen * 0.22, a.body[1] - q.bodyH * 0.85, 0], [0.09, 0.06, 0.08], 10);
      if (v === 0) {
        const black = parts.mat('#151515', 0.8);
        // flat patches on the sides and the back
        const w = q.bodyW + 0.006;
        for (const [x, y, r, sz] of [[-0.55, 0.3, 0.12, 1], [0.15, -0.2, 0.14, 1], [0.55, 0.45, 0.09, 1], [-0.2, -0.1, 0.13, -1], [0.45, 0.1, 0.11, -1], [-0.65, 0.5, 0.1, -1]]) {
          parts.ell(black, [x * hl, a.body[1] + y * q.bodyH, sz * w], [r * 1.2, r, 0.012], 12);
        }
        parts.ell(black, [-0.1 * hl, a.body[1] + q.bodyH * 0.85 + 0.03, 0.02], [0.14, 0.01, 0.11], 12);
        parts.ell(black, [a.head[0] - 0.03, a.head[1] + 0.04, 0], [q.headR * 0.9, q.headR * 0.7, q.headR * 0.92], 10);
      }
      if (v === 2) {
        // shaggy fringe over the eyes
        parts.ell(parts.main, [a.head[0] + 0.02, a.head[1] + q.headR * 0.55, 0], [q.headR * 0.7, q.headR * 0.45, q.headR * 0.95], 10);
      }
    },
    (parts, v) => ({ feet: parts.mat(HOOF, 0.6), nose: parts.mat(v === 0 ? '#e8a0a0' : EYE, 0.5), tailTip: parts.mat(v === 0 ? EYE : v === 1 ? EYE : '#3a2418', 0.9) }),
  ),
  quadClass('giraffe', ['reticulated', 'masai', 'calf'], QUAD_PARAMS,
    (v) => pick(GIRAFFES, v).color, 0.75,
    (v) => pick(GIRAFFES, v).q,
    (parts, v, a, q) => {
      const spot = parts.mat(pick(GIRAFFES, v).spot, 0.8);
      // ossicones
      for (const sz of [1, -1]) {
        const base: V3 = [a.head[0] - q.headR * 0.5, a.head[1] + q.headR * 0.6, sz * q.headR * 0.35];
        parts.rod(spot, base, [base[0] - 0.01, base[1] + 0.09, base[2]], 0.012, 6);
        parts.ell(spot, [base[0] - 0.01, base[1] + 0.1, base[2]], 0.022, 8);
      }
      // short mane and spots
      parts.rod(spot, [a.neckBase[0] - 0.03, a.neckBase[1] + 0.05, 0], [a.neckTop[0] - 0.05, a.neckTop[1] - 0.02, 0], 0.02, 6);
      const spots: [number, number, number][] = [];
      for (let i = 0; i < 5; i++) for (const ang of [35, 75, 110]) spots.push([-0.8 + i * 0.4 + (ang === 75 ? 0.2 : 0), ang * (i % 2 ? 1 : 1), 0.055]);
      for (let i = 0; i < 5; i++) for (const ang of [-35, -75, -110]) spots.push([-0.8 + i * 0.4 + (ang === -75 ? 0.2 : 0), ang, 0.055]);
      bodySpots(parts, spot, a.body, [q.bodyLen / 2, q.bodyH, q.bodyW], spots);
      segmentSpots(parts, spot, a.neckBase, a.neckTop, q.neckR, 8, 0.035);
    },
    (parts) => ({ feet: parts.mat(HOOF, 0.6), tailTip: parts.mat('#2a1a10', 0.9) }),
  ),
];

// ------------------------------------------------------------------------------------- elephant
const ELEPHANTS: { color: string; q: Q }[] = [
  { color: '#8c8680', q: { bodyLen: 1.0, bodyH: 0.3, bodyW: 0.26, legLen: 0.42, legR: 0.09, neckLen: 0.04, neckAngle: 20, neckR: 0.18, headR: 0.19, headLong: 0.95, snoutLen: 0, snoutR: 0.01, headTilt: 10, ears: 'big', earSize: 0.45, tail: 'thin', tailLen: 0.25, tailAngle: -60, tailR: 0.014 } },
  { color: '#76716c', q: { bodyLen: 0.95, bodyH: 0.32, bodyW: 0.26, legLen: 0.36, legR: 0.085, neckLen: 0.03, neckAngle: 20, neckR: 0.17, headR: 0.19, headLong: 0.95, snoutLen: 0, snoutR: 0.01, headTilt: 5, ears: 'big', earSize: 0.26, tail: 'thin', tailLen: 0.25, tailAngle: -60, tailR: 0.014 } },
  { color: '#9a928c', q: { bodyLen: 0.8, bodyH: 0.27, bodyW: 0.23, legLen: 0.28, legR: 0.08, neckLen: 0.03, neckAngle: 20, neckR: 0.16, headR: 0.19, headLong: 0.95, snoutLen: 0, snoutR: 0.01, headTilt: 5, ears: 'big', earSize: 0.3, tail: 'thin', tailLen: 0.2, tailAngle: -60, tailR: 0.013 } },
];

// ------------------------------------------------------------------------------------------ pig
const PIGS: { color: string; q: Q }[] = [
  { color: '#f0a8a8', q: { bodyLen: 0.9, bodyH: 0.26, bodyW: 0.23, legLen: 0.16, legR: 0.045, neckLen: 0.02, neckAngle: 10, neckR: 0.15, headR: 0.15, headLong: 1.05, snoutLen: 0.07, snoutR: 0.075, headTilt: 5, ears: 'pointy', earSize: 0.11, tail: 'curl', tailLen: 0.2, tailR: 0.014 } },
  { color: '#f2c2b0', q: { bodyLen: 0.95, bodyH: 0.25, bodyW: 0.22, legLen: 0.17, legR: 0.045, neckLen: 0.02, neckAngle: 10, neckR: 0.15, headR: 0.14, headLong: 1.05, snoutLen: 0.08, snoutR: 0.07, headTilt: 5, ears: 'floppy', earSize: 0.15, tail: 'curl', tailLen: 0.2, tailR: 0.014 } },
  { color: '#4a382c', q: { bodyLen: 0.85, bodyH: 0.25, bodyW: 0.19, legLen: 0.22, legR: 0.045, neckLen: 0.03, neckAngle: 10, neckR: 0.15, headR: 0.14, headLong: 1.25, snoutLen: 0.16, snoutR: 0.06, headTilt: 15, ears: 'pointy', earSize: 0.1, tail: 'thin', tailLen: 0.18, tailAngle: -40, tailR: 0.015 } },
];

// ---------------------------------------------------------------------------------------- sheep
const SHEEP: { wool: string; face: string; q: Q }[] = [
  { wool: '#eeeae0', face: '#e6d6c0', q: { bodyLen: 0.85, bodyH: 0.25, bodyW: 0.22, legLen: 0.3, legR: 0.035, neckLen: 0.1, neckAngle: 40, neckR: 0.1, headR: 0.1, headLong: 1.3, snoutLen: 0.05, snoutR: 0.06, headTilt: 25, ears: 'floppy', earSize: 0.12, tail: 'stub', tailLen: 0.14 } },
  { wool: '#e4ded2', face: '#1e1a18', q: { bodyLen: 0.85, bodyH: 0.26, bodyW: 0.23, legLen: 0.3, legR: 0.035, neckLen: 0.1, neckAngle: 40, neckR: 0.1, headR: 0.1, headLong: 1.3, snoutLen: 0.05, snoutR: 0.06, headTilt: 25, ears: 'floppy', earSize: 0.13, tail: 'stub', tailLen: 0.14 } },
  { wool: '#d8cfbc', face: '#cbb89a', q: { bodyLen: 0.9, bodyH: 0.26, bodyW: 0.22, legLen: 0.32, legR: 0.038, neckLen: 0.12, neckAngle: 45, neckR: 0.11, headR: 0.11, headLong: 1.3, snoutLen: 0.05, snoutR: 0.065, headTilt: 25, ears: 'floppy', earSize: 0.1, tail: 'stub', tailLen: 0.14 } },
];

// ----------------------------------------------------------------------------------------- bear
const BEARS: { color: string; q: Q }[] = [
  { color: '#6b4526', q: { bodyLen: 0.95, bodyH: 0.3, bodyW: 0.25, legLen: 0.26, legR: 0.085, thigh: 1.3, neckLen: 0.08, neckAngle: 10, neckR: 0.15, headR: 0.15, headLong: 1.05, snoutLen: 0.09, snoutR: 0.07, headTilt: 10, ears: 'round', earSize: 0.1, tail: 'stub', tailLen: 0.09 } },
  { color: '#efeadb', q: { bodyLen: 1.0, bodyH: 0.28, bodyW: 0.23, legLen: 0.3, legR: 0.085, thigh: 1.3, neckLen: 0.2, neckAngle: 15, neckR: 0.13, headR: 0.13, headLong: 1.2, snoutLen: 0.1, snoutR: 0.065, headTilt: 10, ears: 'round', earSize: 0.07, tail: 'stub', tailLen: 0.08 } },
  { color: '#f2f0ea', q: { bodyLen: 0.85, bodyH: 0.3, bodyW: 0.26, legLen: 0.24, legR: 0.09, thigh: 1.3, neckLen: 0.05, neckAngle: 10, neckR: 0.16, headR: 0.17, headLong: 1.0, snoutLen: 0.06, snoutR: 0.07, headTilt: 5, ears: 'round', earSize: 0.12, tail: 'stub', tailLen: 0.08 } },
];

const FISH: { color: string }[] = [{ color: '#f08a1c' }, { color: '#e8e0b0' }, { color: '#7d8a5a' }];

/** A sinuous snake along `pts` (tail first, head last) with a tapered body, head, eyes and tongue. */
function snakeBody(parts: Parts, pts: V3[], r: number, headR: number, headDir: V3, hood = 0): void {
  const main = parts.main;
  parts.taper(main, pts, (t) => r * (t < 0.7 ? 0.15 + 0.85 * Math.sin((t / 0.7) * Math.PI / 2) : 1 - (t - 0.7) * 0.6), 64, 10);
  const end = pts[pts.length - 1];
  const [dx, dy, dz] = headDir;
  const yaw = (Math.atan2(-dz, dx) * 180) / Math.PI;
  const pitch = (Math.atan2(dy, Math.hypot(dx, dz)) * 180) / Math.PI;
  const head = parts.sub({ at: end, rot: [0, yaw, pitch] });
  head.ell(main, [headR * 0.9, 0, 0], [headR * 1.6, headR * 0.75, headR * 1.05], 12);
  const eye = parts.mat(EYE, 0.3);
  for (const s of [1, -1]) head.ell(eye, [headR * 1.4, headR * 0.4, s * headR * 0.75], headR * 0.22, 8);
  const tongue = parts.mat('#c8202a', 0.5);
  head.rod(tongue, [headR * 2.4, -headR * 0.2, 0], [headR * 3.4, -headR * 0.3, 0], headR * 0.07, 4);
  if (hood > 0) parts.ell(main, [end[0] - headR * 0.5, end[1] - headR * 2.2, end[2]], [headR * 0.45, headR * 2.6 * hood, headR * 2.1 * hood], 12);
}

ANIMAL_CLASSES.push(
  quadClass('elephant', ['african', 'asian', 'calf'], { ...QUAD_PARAMS, trunkLength: [0.85, 1.15], tuskLength: [0.6, 1.3] },
    (v) => pick(ELEPHANTS, v).color, 0.9,
    (v) => pick(ELEPHANTS, v).q,
    (parts, v, a, q, p) => {
      const hr = q.headR;
      const h = a.head;
      const tl = (h[1] - 0.05) * p.trunkLength;
      const root: V3 = [h[0] + hr * 0.75, h[1] - hr * 0.15, 0];
      const trunk: V3[] = [root, [root[0] + hr * 0.45, root[1] - tl * 0.35, 0], [root[0] + hr * 0.55, root[1] - tl * 0.75, 0], [root[0] + hr * 0.85, root[1] - tl * 0.92, 0]];
      parts.taper(parts.main, trunk, (t) => hr * (0.5 - 0.28 * t), 16, 10);
      if (v === 1) parts.ell(parts.main, [a.body[0] + 0.08, a.body[1] + q.bodyH * 0.55, 0], [q.bodyLen * 0.3, q.bodyH * 0.5, q.bodyW * 0.7], 12);
      if (v !== 2 || p.tuskLength > 1) {
        const tk = (v === 0 ? 0.3 : v === 1 ? 0.14 : 0.08) * p.tuskLength;
        const ivory = parts.mat('#f2ead6', 0.4);
        for (const s of [1, -1]) {
          const b0: V3 = [h[0] + hr * 0.5, h[1] - hr * 0.55, s * hr * 0.35];
          parts.taper(ivory, [b0, [b0[0] + tk * 0.5, b0[1] - tk * 0.35, s * hr * 0.42], [b0[0] + tk * 0.95, b0[1] - tk * 0.2, s * hr * 0.45]], (t) => hr * (0.1 - 0.07 * t), 8, 6);
        }
      }
      // toenails
      const nail = parts.mat('#f2ead6', 0.4);
      const lx = (q.bodyLen / 2) * 0.68;
      for (const sx of [1, -1]) for (const sz of [1, -1]) parts.ell(nail, [sx * lx + q.legR * 0.8, q.legR * 0.3, sz * q.bodyW * 0.55], [q.legR * 0.25, q.legR * 0.25, q.legR * 0.6], 8);
    },
    (parts) => ({ nose: parts.main, thigh: 1 }),
  ),
  quadClass('pig', ['pink', 'spotted', 'boar'], QUAD_PARAMS,
    (v) => pick(PIGS, v).color, 0.7,
    (v) => pick(PIGS, v).q,
    (parts, v, a, q) => {
      // the snout disc and nostrils
      const disc = parts.mat(v === 2 ? '#1e1816' : '#e08a90', 0.6);
      const t = a.snoutTip;
      parts.cyl(disc, [t[0] - 0.02, t[1] - 0.01, 0], [t[0] + 0.015, t[1] - 0.01, 0], q.snoutR * 0.95, q.snoutR * 0.95, 14);
      const eye = parts.mat(EYE, 0.3);
      for (const s of [1, -1]) parts.ell(eye, [t[0] + 0.016, t[1] - 0.01, s * q.snoutR * 0.35], [0.006, q.snoutR * 0.22, q.snoutR * 0.14], 6);
      if (v === 1) {
        const spot = parts.mat('#1a1616', 0.8);
        bodySpots(parts, spot, a.body, [q.bodyLen / 2, q.bodyH, q.bodyW], [[-0.4, 50, 0.1], [0.3, 70, 0.09], [-0.1, -60, 0.11], [0.45, -40, 0.08]]);
      }
      if (v === 2) {
        // bristly ridge and tusks
        parts.ell(parts.main, [a.body[0] + 0.12, a.body[1] + q.bodyH * 0.75, 0], [q.bodyLen * 0.35, q.bodyH * 0.35, q.bodyW * 0.4], 10);
        const ivory = parts.mat('#f2ead6', 0.4);
        for (const s of [1, -1]) parts.taper(ivory, [[t[0] - 0.07, t[1] - 0.04, s * 0.05], [t[0] - 0.02, t[1] + 0.0, s * 0.06], [t[0] - 0.03, t[1] + 0.04, s * 0.07]], (u) => 0.014 * (1 - 0.7 * u), 6, 6);
      }
    },
    (parts, v) => ({ nose: parts.mat(v === 2 ? '#1e1816' : '#e08a90', 0.6) }),
  ),
  quadClass('sheep', ['white-face', 'black-face', 'ram'], { ...QUAD_PARAMS, woolSize: [0.9, 1.15] },
    (v) => pick(SHEEP, v).wool, 0.95,
    (v) => pick(SHEEP, v).q,
    (parts, v, a, q, p) => {
      // woolly bumps around the body and a topknot
      const w = p.woolSize;
      const bumps: [number, number, number][] = [];
      for (const u of [-0.75, -0.35, 0.05, 0.45, 0.75]) for (const ang of [-100, -50, 0, 50, 100]) bumps.push([u, ang + (u * 40), 0.1 * w]);
      for (const [u, ang, s] of bumps) {
        const r = [q.bodyLen / 2, q.bodyH, q.bodyW];
        const aa = (ang * Math.PI) / 180;
        const k = Math.sqrt(Math.max(0, 1 - u * u));
        parts.ell(parts.main, [u * r[0] * 0.95, a.body[1] + Math.cos(aa) * r[1] * k * 0.9, Math.sin(aa) * r[2] * k * 0.9], s * (0.8 + 0.4 * k), 8);
      }
      parts.ell(parts.main, [a.head[0] - q.headR * 0.4, a.head[1] + q.headR * 0.7, 0], q.headR * 0.6, 8);
      if (v === 2) {
        const horn = parts.mat('#c8b48c', 0.6);
        for (const s of [1, -1]) parts.add(new THREE.TorusGeometry(q.headR * 0.55, q.headR * 0.2, 6, 14, Math.PI * 1.6), horn, { at: [a.head[0] - q.headR * 0.5, a.head[1] + q.headR * 0.1, s * q.headR * 0.8], rot: [0, 0, 60] });
      }
    },
    (parts, v) => {
      const face = parts.mat(pick(SHEEP, v).face, 0.8);
      return { headMat: face, legMat: face, earMat: face, feet: parts.mat(HOOF, 0.6) };
    },
  ),
  quadClass('bear', ['brown', 'polar', 'panda'], QUAD_PARAMS,
    (v) => pick(BEARS, v).color, 0.9,
    (v) => pick(BEARS, v).q,
    (parts, v, a, q) => {
      if (v === 0) parts.ell(parts.main, [q.bodyLen * 0.22, a.body[1] + q.bodyH * 0.55, 0], [q.bodyLen * 0.25, q.bodyH * 0.45, q.bodyW * 0.7], 12);
      if (v === 2) {
        const black = parts.mat('#1a1a1a', 0.9);
        parts.ell(black, [q.bodyLen * 0.2, a.body[1], 0], [q.bodyLen * 0.16, q.bodyH * 1.03, q.bodyW * 1.04], 16);
        for (const s of [1, -1]) parts.ell(black, [a.head[0] + q.headR * 0.42, a.head[1] + q.headR * 0.28, s * q.headR * 0.55], [q.headR * 0.3, q.headR * 0.22, q.headR * 0.3], 10, [0, 0, -20]);
      }
    },
    (parts, v) => {
      const o: Partial<QuadOpts> = { feet: parts.mat(EYE, 0.8) };
      if (v === 2) {
        const black = parts.mat('#1a1a1a', 0.9);
        o.legMat = black;
        o.earMat = black;
      }
      return o;
    },
  ),
  {
    name: 'rabbit', family: 'animal', variants: ['wild', 'white', 'lop'],
    params: { earLength: [0.8, 1.25], bodySize: [0.9, 1.15], headSize: [0.9, 1.1], footLength: [0.85, 1.2] },
    surface: (v) => ({ color: pick(['#8a7156', '#f2f0ec', '#c99a66'], v), roughness: 0.95 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const fur = b.main;
      const bs = p.bodySize;
      parts.ell(fur, [0, 0.21 * bs, 0], [0.25 * bs, 0.19 * bs, 0.17 * bs], 18, [0, 0, 28]);
      for (const s of [1, -1]) {
        parts.ell(fur, [-0.1 * bs, 0.13 * bs, s * 0.1 * bs], [0.14 * bs, 0.12 * bs, 0.07], 12);
        parts.ell(fur, [-0.02 * bs * p.footLength, 0.025, s * 0.11 * bs], [0.13 * p.footLength, 0.03, 0.045], 10);
        parts.rod(fur, [0.15 * bs, 0.16 * bs, s * 0.07], [0.19 * bs, 0.025, s * 0.07], 0.026, 8);
      }
      const hs = p.headSize;
      const hx = 0.22 * bs + 0.03;
      const hy = 0.4 * bs;
      parts.ell(fur, [hx, hy, 0], [0.12 * hs, 0.1 * hs, 0.095 * hs], 16);
      parts.ell(fur, [hx + 0.09 * hs, hy - 0.035 * hs, 0], [0.055 * hs, 0.05 * hs, 0.065 * hs], 10);
      parts.ell(parts.mat('#e0a0a8', 0.5), [hx + 0.14 * hs, hy - 0.02 * hs, 0], 0.014, 6);
      const eye = parts.mat(v === 1 ? '#9a1c2c' : EYE, 0.3);
      for (const s of [1, -1]) parts.ell(eye, [hx + 0.055 * hs, hy + 0.025 * hs, s * 0.075 * hs], 0.018, 8);
      const el = 0.16 * p.earLength;
      const inner = parts.mat('#e0a0a8', 0.8);
      for (const s of [1, -1]) {
        if (v === 2) {
          parts.ell(fur, [hx - 0.03, hy - 0.05, s * 0.1 * hs], [0.045, el * 0.9, 0.025], 10, [s * 15, 0, 10]);
        } else {
          parts.ell(fur, [hx - 0.05, hy + 0.07 + el, s * 0.04], [0.04, el, 0.02], 10, [s * -8, 0, 18]);
          parts.ell(inner, [hx - 0.045, hy + 0.07 + el, s * 0.052], [0.025, el * 0.8, 0.01], 8, [s * -8, 0, 18]);
        }
      }
      parts.ell(parts.mat('#f6f4f0', 0.95), [-0.24 * bs, 0.2 * bs, 0], 0.055, 10);
      parts.flush();
    },
  },
  {
    name: 'bird', family: 'animal', variants: ['sparrow', 'robin', 'parrot'],
    params: { tailLength: [0.8, 1.3], beakLength: [0.8, 1.3], legLength: [0.8, 1.3], bodyLength: [0.9, 1.15], headSize: [0.9, 1.15] },
    surface: (v) => ({ color: pick(['#8a6440', '#6c5a4a', '#2f9e3a'], v), roughness: 0.8 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const body = b.main;
      const bl = p.bodyLength;
      const ly = 0.2 * p.legLength;
      const leg = parts.mat(EYE, 0.6);
      for (const s of [1, -1]) {
        parts.rod(leg, [0.0, ly + 0.06, s * 0.045], [0.01, 0.015, s * 0.045], 0.01, 6);
        parts.rod(leg, [-0.02, 0.008, s * 0.045], [0.06, 0.008, s * 0.045], 0.007, 6);
      }
      const cy = ly + 0.14;
      const tilt = v === 2 ? 55 : 28;
      parts.ell(body, [0, cy, 0], [0.2 * bl, 0.13, 0.12], 18, [0, 0, tilt]);
      const hs = 0.095 * p.headSize;
      const ta = (tilt * Math.PI) / 180;
      const head: V3 = [Math.cos(ta) * 0.19 * bl + 0.02, cy + Math.sin(ta) * 0.19 * bl + 0.06, 0];
      parts.ell(v === 2 ? parts.mat('#d42a22', 0.7) : body, head, hs, 14);
      const beak = parts.mat(v === 2 ? '#e8e0d0' : v === 1 ? '#e0a020' : '#1e1a16', 0.5);
      const bk = (v === 2 ? 0.06 : 0.07) * p.beakLength;
      if (v === 2) parts.add(new THREE.ConeGeometry(hs * 0.45, bk * 1.2, 8), beak, { at: [head[0] + hs * 0.95, head[1] - hs * 0.3, 0], rot: [0, 0, -150] });
      else parts.add(new THREE.ConeGeometry(hs * 0.32, bk, 8), beak, { at: [head[0] + hs * 0.9 + bk * 0.4, head[1] - hs * 0.1, 0], rot: [0, 0, -95] });
      const eye = parts.mat(EYE, 0.3);
      for (const s of [1, -1]) parts.ell(eye, [head[0] + hs * 0.4, head[1] + hs * 0.2, s * hs * 0.8], hs * 0.18, 8);
      if (v === 1) parts.ell(parts.mat('#e0582a', 0.8), [Math.cos(ta) * 0.08 + 0.03, cy + 0.0, 0], [0.14, 0.11, 0.105], 14, [0, 0, tilt]);
      if (v === 2) parts.ell(parts.mat('#f2d23a', 0.8), [head[0] - hs * 0.1, head[1] - hs * 0.2, 0], [hs * 0.7, hs * 0.6, hs * 1.02], 10);
      // wings and tail
      const wing = v === 2 ? parts.mat('#2050b0', 0.8) : v === 0 ? parts.mat('#5a3e26', 0.85) : parts.mat('#4a3e34', 0.85);
      for (const s of [1, -1]) parts.ell(wing, [-0.03, cy + 0.01, s * 0.105], [0.17 * bl, 0.075, 0.025], 12, [0, 0, tilt - 8]);
      const tl = (v === 2 ? 0.38 : 0.16) * p.tailLength;
      const tb: V3 = [-Math.cos(ta) * 0.17 * bl, cy - Math.sin(ta) * 0.17 * bl, 0];
      const tailAng = v === 2 ? -60 : -25;
      parts.slab(v === 2 ? wing : body, [[0, 0.025], [-tl, 0.04], [-tl, -0.035], [0, -0.025]], v === 2 ? 0.05 : 0.1, { at: tb, rot: [0, 0, -tailAng] });
      parts.flush();
    },
  },
  {
    name: 'fish', family: 'animal', variants: ['goldfish', 'angelfish', 'trout'],
    params: { bodyLength: [0.85, 1.15], bodyHeight: [0.85, 1.15], tailSize: [0.8, 1.25], finSize: [0.8, 1.25] },
    surface: (v) => ({ color: pick(FISH, v).color, roughness: 0.4, metalness: 0.1 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const body = b.main;
      const L = [0.36, 0.26, 0.5][v % 3] * p.bodyLength;
      const H = [0.2, 0.24, 0.12][v % 3] * p.bodyHeight;
      const W = [0.11, 0.05, 0.08][v % 3];
      const cy = 0.6;
      parts.ell(body, [0, cy, 0], [L, H, W], 20);
      const fin = parts.mat(pick(['#f6a040', '#f0ead0', '#8a9060'], v), 0.5);
      const ts = p.tailSize;
      const fs = p.finSize;
      const tx = -L * 0.92;
      if (v === 0) {
        // flowing double-lobed tail
        parts.slab(fin, [[0, 0.02], [-0.2 * ts, 0.2 * ts], [-0.32 * ts, 0.12 * ts], [-0.18 * ts, 0], [-0.32 * ts, -0.14 * ts], [-0.2 * ts, -0.22 * ts], [0, -0.02]], 0.012, { at: [tx, cy, 0] });
        parts.slab(fin, [[0, 0], [0.12 * fs, 0.02], [-0.05 * fs, 0.14 * fs], [-0.12 * fs, 0.1 * fs]], 0.012, { at: [0.02, cy + H * 0.92, 0] });
        for (const s of [1, -1]) parts.ell(fin, [L * 0.35, cy - H * 0.5, s * W * 1.05], [0.06 * fs, 0.03 * fs, 0.008], 8, [0, s * 20, -30]);
      } else if (v === 1) {
        // tall sweeping fins, vertical stripes
        parts.slab(fin, [[0, 0.02], [-0.14 * ts, 0.14 * ts], [-0.11 * ts, 0], [-0.14 * ts, -0.14 * ts], [0, -0.02]], 0.01, { at: [tx, cy, 0] });
        parts.slab(body, [[L * 0.4, H * 0.7], [-L * 0.3, H * 1.2 + 0.05 * fs], [-L * 1.3, H + 0.2 * fs], [-L * 0.6, H * 0.6]], 0.012, { at: [0, cy, 0] });
        parts.slab(body, [[L * 0.3, -H * 0.7], [-L * 0.3, -H * 1.2 - 0.05 * fs], [-L * 1.3, -H - 0.2 * fs], [-L * 0.6, -H * 0.6]], 0.012, { at: [0, cy, 0] });
        const stripe = parts.mat(EYE, 0.6);
        for (const x of [0.35, -0.05, -0.45]) {
          const k = Math.sqrt(1 - x * x);
          parts.ell(stripe, [x * L, cy, 0], [0.018, H * k * 1.01, W * k * 1.08], 12);
        }
      } else {
        // forked tail, small dorsal and adipose fins, spots
        parts.slab(fin, [[0, 0.015], [-0.14 * ts, 0.1 * ts], [-0.1 * ts, 0], [-0.14 * ts, -0.1 * ts], [0, -0.015]], 0.012, { at: [tx, cy, 0] });
        parts.slab(fin, [[0, 0], [0.1 * fs, 0], [-0.02 * fs, 0.08 * fs]], 0.01, { at: [-0.03, cy + H * 0.9, 0] });
        parts.slab(fin, [[0, 0], [0.06 * fs, 0], [-0.02 * fs, -0.05 * fs]], 0.01, { at: [-L * 0.55, cy - H * 0.8, 0] });
        const pink = parts.mat('#d07a80', 0.5);
        for (const s of [1, -1]) parts.ell(pink, [0, cy - 0.005, s * W * 0.55], [L * 0.85, H * 0.22, W * 0.5], 14);
        const dot = parts.mat(EYE, 0.6);
        for (let i = 0; i < 8; i++) {
          const x = -0.7 + i * 0.2;
          const y = (i % 2 ? 0.45 : 0.7) * Math.sqrt(1 - x * x);
          const zz = W * Math.sqrt(Math.max(0, 1 - x * x - y * y));
          for (const s of [1, -1]) parts.ell(dot, [x * L, cy + y * H, s * zz], 0.01, 6);
        }
        for (const s of [1, -1]) parts.ell(fin, [L * 0.45, cy - H * 0.55, s * W * 0.9], [0.05 * fs, 0.022 * fs, 0.008], 8, [0, s * 20, -30]);
      }
      const eye = parts.mat(EYE, 0.2);
      for (const s of [1, -1]) parts.ell(eye, [L * 0.7, cy + H * 0.22, s * W * 0.6], [0.022, 0.022, 0.01], 8);
      parts.ell(parts.mat(EYE, 0.6), [L * 0.98, cy - H * 0.15, 0], [0.012, 0.008, W * 0.25], 6);
      parts.flush();
    },
  },
  {
    name: 'turtle', family: 'animal', variants: ['tortoise', 'sea-turtle', 'box-turtle'],
    params: { shellHeight: [0.85, 1.2], shellLength: [0.9, 1.1], neckLength: [0.8, 1.3], legLength: [0.85, 1.2] },
    surface: (v) => ({ color: pick(['#6e5a32', '#4e6a3c', '#5a4424'], v), roughness: 0.7 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const skin = parts.mat(pick(['#8a7e62', '#8a9a6c', '#6e6248'], v), 0.8);
      const sl = 0.5 * p.shellLength;
      const sh = [0.38, 0.18, 0.3][v % 3] * p.shellHeight;
      const lift = [0.14, 0.08, 0.1][v % 3] * p.legLength;
      const shell = parts.sub({ at: [0, lift, 0], scale: [1, 1, v === 1 ? 0.8 : 0.85] });
      const prof: [number, number][] = [];
      for (let i = 0; i <= 8; i++) {
        const a = (i / 8) * (Math.PI / 2);
        prof.push([sl * Math.cos(a), sh * Math.sin(a) ** (v === 0 ? 0.8 : 1)]);
      }
      prof[prof.length - 1][0] = 0;
      shell.lathe(parts.mat('#2e2414', 0.8), [[0, 0], [sl * 0.98, 0], ...prof], 20);
      // rim and scute plates
      const rim = parts.mat(v === 2 ? '#c8a040' : '#2e2414', 0.7);
      shell.add(new THREE.TorusGeometry(sl, 0.02, 6, 24), rim, { at: [0, 0.01, 0], rot: [90, 0, 0] });
      // scute plates: hexagonal tiles following the dome
      const plate = b.main;
      const k = v === 0 ? 0.8 : 1;
      const domeAt = (u: number, a: number): [V3, V3] => {
        // u: 0 top .. 1 rim, a: angle around y
        const ph = (1 - u) * (Math.PI / 2);
        const r = sl * Math.cos(ph);
        const y = sh * Math.sin(ph) ** k;
        const n = new THREE.Vector3((r * Math.cos(a)) / (sl * sl), y / (sh * sh), (r * Math.sin(a)) / (sl * sl)).normalize();
        return [[r * Math.cos(a), y, r * Math.sin(a)], [n.x, n.y, n.z]];
      };
      const tiles: [number, number, number][] = [[0, 0, 0.25], ...[0, 1, 2, 3, 4, 5].map((i) => [0.5, (i / 6) * Math.PI * 2 + Math.PI / 6, 0.25] as [number, number, number]), ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => [0.87, (i / 12) * Math.PI * 2, 0.16] as [number, number, number])];
      for (const [u, a, rad] of tiles) {
        const [q, n] = domeAt(u, a);
        shell.cyl(plate, [q[0] - n[0] * 0.01, q[1] - n[1] * 0.01, q[2] - n[2] * 0.01], [q[0] + n[0] * 0.008, q[1] + n[1] * 0.008, q[2] + n[2] * 0.008], sl * rad, sl * rad * 0.8, 6);
      }
      // head and neck
      const nl = 0.14 * p.neckLength;
      const neckEnd: V3 = [sl + nl, lift + (v === 1 ? 0.04 : 0.1), 0];
      parts.rod(skin, [sl * 0.7, lift + 0.06, 0], neckEnd, 0.05, 8);
      parts.ell(skin, [neckEnd[0] + 0.04, neckEnd[1] + 0.015, 0], [0.085, 0.06, 0.065], 12);
      const eye = parts.mat('#2e2414', 0.8);
      for (const s of [1, -1]) parts.ell(eye, [neckEnd[0] + 0.07, neckEnd[1] + 0.035, s * 0.05], 0.012, 6);
      // legs or flippers
      for (const sx of [1, -1]) {
        for (const sz of [1, -1]) {
          const x = sx * sl * 0.55;
          const z = sz * sl * 0.62;
          if (v === 1) {
            const big = sx > 0;
            parts.ell(skin, [x + (big ? 0.05 : -0.02), lift + 0.02, z * (big ? 1.45 : 1.15)], big ? [0.14, 0.018, 0.06] : [0.08, 0.016, 0.05], 10, [0, sz * (big ? 40 : -30), 0]);
          } else {
            parts.rod(skin, [x, lift + 0.03, z * 0.9], [x * 1.05, 0.04, z], v === 0 ? 0.055 : 0.04, 8);
          }
        }
      }
      parts.add(new THREE.ConeGeometry(0.025, 0.08, 6), skin, { at: [-sl - 0.02, lift + 0.04, 0], rot: [0, 0, 100] });
      parts.flush();
    },
  },
  {
    name: 'duck', family: 'animal', variants: ['mallard', 'pekin', 'duckling'],
    params: { neckLength: [0.8, 1.25], billLength: [0.85, 1.2], bodyLength: [0.9, 1.12], tailUp: [0.7, 1.3] },
    surface: (v) => ({ color: pick(['#8a7a68', '#f4f2ea', '#f2d23c'], v), roughness: 0.8 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const body = b.main;
      const chick = v === 2;
      const bl = (chick ? 0.2 : 0.3) * p.bodyLength;
      const foot = parts.mat('#f08a20', 0.6);
      for (const s of [1, -1]) {
        parts.rod(foot, [0.02, 0.14, s * 0.07], [0.03, 0.02, s * 0.07], 0.015, 6);
        parts.slab(foot, [[-0.03, 0], [0.09, 0.035], [0.09, -0.035]], 0.012, { at: [0.02, 0.008, s * 0.07], rot: [90, 0, 0] });
      }
      const cy = chick ? 0.2 : 0.25;
      parts.ell(body, [0, cy, 0], [bl, chick ? 0.16 : 0.14, chick ? 0.15 : 0.15], 18);
      // pointed tail
      if (!chick) parts.add(new THREE.ConeGeometry(0.08, 0.16 * p.tailUp, 10), body, { at: [-bl * 0.95, cy + 0.06, 0], rot: [0, 0, 60 + 10 * p.tailUp], scale: [1, 1, 0.6] });
      const wingMat = v === 0 ? parts.mat('#6a5a4a', 0.8) : body;
      for (const s of [1, -1]) parts.ell(wingMat, [-bl * 0.15, cy + 0.03, s * 0.12], [bl * 0.7, 0.08, 0.04], 12, [0, 0, 12]);
      if (v === 0) {
        parts.ell(parts.mat('#6a3a2a', 0.7), [bl * 0.55, cy + 0.03, 0], [bl * 0.45, 0.11, 0.13], 12);
      }
      const nl = (chick ? 0.06 : 0.14) * p.neckLength;
      const neckTop: V3 = [bl * 0.72, cy + 0.1 + nl, 0];
      const headMat = v === 0 ? parts.mat('#1e6a36', 0.35) : body;
      parts.rod(v === 0 ? headMat : body, [bl * 0.6, cy + 0.05, 0], neckTop, chick ? 0.07 : 0.055, 10);
      const hr = chick ? 0.11 : 0.085;
      const head: V3 = [neckTop[0] + 0.02, neckTop[1] + hr * 0.6, 0];
      parts.ell(headMat, head, [hr * 1.15, hr, hr * 0.9], 14);
      const bill = parts.mat('#f08a20', 0.5);
      const blen = (chick ? 0.06 : 0.1) * p.billLength;
      parts.ell(bill, [head[0] + hr * 0.9 + blen * 0.35, head[1] - hr * 0.25, 0], [blen * 0.65, hr * 0.18, hr * 0.42], 10);
      const eye = parts.mat(EYE, 0.3);
      for (const s of [1, -1]) parts.ell(eye, [head[0] + hr * 0.45, head[1] + hr * 0.25, s * hr * 0.78], hr * 0.13, 8);
      parts.flush();
    },
  },
  {
    name: 'snake', family: 'animal', variants: ['python', 'cobra', 'rattlesnake'],
    params: { thickness: [0.8, 1.25], length: [0.85, 1.15], wave: [0.7, 1.3], headSize: [0.9, 1.15] },
    surface: (v) => ({ color: pick(['#7a6a3a', '#3a3028', '#a08858'], v), roughness: 0.5 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const r = 0.05 * p.thickness;
      const L = p.length;
      const w = 0.22 * p.wave;
      const pts: V3[] = [];
      if (v === 0) {
        const rp = r * 1.5;
        for (let i = 0; i <= 10; i++) {
          const t = i / 10;
          pts.push([(t - 0.5) * 1.3 * L, rp + (t > 0.85 ? (t - 0.85) * 0.8 : 0), Math.sin(t * Math.PI * 2.5) * w * 1.3]);
        }
        snakeBody(parts, pts, rp, rp * 1.3 * p.headSize, [1, 0.2, -0.6]);
        const band = parts.mat('#3a2a18', 0.6);
        for (let i = 1; i < 9; i++) {
          const t = i / 9;
          const q = pts[Math.round(t * 10)];
          parts.ell(band, [q[0], q[1] + r * 1.25, q[2]], [r * 0.8, r * 0.4, r * 0.8], 8);
        }
      } else if (v === 1) {
        // coiled tail, raised front with hood
        for (let i = 0; i <= 12; i++) {
          const a = (i / 12) * Math.PI * 2.2;
          const rr = 0.35 * L - i * 0.012;
          pts.push([Math.cos(a) * rr - 0.1, r, Math.sin(a) * rr * 0.8]);
        }
        const last = pts[pts.length - 1];
        pts.push([last[0] + 0.1, r * 2, last[2] * 0.5], [0.3 * L, 0.25, 0], [0.33 * L, 0.5 * L * p.wave, 0], [0.36 * L, 0.62 * L * p.wave, 0]);
        snakeBody(parts, pts, r, r * 1.1 * p.headSize, [1, -0.15, 0], 1);
      } else {
        // rattlesnake: tight coil with the head cocked and a rattle
        const coilPts: V3[] = [];
        for (let i = 0; i <= 20; i++) {
          const a = (i / 20) * Math.PI * 4;
          const rr = 0.34 * L - i * 0.008;
          coilPts.push([Math.cos(a) * rr, r + i * r * 0.12, Math.sin(a) * rr]);
        }
        const last = coilPts[coilPts.length - 1];
        coilPts.push([last[0] + 0.08, last[1] + 0.1 * p.wave, last[2] * 0.5], [0.2 * L, 0.3 * p.wave, 0], [0.32 * L, 0.34 * p.wave, 0]);
        snakeBody(parts, coilPts, r, r * 1.3 * p.headSize, [1, 0, 0]);
        const rattle = parts.mat('#d8c8a0', 0.6);
        const t0 = coilPts[0];
        for (let i = 0; i < 3; i++) parts.ell(rattle, [t0[0] + 0.01, t0[1] + 0.02 + i * r * 0.6, t0[2]], r * 0.4, 6);
        const band = parts.mat('#4a3a22', 0.6);
        for (let i = 2; i < 20; i += 2) {
          const q = coilPts[i];
          parts.ell(band, [q[0], q[1] + r * 0.85, q[2]], [r * 0.5, r * 0.3, r * 0.5], 6);
        }
      }
      parts.flush();
    },
  },
  {
    name: 'penguin', family: 'animal', variants: ['emperor', 'adelie', 'chick'],
    params: { height: [0.85, 1.15], girth: [0.9, 1.15], beakLength: [0.8, 1.3], flipperAngle: [0, 30] },
    surface: (v) => ({ color: pick(['#1c1f26', '#181a1e', '#8a8a8e'], v), roughness: 0.6 }),
    build(b, v, p) {
      const parts = new Parts(b);
      const chick = v === 2;
      const h = (v === 0 ? 0.42 : v === 1 ? 0.32 : 0.26) * p.height;
      const g = (chick ? 0.2 : 0.17) * p.girth;
      const cy = h + 0.03;
      parts.ell(b.main, [0, cy, 0], [g, h, g * 0.95], 20, [0, 0, chick ? 0 : 8]);
      const white = parts.mat(chick ? '#d8d8d8' : '#f2f2ee', 0.6);
      if (!chick) parts.ell(white, [g * 0.32, cy - 0.02, 0], [g * 0.8, h * 0.93, g * 1.0], 18, [0, 0, 8]);
      const hr = chick ? 0.13 : 0.1;
      const head: V3 = [chick ? 0.02 : 0.04, cy + h * 0.85 + hr * (chick ? 0.5 : 0.2), 0];
      parts.ell(chick ? parts.mat('#2a2a2e', 0.7) : b.main, head, [hr * 1.05, hr, hr * 0.95], 16);
      if (chick) parts.ell(white, [head[0] + hr * 0.35, head[1] - hr * 0.05, 0], [hr * 0.75, hr * 0.65, hr * 0.85], 12);
      if (v === 0) for (const s of [1, -1]) parts.ell(parts.mat('#e89030', 0.6), [head[0] - hr * 0.2, head[1] - hr * 0.5, s * hr * 0.75], [hr * 0.4, hr * 0.55, hr * 0.25], 10, [0, 0, -30]);
      const beakL = (v === 0 ? 0.1 : 0.07) * p.beakLength;
      parts.add(new THREE.ConeGeometry(hr * 0.25, beakL, 8), parts.mat(EYE, 0.5), { at: [head[0] + hr * 0.95 + beakL * 0.35, head[1] - hr * 0.15, 0], rot: [0, 0, -100], scale: [1, 1, 0.8] });
      if (v === 0) parts.ell(parts.mat('#e89030', 0.6), [head[0] + hr * 0.95 + beakL * 0.2, head[1] - hr * 0.22, 0], [beakL * 0.35, hr * 0.08, hr * 0.15], 6, [0, 0, -10]);
      const eye = parts.mat(EYE, 0.3);
      const ring = parts.mat('#f2f2ee', 0.6);
      for (const s of [1, -1]) {
        if (v === 1) parts.ell(ring, [head[0] + hr * 0.45, head[1] + hr * 0.2, s * hr * 0.74], hr * 0.2, 8);
        parts.ell(eye, [head[0] + hr * 0.5, head[1] + hr * 0.2, s * hr * 0.82], hr * 0.11, 8);
      }
      const fa = p.flipperAngle;
      for (const s of [1, -1]) parts.ell(chick ? b.main : b.main, [-g * 0.05, cy + h * 0.1, s * g * 0.98], [g * 0.28, h * 0.55, 0.02], 12, [s * fa, 0, 12]);
      const feet = parts.mat(chick ? EYE : '#e89030', 0.6);
      for (const s of [1, -1]) parts.ell(feet, [g * 0.4, 0.015, s * g * 0.4], [g * 0.45, 0.015, g * 0.25], 8);
      parts.flush();
    },
  },
);
