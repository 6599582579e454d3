/** Geometric shapes (CLEVR's family and a few more): the simplest classes, for tests and CLEVR-like scenes. */
import * as THREE from 'three';
import { box, cylinder, sphere, type AssetClass } from '../kit.js';

const MATTE = { roughness: 0.7, metalness: 0 };
const SHINY = { roughness: 0.25, metalness: 0.8 };

/** Variant 0 matte, 1 shiny metal, 2 half-gloss: CLEVR's rubber/metal materials and one more. */
function finish(variant: number) {
  return variant === 1 ? SHINY : variant === 2 ? { roughness: 0.4, metalness: 0.1 } : MATTE;
}

export const SHAPE_CLASSES: AssetClass[] = [
  {
    name: 'cube', family: 'shape', variants: ['rubber', 'metal', 'plastic'],
    params: { stretch: [0.95, 1.05] },
    surface: (v) => ({ color: '#8a8a8a', ...finish(v) }),
    build(b, _v, p) {
      b.add(box(1, p.stretch, 1), b.main);
    },
  },
  {
    name: 'sphere', family: 'shape', variants: ['rubber', 'metal', 'plastic'],
    params: { squash: [0.92, 1.0] },
    surface: (v) => ({ color: '#8a8a8a', ...finish(v) }),
    build(b, _v, p) {
      b.add(sphere(0.5, 32), b.main, { at: [0, 0.5 * p.squash, 0], scale: [1, p.squash, 1] });
    },
  },
  {
    name: 'cylinder', family: 'shape', variants: ['rubber', 'metal', 'plastic'],
    params: { aspect: [0.8, 1.3] },
    surface: (v) => ({ color: '#8a8a8a', ...finish(v) }),
    build(b, _v, p) {
      b.add(cylinder(0.5, 0.5, p.aspect, 32), b.main);
    },
  },
  {
    name: 'cone', family: 'shape', variants: ['rubber', 'metal', 'plastic'],
    params: { aspect: [0.9, 1.4] },
    surface: (v) => ({ color: '#8a8a8a', ...finish(v) }),
    build(b, _v, p) {
      b.add(cylinder(0, 0.5, p.aspect, 32), b.main);
    },
  },
  {
    name: 'torus', family: 'shape', variants: ['rubber', 'metal', 'plastic'],
    params: { tube: [0.12, 0.2] },
    surface: (v) => ({ color: '#8a8a8a', ...finish(v) }),
    build(b, _v, p) {
      b.add(new THREE.TorusGeometry(0.4, p.tube, 16, 40), b.main, { at: [0, p.tube, 0], rot: [90, 0, 0] });
    },
  },
];
