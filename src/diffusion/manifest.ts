/**
 * Model manifests (`models/<name>/model.json`): what an ONNX file takes and gives, how to sample it, and
 * where it came from; and the check of a loaded session against its manifest, which names every
 * mismatch (expected vs actual names, ranks, dtypes, sizes).
 *
 * A denoiser is any ONNX graph with the signature
 * (x: float32 [B,C,H,W], t: int64 or float32 [B], class: int64 [B]) -> float32 [B,C,H,W].
 */
import { readFile } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { InputError, describeValue, inputError, type InputIssue } from '../core/errors.js';
import { MAX_SPEC_ISSUES, capIssues } from '../spec/schema.js';
import { BETA_SCHEDULES, PREDICTION_TYPES, SCHEDULER_NAMES, TIMESTEP_SPACINGS, type SchedulerOptions } from './schedulers.js';
import { MODEL_LIMITS } from './model-limits.js';

/** Where `--model <name>` looks: the package's models/ folder (committed models live there). */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** Manifest format tags. */
export const DENOISER_FORMAT = 'synth-diffusion-model/1';
export const CLASSIFIER_FORMAT = 'synth-classifier-model/1';

const Dim = z.union([z.number().int().positive(), z.string().min(1)]);
const TensorSpec = z.strictObject({
  name: z.string().min(1),
  dtype: z.enum(['float32', 'int64']),
  shape: z.array(Dim),
});
/** One declared tensor: name, dtype and shape (a string dimension is symbolic, like the batch `B`). */
export type TensorSpec = z.infer<typeof TensorSpec>;

const Training = z.record(z.string(), z.unknown());

/** model.json of a class-conditional denoiser. */
export const DenoiserManifestSchema = z.strictObject({
  format: z.literal(DENOISER_FORMAT),
  name: z.string().min(1),
  kind: z.literal('denoiser'),
  description: z.string().optional(),
  file: z.string().min(1),
  inputs: z.strictObject({
    sample: TensorSpec.extend({ dtype: z.literal('float32'), shape: z.array(Dim).length(4) }),
    timestep: TensorSpec.extend({ shape: z.array(Dim).length(1) }),
    class: TensorSpec.extend({ dtype: z.literal('int64'), shape: z.array(Dim).length(1) }),
  }),
  outputs: z.strictObject({ prediction: TensorSpec.extend({ dtype: z.literal('float32'), shape: z.array(Dim).length(4) }) }),
  image: z.strictObject({
    width: z.number().int().min(1).max(MODEL_LIMITS.maxImageSide),
    height: z.number().int().min(1).max(MODEL_LIMITS.maxImageSide),
    channels: z.union([z.literal(1), z.literal(3)]),
    range: z.tuple([z.number(), z.number()]).default([-1, 1]),
  }),
  predictionType: z.enum(PREDICTION_TYPES),
  /** The training noise schedule and the scheduler settings of diffusers' scheduler configs (SCHEDULER_CONFIG_KEYS). */
  schedule: z.strictObject({
    numTrainTimesteps: z.number().int().min(1).max(100_000),
    betaSchedule: z.enum(BETA_SCHEDULES),
    betaStart: z.number().positive().default(0.0001),
    betaEnd: z.number().positive().default(0.02),
    /** Clamp the predicted x0 to ±clipSampleRange in DDPM and DDIM steps (diffusers' default; latent models turn it off). */
    clipSample: z.boolean().default(true),
    clipSampleRange: z.number().positive().default(1),
    /** DDIM's last step goes to ᾱ = 1 (true) or to ᾱ_0 (false). */
    setAlphaToOne: z.boolean().default(true),
    /** Added to `leading` timesteps (diffusers' steps_offset; Stable Diffusion uses 1). */
    stepsOffset: z.number().int().min(0).max(1000).default(0),
    /** The spacing of inference timesteps when a run names none (default: each scheduler's diffusers default). */
    timestepSpacing: z.enum(TIMESTEP_SPACINGS).optional(),
  }),
  classes: z.array(z.string().min(1)).min(1),
  /** Class index of the unconditional (null) label for classifier-free guidance; null when there is none. */
  nullClass: z.number().int().min(0).nullable(),
  defaults: z.strictObject({
    scheduler: z.enum(SCHEDULER_NAMES).optional(),
    steps: z.number().int().min(1).optional(),
    cfg: z.number().min(0).optional(),
    eta: z.number().min(0).max(1).optional(),
  }).default({}),
  training: Training.optional(),
});
/** A validated denoiser manifest. */
export type DenoiserManifest = z.infer<typeof DenoiserManifestSchema>;

/** The createScheduler options a denoiser's manifest fixes (everything but steps, eta and a run's spacing). */
export function schedulerOptionsOf(manifest: DenoiserManifest): Omit<SchedulerOptions, 'steps' | 'eta'> {
  const { schedule } = manifest;
  return {
    schedule, predictionType: manifest.predictionType, clipSample: schedule.clipSample, clipSampleRange: schedule.clipSampleRange,
    setAlphaToOne: schedule.setAlphaToOne, stepsOffset: schedule.stepsOffset, timestepSpacing: schedule.timestepSpacing,
  };
}

/** A diffusers scheduler config read beside model.json when present (`scheduler/scheduler_config.json` in a pipeline). */
export const SCHEDULER_CONFIG_FILE = 'scheduler_config.json';

/** diffusers scheduler config keys and the model.json fields they fill. */
export const SCHEDULER_CONFIG_KEYS: Readonly<Record<string, string>> = {
  num_train_timesteps: 'schedule.numTrainTimesteps', beta_schedule: 'schedule.betaSchedule', beta_start: 'schedule.betaStart',
  beta_end: 'schedule.betaEnd', clip_sample: 'schedule.clipSample', clip_sample_range: 'schedule.clipSampleRange',
  set_alpha_to_one: 'schedule.setAlphaToOne', steps_offset: 'schedule.stepsOffset', timestep_spacing: 'schedule.timestepSpacing',
  prediction_type: 'predictionType',
};

/** diffusers config keys that change sampling in ways not built here, with the one value accepted (their default). */
const UNSUPPORTED_SCHEDULER_KEYS: Readonly<Record<string, unknown>> = {
  trained_betas: null, thresholding: false, rescale_betas_zero_snr: false, use_karras_sigmas: false, timestep_type: 'discrete',
};

/**
 * A raw model.json with the values of a diffusers scheduler config filled in: each mapped key
 * (SCHEDULER_CONFIG_KEYS) sets its field; a field model.json sets too must agree. Other keys
 * (`_class_name`, solver options of other schedulers) are ignored, except those that change the
 * sampling in ways not built here (thresholding, trained_betas, ...): those must keep their default.
 * @throws InputError naming the config key, what was expected and what came
 */
export function withSchedulerConfig(raw: unknown, config: unknown, where = SCHEDULER_CONFIG_FILE): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw inputError(where, 'a JSON object (a diffusers scheduler config)', config);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out = { ...(raw as Record<string, unknown>) };
  const schedule = typeof out.schedule === 'object' && out.schedule !== null && !Array.isArray(out.schedule) ? { ...(out.schedule as Record<string, unknown>) } : {};
  const issues: InputIssue[] = [];
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (Object.hasOwn(UNSUPPORTED_SCHEDULER_KEYS, key)) {
      const want = UNSUPPORTED_SCHEDULER_KEYS[key];
      if (value !== want && !(want === null && value === undefined)) {
        issues.push(...inputError(`${where}: ${key}`, `${JSON.stringify(want)} (other values are not supported yet)`, value).issues);
      }
      continue;
    }
    const field = SCHEDULER_CONFIG_KEYS[key];
    if (!field) continue;
    const [target, name] = field.startsWith('schedule.') ? [schedule, field.slice('schedule.'.length)] : [out, field];
    if (target[name] !== undefined && target[name] !== value) {
      issues.push(...inputError(`${where}: ${key}`, `the value model.json gives (${field} ${describeValue(target[name])})`, value).issues);
    } else target[name] = value;
  }
  if (issues.length > 0) throw new InputError(issues);
  out.schedule = schedule;
  return out;
}

/** model.json of an image classifier (the judge of a generator). */
export const ClassifierManifestSchema = z.strictObject({
  format: z.literal(CLASSIFIER_FORMAT),
  name: z.string().min(1),
  kind: z.literal('classifier'),
  description: z.string().optional(),
  file: z.string().min(1),
  /**
   * Optional: the same classifier without gradient outputs (inputs: the image only). ONNX Runtime runs
   * every node of a graph whatever outputs are fetched, so logits-only calls use this graph when present.
   */
  forwardFile: z.string().min(1).optional(),
  input: z.strictObject({
    name: z.string().min(1),
    dtype: z.literal('float32'),
    shape: z.array(Dim).length(4),
    layout: z.literal('NCHW'),
    colorSpace: z.literal('RGB'),
    /** Pixel scale before normalisation: value = (pixel * scale - mean) / std. */
    scale: z.number().positive(),
    mean: z.array(z.number()).length(3),
    std: z.array(z.number().positive()).length(3),
  }),
  /** The target class input [B] (int64), needed by the loss gradient; only graphs with gradient outputs take it. */
  target: TensorSpec.extend({ dtype: z.literal('int64'), shape: z.array(Dim).length(1) }).optional(),
  outputs: z.strictObject({
    logits: TensorSpec,
    features: TensorSpec.optional(),
    /**
     * d criterion / d input (the normalised image), per sample, for gradient guidance: built into the
     * graph by models/train/export_guided.py. Criteria: entropy, loss (cross-entropy vs target), margin.
     */
    gradients: z.strictObject({
      entropy: TensorSpec.extend({ dtype: z.literal('float32'), shape: z.array(Dim).length(4) }).optional(),
      loss: TensorSpec.extend({ dtype: z.literal('float32'), shape: z.array(Dim).length(4) }).optional(),
      margin: TensorSpec.extend({ dtype: z.literal('float32'), shape: z.array(Dim).length(4) }).optional(),
    }).optional(),
  }),
  image: z.strictObject({ width: z.number().int().min(1).max(MODEL_LIMITS.maxImageSide), height: z.number().int().min(1).max(MODEL_LIMITS.maxImageSide), channels: z.literal(3) }),
  classes: z.array(z.string().min(1)).min(1),
  training: Training.optional(),
});
/** A validated classifier manifest. */
export type ClassifierManifest = z.infer<typeof ClassifierManifestSchema>;

/** A manifest with the absolute paths of its folder and ONNX file. */
export interface LocatedManifest<M> {
  manifest: M;
  dir: string;
  onnxPath: string;
}

function zodToInputError(where: string, error: z.ZodError, raw: unknown): InputError {
  const issues: InputIssue[] = error.issues.slice(0, MAX_SPEC_ISSUES + 1).map((issue) => {
    const path = issue.path.map(String).join('.');
    let received: unknown = raw;
    for (const key of issue.path) received = received && typeof received === 'object' ? (received as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
    const expected = issue.message.replace(/^Invalid [a-z ]+: /, '').replace(/^expected /, '').replace(/, received \w+$/, '');
    const got = describeValue(received);
    return { path: `${where}: ${path}`, expected, received: got, message: `${where}: ${path || '(root)'}: expected ${expected}, got ${got}` };
  });
  return new InputError(capIssues(issues));
}

/**
 * Parse a manifest object against a schema.
 * @throws InputError naming `where`, the JSON path, what was expected and what came
 */
export function parseManifest<S extends z.ZodTypeAny>(schema: S, raw: unknown, where = 'model.json'): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw zodToInputError(where, parsed.error, raw);
  return parsed.data;
}

/**
 * Find a model by name (a folder of MODELS_DIR) or path (a folder or its model.json).
 * @throws InputError listing the models that exist when it is not found
 */
export function locateModel(nameOrPath: string, modelsDir = MODELS_DIR): string {
  const candidates = isAbsolute(nameOrPath) || nameOrPath.includes('/') || nameOrPath.startsWith('.')
    ? [resolve(nameOrPath)]
    : [join(modelsDir, nameOrPath), resolve(nameOrPath)];
  for (const c of candidates) {
    if (existsSync(c) && statSync(c).isFile() && c.endsWith('.json')) return c;
    if (existsSync(join(c, 'model.json'))) return join(c, 'model.json');
  }
  throw inputError('model', `a model name (a folder with model.json under ${modelsDir}: ${listModels(modelsDir).join(', ') || 'none'}) or a model folder path`, nameOrPath);
}

/** Names of the model folders under `modelsDir` (those with a model.json). */
export function listModels(modelsDir = MODELS_DIR): string[] {
  try {
    return readdirSync(modelsDir).filter((n) => existsSync(join(modelsDir, n, 'model.json'))).sort();
  } catch {
    return [];
  }
}

/**
 * Read and validate a manifest file, resolving its ONNX file beside it. A denoiser's folder may hold a
 * diffusers `scheduler_config.json`: its values fill the schedule (withSchedulerConfig).
 * @throws InputError when the file is missing, not JSON, invalid, or its ONNX file is missing
 */
export async function readManifest<S extends z.ZodTypeAny>(schema: S, manifestPath: string): Promise<LocatedManifest<z.infer<S>>> {
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    throw inputError('model', `a readable model.json`, manifestPath, (err as NodeJS.ErrnoException).code);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw inputError(manifestPath, 'valid JSON', text.slice(0, 40), (err as Error).message);
  }
  const dir = dirname(manifestPath);
  const configPath = join(dir, SCHEDULER_CONFIG_FILE);
  if ((raw as { kind?: unknown } | null)?.kind === 'denoiser' && existsSync(configPath)) {
    let config: unknown;
    try {
      config = JSON.parse(await readFile(configPath, 'utf8'));
    } catch (err) {
      throw inputError(configPath, 'a readable JSON file (a diffusers scheduler config)', SCHEDULER_CONFIG_FILE, (err as Error).message);
    }
    raw = withSchedulerConfig(raw, config, configPath);
  }
  const manifest = parseManifest(schema, raw, manifestPath) as z.infer<S> & { file: string };
  const onnxPath = resolve(dir, manifest.file);
  if (!existsSync(onnxPath)) throw inputError(`${manifestPath}: file`, 'an ONNX file beside the manifest', manifest.file, `${onnxPath} does not exist`);
  return { manifest, dir, onnxPath };
}

/** What a loaded session declares about one input or output. */
export interface TensorInfo {
  name: string;
  /** ONNX element type as onnxruntime names it (float32, int64, ...), or null for non-tensors. */
  type: string | null;
  shape: readonly (number | string)[];
}

/** What a loaded session declares: its inputs and outputs, in graph order. */
export interface SessionSignature {
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
}

function checkTensors(where: string, kind: 'input' | 'output', declared: readonly TensorSpec[], actual: readonly TensorInfo[], allowedTypes: Record<string, readonly string[]>): InputIssue[] {
  const issues: InputIssue[] = [];
  const issue = (path: string, expected: string, got: unknown, note?: string) => issues.push(...inputError(`${where}: ${path}`, expected, got, note).issues);
  const wantNames = declared.map((d) => d.name).sort();
  const gotNames = actual.map((a) => a.name).sort();
  if (wantNames.join('\u0000') !== gotNames.join('\u0000')) {
    issue(`${kind} names`, `[${declared.map((d) => d.name).join(', ')}] (from model.json)`, actual.map((a) => a.name), 'the ONNX graph declares these');
    return issues;
  }
  for (const d of declared) {
    const a = actual.find((x) => x.name === d.name)!;
    const types = allowedTypes[d.name] ?? [d.dtype];
    if (a.type !== null && !types.includes(a.type)) issue(`${kind} ${d.name} dtype`, `${types.join(' or ')} (model.json says ${d.dtype})`, a.type);
    if (a.shape.length > 0 && a.shape.length !== d.shape.length) {
      issue(`${kind} ${d.name} rank`, `${d.shape.length} ([${d.shape.join(', ')}])`, `${a.shape.length} ([${a.shape.join(', ')}])`);
      continue;
    }
    a.shape.forEach((dim, i) => {
      const want = d.shape[i];
      if (typeof want === 'number' && typeof dim === 'number' && dim > 0 && dim !== want) {
        issue(`${kind} ${d.name} shape[${i}]`, `${want} ([${d.shape.join(', ')}])`, `${dim} ([${a.shape.join(', ')}])`);
      }
    });
  }
  return issues;
}

/**
 * Check a denoiser session against its manifest: input/output names, dtypes, ranks and fixed sizes,
 * and the manifest's own consistency (image size vs tensor shapes, null class index).
 * @throws InputError listing every mismatch, each with expected vs actual
 */
export function checkDenoiserSignature(manifest: DenoiserManifest, signature: SessionSignature, where = manifest.name): void {
  const { sample, timestep, class: cls } = manifest.inputs;
  const issues = [
    ...checkTensors(where, 'input', [sample, timestep, cls], signature.inputs, { [timestep.name]: ['int64', 'float32'] }),
    ...checkTensors(where, 'output', [manifest.outputs.prediction], signature.outputs, {}),
  ];
  const { width, height, channels } = manifest.image;
  const chw = [channels, height, width];
  for (const [label, spec] of [['inputs.sample', sample], ['outputs.prediction', manifest.outputs.prediction]] as const) {
    spec.shape.slice(1).forEach((dim, i) => {
      if (typeof dim === 'number' && dim !== chw[i]) issues.push(...inputError(`${where}: ${label}.shape[${i + 1}]`, `${chw[i]} (image ${channels}x${height}x${width})`, dim).issues);
    });
  }
  if (manifest.nullClass !== null && manifest.nullClass < manifest.classes.length) {
    issues.push(...inputError(`${where}: nullClass`, `an index >= the ${manifest.classes.length} classes (an extra label)`, manifest.nullClass).issues);
  }
  if (issues.length > 0) throw new InputError(issues);
}

/**
 * Check a classifier session against its manifest (input and output names, dtypes, ranks, sizes).
 * @throws InputError listing every mismatch
 */
export function checkClassifierSignature(manifest: ClassifierManifest, signature: SessionSignature, where = manifest.name): void {
  const { logits, features, gradients } = manifest.outputs;
  const outputs = [logits, ...(features ? [features] : []), ...Object.values(gradients ?? {}).filter((g) => g !== undefined)];
  const issues = [
    ...checkTensors(where, 'input', [manifest.input, ...(manifest.target ? [manifest.target] : [])], signature.inputs, {}),
    ...checkTensors(where, 'output', outputs, signature.outputs, {}),
  ];
  const k = logits.shape[1];
  if (logits.shape.length !== 2 || (typeof k === 'number' && k !== manifest.classes.length)) {
    issues.push(...inputError(`${where}: outputs.logits.shape`, `[B, ${manifest.classes.length}] (one logit per class in \`classes\`)`, `[${logits.shape.join(', ')}]`).issues);
  }
  const chw = [3, manifest.image.height, manifest.image.width];
  for (const [label, spec] of [['input', manifest.input], ...Object.entries(gradients ?? {}).map(([c, g]) => [`outputs.gradients.${c}`, g] as const)] as const) {
    if (!spec) continue;
    spec.shape.slice(1).forEach((dim, i) => {
      if (typeof dim === 'number' && dim !== chw[i]) issues.push(...inputError(`${where}: ${label}.shape[${i + 1}]`, `${chw[i]} (image 3x${chw[1]}x${chw[2]})`, dim).issues);
    });
  }
  if (gradients?.loss && !manifest.target) issues.push(...inputError(`${where}: target`, 'a target class input (the loss gradient needs the intended class)', undefined).issues);
  if (issues.length > 0) throw new InputError(issues);
}
