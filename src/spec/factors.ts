/**
 * The factors of variation: their names, kinds, valid ranges and default distributions.
 * This table is the one place these facts live; the schema, the sampler, `synth catalog`
 * and the docs all read it.
 */
import type { Distribution } from './schema.js';

/** What values a factor takes. `category` factors draw names from a catalog domain. */
export type FactorKind = 'number' | 'integer' | 'category';

/** Catalog domains a categorical factor takes its names from. */
export type CategoryDomain = 'textures' | 'colors' | 'environments';

/** One factor of variation. */
export interface FactorDef {
  name: string;
  kind: FactorKind;
  /** Whether each object of a multi-object scene draws its own value (otherwise one per image). */
  perObject: boolean;
  unit?: string;
  /** Inclusive valid range for numbers. */
  range?: readonly [number, number];
  domain?: CategoryDomain;
  /** Distribution used when the spec does not list the factor; null keeps the asset's own value. */
  default: Distribution | null;
  doc: string;
}

/**
 * Every factor, in canonical order (the order of columns in factors.csv and of grid axes after
 * class and asset). `class` and `asset` come from the spec's `classes` and the asset catalog.
 */
export const FACTORS: readonly FactorDef[] = [
  { name: 'class', kind: 'category', perObject: true, default: null, doc: 'object class; drawn from `classes` (use `factors.class` for weights or grid values)' },
  { name: 'asset', kind: 'integer', perObject: true, range: [0, 63], default: null, doc: 'variant index within the class (default: uniform over the class variants)' },
  { name: 'objects', kind: 'integer', perObject: false, range: [1, 10], default: { const: 1 }, doc: 'number of objects in the scene' },
  { name: 'yaw', kind: 'number', perObject: true, unit: 'deg', range: [-360, 720], default: { uniform: [0, 360] }, doc: 'rotation about the vertical axis' },
  { name: 'pitch', kind: 'number', perObject: true, unit: 'deg', range: [-90, 90], default: { const: 0 }, doc: 'nose-up rotation' },
  { name: 'roll', kind: 'number', perObject: true, unit: 'deg', range: [-180, 180], default: { const: 0 }, doc: 'rotation about the forward axis' },
  { name: 'scale', kind: 'number', perObject: true, range: [0.05, 10], default: { const: 1 }, doc: 'size relative to the canonical size (largest side 1 unit)' },
  { name: 'texture', kind: 'category', perObject: true, domain: 'textures', default: { const: 'default' }, doc: 'surface texture of the main material (`default` keeps the asset\'s own)' },
  { name: 'color', kind: 'category', perObject: true, domain: 'colors', default: { const: 'default' }, doc: 'tint of the main material: a named colour or #rrggbb (`default` keeps the asset\'s own)' },
  { name: 'roughness', kind: 'number', perObject: true, range: [0, 1], default: null, doc: 'PBR roughness of the main material (default: the asset\'s own)' },
  { name: 'metalness', kind: 'number', perObject: true, range: [0, 1], default: null, doc: 'PBR metalness of the main material (default: the asset\'s own)' },
  { name: 'environment', kind: 'category', perObject: false, domain: 'environments', default: { const: 'studio' }, doc: 'background, ground and ambient light' },
  { name: 'light.intensity', kind: 'number', perObject: false, range: [0, 20], default: { const: 1 }, doc: 'sun intensity multiplier' },
  { name: 'light.azimuth', kind: 'number', perObject: false, unit: 'deg', range: [-360, 720], default: { uniform: [0, 360] }, doc: 'sun direction around the vertical axis' },
  { name: 'light.elevation', kind: 'number', perObject: false, unit: 'deg', range: [1, 90], default: { uniform: [30, 70] }, doc: 'sun height above the horizon' },
  { name: 'light.temperature', kind: 'number', perObject: false, unit: 'K', range: [1000, 40000], default: { const: 6500 }, doc: 'sun colour temperature' },
  { name: 'camera.distance', kind: 'number', perObject: false, unit: 'units', range: [0.3, 100], default: { uniform: [2.6, 3.4] }, doc: 'camera distance from the look-at point' },
  { name: 'camera.elevation', kind: 'number', perObject: false, unit: 'deg', range: [-30, 89], default: { uniform: [10, 35] }, doc: 'camera height angle above the ground plane' },
  { name: 'camera.azimuth', kind: 'number', perObject: false, unit: 'deg', range: [-360, 720], default: { const: 0 }, doc: 'camera position around the vertical axis (0 = in front, +z)' },
  { name: 'camera.fov', kind: 'number', perObject: false, unit: 'deg', range: [5, 120], default: { const: 40 }, doc: 'vertical field of view' },
];

/** Factor definitions by name. */
export const FACTOR_BY_NAME: ReadonlyMap<string, FactorDef> = new Map(FACTORS.map((f) => [f.name, f]));

/** Factor names in canonical order. */
export const FACTOR_NAMES: readonly string[] = FACTORS.map((f) => f.name);
