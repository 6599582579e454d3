/**
 * Factor sampling: sample `index` of a spec is a pure function of (spec, catalog, index). Its
 * randomness comes from rngFor(seed, index, purpose), so any index range can be made anywhere.
 */
import { rngFor, type Rng } from '../core/random.js';
import { InputError, inputError } from '../core/errors.js';
import { FACTORS, FACTOR_BY_NAME, type FactorDef } from './factors.js';
import { PLAN_LIMITS, classLabels, type Distribution, type FactorValue, type Spec } from './schema.js';
import { classInfo, type Catalog } from './catalog.js';

/** One object of a scene, as plain data. */
export interface ObjectDescription {
  class: string;
  /** The class's training label: its position among the spec's classes in code-point order (classLabels). */
  classIndex: number;
  asset: number;
  assetName: string;
  /** Continuous shape parameters of the class, sampled per image. */
  params: Record<string, number>;
  /** Position of the object's footprint centre on the ground (y = 0). */
  position: [number, number, number];
  yaw: number;
  pitch: number;
  roll: number;
  scale: number;
  texture: string;
  color: string;
  roughness: number | null;
  metalness: number | null;
}

/** Everything needed to build and render one image; JSON-serialisable, hashed and logged as is. */
export interface SceneDescription {
  id: string;
  index: number;
  seed: number;
  resolution: [number, number];
  environment: string;
  light: { intensity: number; azimuth: number; elevation: number; temperature: number };
  camera: { distance: number; elevation: number; azimuth: number; fov: number; target: [number, number, number] };
  objects: ObjectDescription[];
  /** Flat factor values: the scene's and those of the first object (the labelled one). */
  factors: Record<string, FactorValue>;
}

/** Attempts at a sample outside (or inside) the holdout before giving up. */
export const MAX_SPLIT_ATTEMPTS = 1000;

/** Zero-padded id of sample `index`. */
export function sampleId(index: number): string {
  return String(index).padStart(8, '0');
}

/** Draw one value from a distribution. */
export function drawValue(dist: Distribution, rng: Rng, def?: FactorDef): FactorValue {
  if ('const' in dist) return dist.const;
  if ('choice' in dist) return dist.weights ? dist.choice[rng.weighted(dist.weights)] : rng.pick(dist.choice);
  if ('values' in dist) return rng.pick(dist.values);
  if ('uniform' in dist) return rng.uniform(dist.uniform[0], dist.uniform[1]);
  if ('int' in dist) return rng.int(dist.int[0], dist.int[1]);
  const [lo, hi] = dist.clip ?? def?.range ?? [-Infinity, Infinity];
  return Math.min(hi, Math.max(lo, rng.normal(dist.normal[0], dist.normal[1])));
}

/** The listed values of a distribution that grid mode enumerates; null for continuous or const ones. */
export function gridValues(dist: Distribution | undefined): FactorValue[] | null {
  if (!dist) return null;
  if ('values' in dist) return dist.values;
  if ('choice' in dist) return dist.choice;
  if ('int' in dist && dist.int[1] - dist.int[0] < 10_000) {
    return Array.from({ length: dist.int[1] - dist.int[0] + 1 }, (_, i) => dist.int[0] + i);
  }
  return null;
}

/** A grid axis: a factor and the values it takes, in order. */
export interface GridAxis {
  name: string;
  values: FactorValue[];
}

/** The axes of a grid-mode spec: class first, then listed factors in canonical order. */
export function gridAxes(spec: Spec): GridAxis[] {
  const axes: GridAxis[] = [{ name: 'class', values: gridValues(spec.factors.class) ?? spec.classes }];
  for (const def of FACTORS) {
    if (def.name === 'class') continue;
    const values = gridValues(spec.factors[def.name]);
    if (values) axes.push({ name: def.name, values });
  }
  return axes;
}

/** Number of cells of a grid. */
export function gridSize(axes: readonly GridAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** Cell `cell` of a grid as factor values (mixed radix, last axis fastest). */
export function gridCell(axes: readonly GridAxis[], cell: number): Record<string, FactorValue> {
  const out: Record<string, FactorValue> = {};
  let rest = cell;
  for (let a = axes.length - 1; a >= 0; a--) {
    const n = axes[a].values.length;
    out[axes[a].name] = axes[a].values[rest % n];
    rest = Math.floor(rest / n);
  }
  return out;
}

type Combo = Spec['holdout'][number];

/** Does a set of factor values match a holdout combination? */
export function matchesCombo(values: Readonly<Record<string, FactorValue>>, combo: Combo): boolean {
  for (const [name, want] of Object.entries(combo)) {
    const got = values[name];
    if (got === undefined) return false;
    if (Array.isArray(want)) {
      if (typeof got !== 'number' || got < want[0] || got > want[1]) return false;
    } else if (typeof want === 'number' && typeof got === 'number') {
      if (Math.abs(want - got) > 1e-9) return false;
    } else if (want !== got) return false;
  }
  return true;
}

/** A spec prepared for sampling: grid cells resolved, count known. */
export interface SamplingPlan {
  spec: Spec;
  catalog: Catalog;
  count: number;
  axes: GridAxis[] | null;
  /** Sweep mode: the explicit cells (class, asset and one varied factor each). */
  sweep: Record<string, FactorValue>[] | null;
  /** Grid cells in this split (null when every cell is, i.e. no holdout). */
  cells: Uint32Array | null;
  gridCells: number;
  /**
   * Factor values fixed per sample index (the feedback loop's adaptive sampling): they fix the
   * scene's factors and the first object's, over a grid or sweep cell's values; a holdout split's
   * combination still wins, so a sample stays in its split. Absent for plain spec sampling.
   */
  overrides?: ReadonlyMap<number, Readonly<Record<string, FactorValue>>>;
}

/**
 * Resolve the count and the grid of a validated spec.
 * @throws InputError when a grid holdout names a non-axis factor or a split is empty.
 */
export function planSampling(spec: Spec, catalog: Catalog): SamplingPlan {
  if (spec.mode === 'random') {
    const plan: SamplingPlan = { spec, catalog, count: spec.count > 0 ? spec.count : 16, axes: null, sweep: null, cells: null, gridCells: 0 };
    // A holdout that leaves the split empty fails here, before any work is accepted, not at the first sample.
    if (spec.holdout.length > 0) describeSample(plan, 0);
    return plan;
  }
  if (spec.mode === 'sweep') {
    const size = sweepSize(spec);
    if (size > PLAN_LIMITS.maxSweepCells) {
      throw inputError('factors', `a sweep of at most ${PLAN_LIMITS.maxSweepCells} cells (cap maxSweepCells; classes x assets x (1 + the further values of each listed factor))`, size);
    }
    const cells = sweepCells(spec).filter((cell) => {
      const held = spec.holdout.some((combo) => matchesCombo(cell, combo));
      return held === (spec.split === 'holdout') || spec.holdout.length === 0;
    });
    if (cells.length === 0) throw inputError('split', 'a split with at least one sweep cell', spec.split);
    return { spec, catalog, count: spec.count > 0 ? spec.count : cells.length, axes: null, sweep: cells, cells: null, gridCells: cells.length };
  }
  const axes = gridAxes(spec);
  const total = gridSize(axes);
  if (!Number.isSafeInteger(total) || total > PLAN_LIMITS.maxGridCells) {
    throw inputError('factors', `a grid of at most ${PLAN_LIMITS.maxGridCells} cells (cap maxGridCells)`, total);
  }
  let cells: Uint32Array | null = null;
  if (spec.holdout.length > 0) {
    const axisNames = new Set(axes.map((a) => a.name));
    spec.holdout.forEach((combo, i) => {
      for (const name of Object.keys(combo)) {
        if (!axisNames.has(name)) {
          throw inputError(`holdout[${i}].${name}`, `a grid axis (one of: ${[...axisNames].join(', ')}) in grid mode`, name);
        }
      }
    });
    if (total > PLAN_LIMITS.maxFilteredGridCells) {
      throw inputError('holdout', `a grid of at most ${PLAN_LIMITS.maxFilteredGridCells} cells when filtering (cap maxFilteredGridCells)`, total);
    }
    if (total * spec.holdout.length > PLAN_LIMITS.maxHoldoutChecks) {
      throw inputError('holdout', `at most ${PLAN_LIMITS.maxHoldoutChecks} grid cells x holdout combinations (cap maxHoldoutChecks)`, `${total} x ${spec.holdout.length}`);
    }
    cells = filterGrid(axes, spec.holdout, spec.split === 'holdout');
    if (cells.length === 0) throw inputError('split', `a split with at least one grid cell`, spec.split);
  }
  const size = cells ? cells.length : total;
  return { spec, catalog, count: spec.count > 0 ? spec.count : size, axes, sweep: null, cells, gridCells: size };
}

/**
 * The grid cells (in order) that match some holdout combination (`held` true) or none (false).
 * Each combination becomes one mask per axis it names, so a cell costs a few array reads per
 * combination (5M cells filter in well under a second) and no object per cell.
 */
export function filterGrid(axes: readonly GridAxis[], holdout: readonly Combo[], held: boolean): Uint32Array {
  const masks = holdout.map((combo) => Object.entries(combo).map(([name, want]) => {
    const a = axes.findIndex((x) => x.name === name);
    return { a, ok: Uint8Array.from(axes[a].values, (v) => (matchesCombo({ [name]: v }, { [name]: want }) ? 1 : 0)) };
  }));
  const total = gridSize(axes);
  const radix = axes.map((x) => x.values.length);
  const digits = new Array<number>(axes.length).fill(0);
  const keep = new Uint32Array(total);
  let n = 0;
  for (let c = 0; c < total; c++) {
    let hit = false;
    for (let k = 0; k < masks.length && !hit; k++) {
      const m = masks[k];
      let all = true;
      for (let j = 0; j < m.length && all; j++) all = m[j].ok[digits[m[j].a]] === 1;
      hit = all;
    }
    if (hit === held) keep[n++] = c;
    for (let a = axes.length - 1; a >= 0; a--) { // mixed radix, last axis fastest (as gridCell)
      if (++digits[a] < radix[a]) break;
      digits[a] = 0;
    }
  }
  return keep.slice(0, n);
}

/** Number of cells sweepCells lists, computed without listing them. */
export function sweepSize(spec: Spec): number {
  const classes = (gridValues(spec.factors.class) ?? spec.classes).length;
  const assets = gridValues(spec.factors.asset)?.length ?? 1;
  const further = FACTORS.filter((d) => d.name !== 'class' && d.name !== 'asset')
    .reduce((n, d) => n + Math.max(0, (gridValues(spec.factors[d.name])?.length ?? 1) - 1), 0);
  return classes * assets * (1 + further);
}

/** Name of the extra factor recording which factor a sweep cell varies (`canonical` for none). */
export const SWEEP_FACTOR = 'sweep';

/**
 * Sweep cells: for each class (and listed asset), the canonical cell (first listed value of every
 * listed factor) and then each listed factor's other values, one factor at a time.
 */
export function sweepCells(spec: Spec): Record<string, FactorValue>[] {
  const classes = gridValues(spec.factors.class) ?? spec.classes;
  const assets = gridValues(spec.factors.asset);
  const swept = FACTORS.filter((d) => d.name !== 'class' && d.name !== 'asset')
    .map((d) => ({ name: d.name, values: gridValues(spec.factors[d.name]) }))
    .filter((a): a is GridAxis => a.values !== null);
  const canonical = Object.fromEntries(swept.map((a) => [a.name, a.values[0]]));
  const cells: Record<string, FactorValue>[] = [];
  for (const cls of classes) {
    for (const asset of assets ?? [null]) {
      const base: Record<string, FactorValue> = { class: cls, ...canonical, [SWEEP_FACTOR]: 'canonical' };
      if (asset !== null) base.asset = asset;
      cells.push(base);
      for (const axis of swept) {
        for (const v of axis.values.slice(1)) cells.push({ ...base, [axis.name]: v, [SWEEP_FACTOR]: axis.name });
      }
    }
  }
  return cells;
}

function distributionFor(spec: Spec, catalog: Catalog, def: FactorDef, className: string): Distribution | null {
  const given = spec.factors[def.name];
  if (given) return given;
  if (def.name === 'class') return { choice: spec.classes };
  if (def.name === 'asset') {
    const n = classInfo(catalog, className)?.variants.length ?? 1;
    return { int: [0, n - 1] };
  }
  return def.default;
}

/** Lay out `radii` (footprint radii) on the ground without overlap; deterministic in `rng`. */
export function placeObjects(radii: readonly number[], rng: Rng, gap = 0.05): [number, number, number][] {
  if (radii.length === 1) return [[0, 0, 0]];
  const placed: { x: number; z: number; r: number }[] = [];
  let area = Math.sqrt(radii.reduce((s, r) => s + r * r, 0)) * 1.3;
  for (const r of radii) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && attempt % 100 === 0) area *= 1.15;
      const a = rng.uniform(0, 2 * Math.PI);
      const d = area * Math.sqrt(rng.next());
      const x = d * Math.cos(a);
      const z = d * Math.sin(a);
      if (placed.every((p) => Math.hypot(p.x - x, p.z - z) >= p.r + r + gap)) {
        placed.push({ x, z, r });
        break;
      }
    }
  }
  const cx = placed.reduce((s, p) => s + p.x, 0) / placed.length;
  const cz = placed.reduce((s, p) => s + p.z, 0) / placed.length;
  return placed.map((p) => [p.x - cx, 0, p.z - cz]);
}

/**
 * Radius of a circle on the ground that holds an object of `scale` whatever its yaw (canonical
 * largest side is 1): half the diagonal of the unit square, or of the unit cube when pitched or rolled.
 */
export function footprintRadius(scale: number, tilted = false): number {
  return (tilted ? Math.sqrt(3) / 2 : Math.SQRT1_2) * scale;
}

/**
 * Draw sample `index` (attempt `attempt`): its factor values, then the layout. `accept` sees the values
 * before the layout is drawn and can reject them (null): a split rejects most draws of a narrow one.
 */
function drawScene(plan: SamplingPlan, index: number, attempt: number, forced: Record<string, FactorValue>, layoutAttempt = 0,
  accept?: (objects: readonly ObjectDescription[], factors: Readonly<Record<string, FactorValue>>) => boolean): SceneDescription | null {
  const { spec, catalog } = plan;
  const tag = attempt === 0 ? '' : `@${attempt}`;
  const draw = (def: FactorDef, purpose: string, className: string): FactorValue | null => {
    // Grid/sweep cells and holdout combinations fix the scene's factors and the first object's.
    const fixed = !purpose.includes('#') || purpose.endsWith('#0');
    if (fixed && forced[def.name] !== undefined) return forced[def.name];
    const dist = distributionFor(spec, catalog, def, className);
    return dist ? drawValue(dist, rngFor(spec.seed, index, purpose + tag), def) : null;
  };
  const scene: Record<string, FactorValue> = {};
  for (const def of FACTORS) {
    if (def.perObject) continue;
    scene[def.name] = draw(def, def.name, '') as FactorValue;
  }
  const n = Number(scene.objects);
  const objects: ObjectDescription[] = [];
  for (let k = 0; k < n; k++) {
    const cls = String(draw(FACTOR_BY_NAME.get('class')!, `class#${k}`, ''));
    const info = classInfo(catalog, cls)!;
    const values: Record<string, FactorValue | null> = { class: cls };
    for (const def of FACTORS) {
      if (!def.perObject || def.name === 'class') continue;
      values[def.name] = draw(def, `${def.name}#${k}`, cls);
    }
    const asset = Math.min(Number(values.asset), info.variants.length - 1);
    const shapeRng = rngFor(spec.seed, index, `shape#${k}${tag}`);
    const params: Record<string, number> = {};
    for (const [p, [lo, hi]] of Object.entries(info.params)) params[p] = shapeRng.uniform(lo, hi);
    objects.push({
      class: cls, classIndex: classLabels(spec.classes).get(cls) ?? -1, asset, assetName: info.variants[asset], params,
      position: [0, 0, 0], yaw: Number(values.yaw), pitch: Number(values.pitch), roll: Number(values.roll),
      scale: Number(values.scale), texture: String(values.texture), color: String(values.color),
      roughness: values.roughness === null ? null : Number(values.roughness),
      metalness: values.metalness === null ? null : Number(values.metalness),
    });
  }
  const first = objects[0];
  const factors: Record<string, FactorValue> = {};
  for (const def of FACTORS) {
    const v = def.perObject ? (first as unknown as Record<string, FactorValue | null>)[def.name] : scene[def.name];
    if (v !== null && v !== undefined) factors[def.name] = v;
  }
  if (accept && !accept(objects, factors)) return null;
  const radius = (o: ObjectDescription) => footprintRadius(o.scale, o.pitch !== 0 || o.roll !== 0);
  const layoutTag = layoutAttempt === 0 ? '' : `#${layoutAttempt}`;
  const positions = placeObjects(objects.map(radius), rngFor(spec.seed, index, `layout${tag}${layoutTag}`));
  objects.forEach((o, k) => { o.position = positions[k]; });
  // Frame the whole group: the camera distance factor is for one canonical object, scaled up
  // when several objects spread wider than one.
  const extent = Math.max(...objects.map((o) => Math.hypot(o.position[0], o.position[2]) + radius(o)));
  const frame = Math.max(1, extent / 1.1);
  const height = Math.max(...objects.map((o) => o.scale));
  return {
    id: sampleId(index), index, seed: spec.seed, resolution: [...spec.resolution],
    environment: String(scene.environment),
    light: {
      intensity: Number(scene['light.intensity']), azimuth: Number(scene['light.azimuth']),
      elevation: Number(scene['light.elevation']), temperature: Number(scene['light.temperature']),
    },
    camera: {
      distance: Number(scene['camera.distance']) * frame, elevation: Number(scene['camera.elevation']),
      azimuth: Number(scene['camera.azimuth']), fov: Number(scene['camera.fov']), target: [0, 0.45 * height, 0],
    },
    objects,
    factors,
  };
}

function inSplit(plan: SamplingPlan, objects: readonly ObjectDescription[], factors: Readonly<Record<string, FactorValue>>): boolean {
  const { spec } = plan;
  if (spec.holdout.length === 0) return true;
  const objectValues = objects.map((o) => ({ ...factors, ...(o as unknown as Record<string, FactorValue>) }));
  const held = spec.holdout.some((combo) => objectValues.some((v) => matchesCombo(v, combo)));
  return held === (spec.split === 'holdout');
}

/**
 * The scene description of sample `index` (0 <= index < plan.count). `layoutAttempt` > 0 redraws
 * only the object layout (used when a layout leaves an object too hidden), deterministically.
 * @throws InputError when no sample in the requested split is found within MAX_SPLIT_ATTEMPTS.
 */
export function describeSample(plan: SamplingPlan, index: number, layoutAttempt = 0): SceneDescription {
  const { spec } = plan;
  const fixed = plan.overrides?.get(index);
  if (plan.axes) {
    const cellIndex = index % plan.gridCells;
    const cell = gridCell(plan.axes, plan.cells ? plan.cells[cellIndex] : cellIndex);
    return drawScene(plan, index, 0, fixed ? { ...cell, ...fixed } : cell, layoutAttempt)!;
  }
  if (plan.sweep) {
    const cell = plan.sweep[index % plan.sweep.length];
    const desc = drawScene(plan, index, 0, fixed ? { ...cell, ...fixed } : cell, layoutAttempt)!;
    desc.factors[SWEEP_FACTOR] = cell[SWEEP_FACTOR];
    return desc;
  }
  for (let attempt = 0; attempt < MAX_SPLIT_ATTEMPTS; attempt++) {
    let forced: Record<string, FactorValue> = fixed ? { ...fixed } : {};
    if (spec.split === 'holdout') {
      const combo = rngFor(spec.seed, index, `holdout${attempt}`).pick(spec.holdout);
      forced = { ...forced, ...Object.fromEntries(Object.entries(combo).filter(([, v]) => !Array.isArray(v))) as Record<string, FactorValue> };
    }
    const desc = drawScene(plan, index, attempt, forced, layoutAttempt, (objects, factors) => inSplit(plan, objects, factors));
    if (desc) return desc;
  }
  throw new InputError(inputError('holdout', `a ${spec.split} split that random sampling can reach`, spec.holdout,
    `no sample found in ${MAX_SPLIT_ATTEMPTS} attempts at index ${index}`).issues);
}

/** The index range [start, end) of shard `shardIndex` of `numShards` over `count` samples (contiguous). */
export function shardRange(count: number, shardIndex: number, numShards: number): [number, number] {
  return [Math.floor((shardIndex * count) / numShards), Math.floor(((shardIndex + 1) * count) / numShards)];
}
