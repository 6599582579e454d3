/**
 * The factor spec: its zod schema (also the source of the OpenAPI document), and `parseSpec`,
 * which validates a JSON value against the schema and the catalog, with messages that name the
 * JSON path, what was expected and what came.
 */
import { z } from 'zod';
import { InputError, inputError, unknownName, describeValue, type InputIssue } from '../core/errors.js';
import { FACTOR_BY_NAME, FACTOR_NAMES, type FactorDef } from './factors.js';
import { backgroundEnvironmentName, BACKGROUND_FILE, type Catalog } from './catalog.js';
import { parseColor } from '../core/color.js';

/** Label passes a spec can ask for (the renderer draws them, labels/ holds what they produce). */
export const LABEL_PASSES = ['segmentation', 'depth', 'normals', 'boxes', 'visibility', 'pose'] as const;
/** One of LABEL_PASSES. */
export type LabelPass = (typeof LABEL_PASSES)[number];

const Value = z.union([z.number(), z.string()]);
/** A factor value: a number or a name. */
export type FactorValue = z.infer<typeof Value>;

const DISTRIBUTION_MEMBERS = {
  const: z.strictObject({ const: Value }),
  choice: z.strictObject({ choice: z.array(Value).min(1), weights: z.array(z.number().nonnegative()).optional() }),
  uniform: z.strictObject({ uniform: z.tuple([z.number(), z.number()]) }),
  normal: z.strictObject({ normal: z.tuple([z.number(), z.number().nonnegative()]), clip: z.tuple([z.number(), z.number()]).optional() }),
  int: z.strictObject({ int: z.tuple([z.number().int(), z.number().int()]) }),
  values: z.strictObject({ values: z.array(Value).min(1) }),
} as const;

/** How a factor is drawn: `const`, `choice` (optional weights), `uniform`, `normal` (clipped), `int`, or grid `values`. */
export const DistributionSchema = z.union(Object.values(DISTRIBUTION_MEMBERS));
export type Distribution = z.infer<typeof DistributionSchema>;
const DISTRIBUTION_KEYS = Object.keys(DISTRIBUTION_MEMBERS) as (keyof typeof DISTRIBUTION_MEMBERS)[];

/** Defaults of the spec's top-level fields; the CLI and HTTP read this, never a copy. */
export const SPEC_DEFAULTS = {
  name: 'dataset',
  seed: 0,
  mode: 'random' as const,
  resolution: [224, 224] as [number, number],
  format: 'png' as const,
  quality: 90,
  split: 'train' as const,
  count: 16,
};

/** The minimum-visible-pixels rule when a spec does not set it: 1/2000 of the image area, at least 4. */
export function defaultMinVisiblePixels([w, h]: readonly [number, number]): number {
  return Math.max(4, Math.round((w * h) / 2000));
}

/**
 * Caps on the size of a sample plan, checked before anything is built (CLI exit 2, HTTP 400 naming
 * the cap): a plan is built on the caller's thread, so these bound the time and memory one spec costs.
 */
export const PLAN_LIMITS = {
  /** Most listed values in one factor's `values` or `choice`. */
  maxValuesPerFactor: 10_000,
  /** Most holdout combinations (random sampling checks each against each object, up to 1,000 draws per sample). */
  maxHoldoutCombos: 100,
  /** Most cells of a sweep (classes x assets x (1 + the further values of each listed factor)). */
  maxSweepCells: 100_000,
  /** Most cells of a grid (unfiltered grids are never listed: a cell is computed from its index). */
  maxGridCells: 2 ** 32,
  /** Most grid cells listed to apply a holdout filter (4 bytes each). */
  maxFilteredGridCells: 5_000_000,
  /** Most (cell, holdout combination) checks a grid's holdout filter may take. */
  maxHoldoutChecks: 50_000_000,
} as const;

/** Code-point order of two strings: Python's `sorted()` of str, the order torchvision's ImageFolder numbers class folders in. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * The classes in label order: label i (the `label` of records, `.cls` in shards, COCO category i + 1,
 * the class map's value, the line i of classes.txt) is the i-th class name in code-point order, which
 * is how ImageFolder loaders number the `images/<class>/` folders. Every format of an export agrees.
 * @example classesByLabel(['torus', 'cube']) // ['cube', 'torus']: cube is 0, torus is 1
 */
export function classesByLabel(classes: readonly string[]): string[] {
  return [...classes].sort(compareCodePoints);
}

const labelMaps = new WeakMap<readonly string[], ReadonlyMap<string, number>>();

/** The label of each class of a spec (see classesByLabel); computed once per classes array. */
export function classLabels(classes: readonly string[]): ReadonlyMap<string, number> {
  let map = labelMaps.get(classes);
  if (!map) {
    map = new Map(classesByLabel(classes).map((name, i) => [name, i]));
    labelMaps.set(classes, map);
  }
  return map;
}

/** Name of the file every export writes with its class names in label order. */
export const CLASSES_FILE = 'classes.txt';

/** classes.txt of an export: the class names in label order, one a line (line i is label i). */
export function classesText(classes: readonly string[]): string {
  return classesByLabel(classes).map((c) => `${c}\n`).join('');
}

/** Largest accepted image side. */
export const MAX_RESOLUTION = 4096;
/** Largest accepted sample count in one spec. */
export const MAX_COUNT = 100_000_000;

/** The factor spec schema (structure only; `parseSpec` adds the catalog checks). */
export const SpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/).default(SPEC_DEFAULTS.name)
    .describe('dataset name: letters, digits, dot, dash, underscore'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(SPEC_DEFAULTS.seed),
  count: z.number().int().min(1).max(MAX_COUNT).optional()
    .describe(`number of samples (random mode default ${SPEC_DEFAULTS.count}; grid and sweep modes default: one per cell)`),
  mode: z.enum(['random', 'grid', 'sweep']).default(SPEC_DEFAULTS.mode)
    .describe('random: every factor drawn; grid: full product of listed values; sweep: one listed factor varied at a time around the first values (PUG:ImageNet protocol)'),
  resolution: z.tuple([z.number().int().min(8).max(MAX_RESOLUTION), z.number().int().min(8).max(MAX_RESOLUTION)])
    .default(SPEC_DEFAULTS.resolution).describe('[width, height] in pixels'),
  format: z.enum(['png', 'jpeg', 'webp', 'raw']).default(SPEC_DEFAULTS.format).describe('image files: png, jpeg, webp, or raw (uint8 [H, W, 3] NumPy .npy arrays; label maps as .npy too)'),
  quality: z.number().int().min(1).max(100).default(SPEC_DEFAULTS.quality).describe('jpeg/webp quality'),
  classes: z.array(z.string()).min(1).optional().describe('object classes (default: every built-in class)'),
  factors: z.record(z.string(), DistributionSchema).default({}),
  holdout: z.array(z.record(z.string(), z.union([Value, z.tuple([z.number(), z.number()])]))).default([])
    .describe('factor combinations excluded from the train split; a value, or [min, max] for a numeric range'),
  minVisiblePixels: z.number().int().min(0).max(1_000_000).optional()
    .describe('multi-object scenes: each object shows at least this many pixels (the layout is redrawn, up to 8 times); 0 turns the rule off; default 1/2000 of the image area, at least 4'),
  split: z.enum(['train', 'holdout']).default(SPEC_DEFAULTS.split)
    .describe('train: samples matching no holdout combination; holdout: only samples matching one'),
  labels: z.array(z.enum(LABEL_PASSES)).default([])
    .describe(`label passes rendered with each image: ${LABEL_PASSES.join(', ')}`),
  backgrounds: z.array(z.string().regex(BACKGROUND_FILE, 'a .png, .jpg, .jpeg or .webp file path')).default([])
    .describe('background image files (paths relative to the spec file); each adds the environment image:<file name without extension>'),
});

/** A validated spec, with every default filled in. */
export interface Spec {
  name: string;
  seed: number;
  count: number;
  mode: 'random' | 'grid' | 'sweep';
  resolution: [number, number];
  format: 'png' | 'jpeg' | 'webp' | 'raw';
  quality: number;
  classes: string[];
  factors: Record<string, Distribution>;
  holdout: Record<string, FactorValue | [number, number]>[];
  split: 'train' | 'holdout';
  minVisiblePixels: number;
  /** Label passes asked of the renderer (each listed once); [] for images only. */
  labels: LabelPass[];
  /** Background image files as given (relative to the spec file); each is the environment `image:<basename>`. */
  backgrounds: string[];
}

function pathOf(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * InputIssues from a zod error on `input`, in the wording of every spec error: `path: expected X, got Y`.
 * `prefix` is prepended to each path; `root` names the input when the path is empty.
 */
export function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[], input: unknown, root = 'spec'): InputIssue[] {
  return capIssues(error.issues.slice(0, MAX_SPEC_ISSUES + 1).map((issue) => {
    const full = [...prefix, ...issue.path];
    let received: unknown = input;
    for (const p of issue.path) received = (received as Record<PropertyKey, unknown> | undefined)?.[p as string];
    const path = pathOf(full);
    const expected = issue.message.replace(/^(Invalid input|Too small|Too big|Invalid string|Invalid option): /i, '');
    const got = issue.code === 'unrecognized_keys' ? `unknown keys ${describeValue((issue as { keys: string[] }).keys)}` : describeValue(received);
    return { path, expected, received: got, message: `${path || root}: ${expected}, got ${got}` };
  }));
}

/**
 * Problems listed at most per spec or body (the first ones in document order): a 1 MB list of bad
 * names would otherwise answer with hundreds of megabytes, built on the event loop.
 */
export const MAX_SPEC_ISSUES = 20;

/** The first MAX_SPEC_ISSUES issues, and one more saying that the rest were not checked or listed. */
export function capIssues(issues: InputIssue[]): InputIssue[] {
  if (issues.length <= MAX_SPEC_ISSUES) return issues;
  const message = `(more problems; only the first ${MAX_SPEC_ISSUES} are listed)`;
  return [...issues.slice(0, MAX_SPEC_ISSUES), { path: '', expected: '', received: '', message }];
}

/** Check one value of a factor against its kind, range and catalog domain. */
function checkValue(def: FactorDef, value: unknown, path: string, catalog: Catalog, classes: readonly string[]): InputIssue[] {
  const bad = (expected: string, note?: string) => inputError(path, expected, value, note).issues;
  if (def.name === 'class') {
    if (typeof value !== 'string' || !classes.includes(value)) {
      return unknownName(path, 'class of this spec', typeof value === 'string' ? value : describeValue(value), classes).issues;
    }
    return [];
  }
  if (def.kind === 'category') {
    if (typeof value !== 'string') return bad(`a ${def.domain ?? 'name'} name (string)`);
    if (def.domain === 'colors') {
      if (value === 'default' || catalog.colors.includes(value) || parseColor(value)) return [];
      return bad(`a colour: one of ${['default', ...catalog.colors].join(', ')}, or #rrggbb`);
    }
    const valid = def.domain ? catalog[def.domain] : [];
    return valid.includes(value) ? [] : unknownName(path, def.domain?.replace(/s$/, '') ?? 'name', value, valid).issues;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`a number${def.unit ? ` in ${def.unit}` : ''}`);
  if (def.kind === 'integer' && !Number.isInteger(value)) return bad('an integer');
  if (def.range && (value < def.range[0] || value > def.range[1])) {
    return bad(`a value in [${def.range[0]}, ${def.range[1]}]${def.unit ? ` ${def.unit}` : ''}`);
  }
  return [];
}

/** Validate one distribution of factor `def` at `path` (e.g. `factors.yaw`). */
function checkDistribution(def: FactorDef, dist: unknown, path: string, catalog: Catalog, classes: readonly string[]): { issues: InputIssue[]; value?: Distribution } {
  if (typeof dist !== 'object' || dist === null || Array.isArray(dist)) {
    return { issues: inputError(path, `a distribution object with one of the keys ${DISTRIBUTION_KEYS.join(', ')}`, dist).issues };
  }
  const key = DISTRIBUTION_KEYS.find((k) => k in dist);
  if (!key) {
    return { issues: inputError(path, `a distribution object with one of the keys ${DISTRIBUTION_KEYS.join(', ')}`, dist).issues };
  }
  const listed = (dist as Record<string, unknown>)[key];
  if ((key === 'values' || key === 'choice') && Array.isArray(listed) && listed.length > PLAN_LIMITS.maxValuesPerFactor) {
    return { issues: inputError(`${path}.${key}`, `at most ${PLAN_LIMITS.maxValuesPerFactor} values (cap maxValuesPerFactor)`, listed.length).issues };
  }
  const parsed = DISTRIBUTION_MEMBERS[key].safeParse(dist);
  if (!parsed.success) return { issues: zodIssues(parsed.error, path.split('.'), dist) };
  const d = parsed.data as Distribution;
  const at = `${path}.${key}`;
  const issues: InputIssue[] = [];
  const numericOnly = def.kind !== 'category';
  if ('uniform' in d || 'int' in d) {
    const [a, b] = 'uniform' in d ? d.uniform : d.int;
    if (!numericOnly) issues.push(...inputError(at, `${def.name} takes names: use const, choice or values`, dist).issues);
    else if (a > b) issues.push(...inputError(at, '[min, max] with min <= max', [a, b]).issues);
    else issues.push(...checkValue(def, a, `${at}[0]`, catalog, classes), ...checkValue(def, b, `${at}[1]`, catalog, classes));
    if ('uniform' in d && def.kind === 'integer') issues.push(...inputError(at, `int: [min, max] for the integer factor ${def.name}`, dist).issues);
  } else if ('normal' in d) {
    if (!numericOnly || def.kind === 'integer') issues.push(...inputError(at, `${def.name} is not continuous: use const, choice, int or values`, dist).issues);
    else {
      issues.push(...checkValue(def, d.normal[0], `${at}[0]`, catalog, classes));
      if (d.clip) {
        if (d.clip[0] > d.clip[1]) issues.push(...inputError(`${path}.clip`, '[min, max] with min <= max', d.clip).issues);
        else issues.push(...checkValue(def, d.clip[0], `${path}.clip[0]`, catalog, classes), ...checkValue(def, d.clip[1], `${path}.clip[1]`, catalog, classes));
      }
    }
  } else if ('const' in d) {
    issues.push(...checkValue(def, d.const, at, catalog, classes));
  } else {
    const list = 'choice' in d ? d.choice : d.values;
    list.forEach((v, i) => issues.push(...checkValue(def, v, `${at}[${i}]`, catalog, classes)));
    if ('choice' in d && d.weights) {
      if (d.weights.length !== d.choice.length) {
        issues.push(...inputError(`${path}.weights`, `${d.choice.length} weights, one per choice`, d.weights).issues);
      } else if (!d.weights.some((w) => w > 0)) {
        issues.push(...inputError(`${path}.weights`, 'at least one positive weight', d.weights).issues);
      }
    }
  }
  return { issues, value: d };
}

/**
 * The spec's fields that zod checks (factors, holdout and labels get hand-made messages). Built once:
 * every derived zod schema compiles its own parser on first use (about a sixth of the server's main
 * thread per render request when it was derived per call).
 */
const StructuralSchema = SpecSchema.omit({ factors: true, holdout: true, labels: true });
const HAND_CHECKED = new Set(['factors', 'holdout', 'labels']);

/**
 * Validate a spec (parsed JSON) against the schema and the catalog, filling in defaults.
 * @throws InputError listing every problem found, each with its JSON path.
 * @example parseSpec({ classes: ['cube'], factors: { yaw: { uniform: [0, 90] } } }, catalog)
 */
export function parseSpec(input: unknown, catalog: Catalog): Spec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw inputError('spec', 'a JSON object', input);
  }
  let raw = input as Record<string, unknown>;
  const issues: InputIssue[] = [];
  const bound = catalog.classes.length;
  if (Array.isArray(raw.classes) && raw.classes.length > bound) {
    // Each class is listed once, so no longer list is valid: refused whole before it is walked.
    issues.push(...inputError('classes', `at most ${bound} classes (each class of the catalog once)`, raw.classes.length).issues);
    raw = { ...raw, classes: undefined };
  }
  const structural = StructuralSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !HAND_CHECKED.has(k))));
  if (!structural.success) issues.push(...zodIssues(structural.error, [], raw));
  const base = structural.success ? structural.data : null;
  // Background images add environments named image:<file name without extension> for this spec.
  const backgrounds = Array.isArray(raw.backgrounds) ? raw.backgrounds.filter((p): p is string => typeof p === 'string') : [];
  if (backgrounds.length > 0) {
    const names = backgrounds.map(backgroundEnvironmentName);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) issues.push(...inputError(`backgrounds[${i}]`, `file names that differ without their extension (${n} is already listed)`, backgrounds[i]).issues);
    });
    catalog = { ...catalog, environments: [...catalog.environments, ...names.filter((n) => !catalog.environments.includes(n))] };
  }

  const allClasses = catalog.classes.map((c) => c.name);
  const rawClasses = Array.isArray(raw.classes) && raw.classes.every((c) => typeof c === 'string') ? raw.classes as string[] : null;
  const classes = rawClasses && rawClasses.length > 0 ? rawClasses : allClasses;
  if (rawClasses) {
    const seen = new Set<string>();
    for (let i = 0; i < rawClasses.length && issues.length <= MAX_SPEC_ISSUES; i++) {
      const name = rawClasses[i];
      if (!allClasses.includes(name)) issues.push(...unknownName(`classes[${i}]`, 'class', name, allClasses).issues);
      if (seen.has(name)) issues.push(...inputError(`classes[${i}]`, 'each class listed once', name).issues);
      seen.add(name);
    }
  }

  const factors: Record<string, Distribution> = {};
  if (raw.factors !== undefined) {
    if (typeof raw.factors !== 'object' || raw.factors === null || Array.isArray(raw.factors)) {
      issues.push(...inputError('factors', 'an object of factor name to distribution', raw.factors).issues);
    } else {
      for (const [name, dist] of Object.entries(raw.factors)) {
        if (issues.length > MAX_SPEC_ISSUES) break;
        const def = FACTOR_BY_NAME.get(name);
        if (!def) {
          issues.push(...unknownName(`factors.${name}`, 'factor', name, FACTOR_NAMES).issues);
          continue;
        }
        const r = checkDistribution(def, dist, `factors.${name}`, catalog, classes);
        issues.push(...r.issues);
        if (r.value) factors[name] = r.value;
      }
      const asset = factors.asset;
      if (asset) {
        const minVariants = Math.min(...classes.map((c) => catalog.classes.find((k) => k.name === c)?.variants.length ?? Infinity));
        const values = 'const' in asset ? [asset.const] : 'choice' in asset ? asset.choice : 'values' in asset ? asset.values : 'int' in asset ? asset.int : [];
        for (const v of values) {
          if (typeof v === 'number' && v >= minVariants) {
            issues.push(...inputError('factors.asset', `variant indices below ${minVariants} (the fewest variants of any listed class)`, asset).issues);
            break;
          }
        }
      }
    }
  }

  const holdout: Spec['holdout'] = [];
  if (raw.holdout !== undefined) {
    if (!Array.isArray(raw.holdout)) issues.push(...inputError('holdout', 'a list of factor combinations', raw.holdout).issues);
    else if (raw.holdout.length > PLAN_LIMITS.maxHoldoutCombos) {
      issues.push(...inputError('holdout', `at most ${PLAN_LIMITS.maxHoldoutCombos} combinations (cap maxHoldoutCombos)`, raw.holdout.length).issues);
    } else {
      raw.holdout.forEach((combo, i) => {
        if (issues.length > MAX_SPEC_ISSUES) return;
        const at = `holdout[${i}]`;
        if (typeof combo !== 'object' || combo === null || Array.isArray(combo) || Object.keys(combo).length === 0) {
          issues.push(...inputError(at, 'a non-empty object of factor name to value or [min, max]', combo).issues);
          return;
        }
        for (const [name, value] of Object.entries(combo)) {
          const def = FACTOR_BY_NAME.get(name);
          if (!def) {
            issues.push(...unknownName(`${at}.${name}`, 'factor', name, FACTOR_NAMES).issues);
            continue;
          }
          if (Array.isArray(value)) {
            if (def.kind === 'category' || value.length !== 2 || value.some((v) => typeof v !== 'number') || value[0] > value[1]) {
              issues.push(...inputError(`${at}.${name}`, def.kind === 'category' ? 'a name' : '[min, max] with min <= max', value).issues);
            }
          } else issues.push(...checkValue(def, value, `${at}.${name}`, catalog, classes));
        }
        holdout.push(combo as Spec['holdout'][number]);
      });
    }
  }
  const labels: LabelPass[] = [];
  if (raw.labels !== undefined) {
    if (!Array.isArray(raw.labels)) issues.push(...inputError('labels', `a list of label pass names (${LABEL_PASSES.join(', ')})`, raw.labels).issues);
    else {
      raw.labels.forEach((name, i) => {
        if (issues.length > MAX_SPEC_ISSUES) return;
        if (typeof name !== 'string' || !(LABEL_PASSES as readonly string[]).includes(name)) {
          issues.push(...unknownName(`labels[${i}]`, 'label pass', typeof name === 'string' ? name : describeValue(name), LABEL_PASSES).issues);
        } else if (labels.includes(name as LabelPass)) {
          issues.push(...inputError(`labels[${i}]`, 'each label pass listed once', name).issues);
        } else labels.push(name as LabelPass);
      });
    }
  }
  if (base?.split === 'holdout' && holdout.length === 0) {
    issues.push(...inputError('split', '"train" unless holdout combinations are listed', 'holdout').issues);
  }
  if (issues.length > 0) throw new InputError(capIssues(issues));
  const b = base!;
  return {
    name: b.name, seed: b.seed, count: b.count ?? -1, mode: b.mode, resolution: b.resolution as [number, number],
    format: b.format, quality: b.quality, classes: [...classes], factors, holdout, split: b.split, labels, minVisiblePixels: b.minVisiblePixels ?? defaultMinVisiblePixels(b.resolution as [number, number]),
    backgrounds: b.backgrounds,
  };
}
