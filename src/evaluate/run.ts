/**
 * An evaluation run: samples (rendered from a spec's sampling plan, or read from an export folder) go
 * straight into batched classifier runs, without image files unless asked; the scored predictions are
 * aggregated (metrics.ts) and written as predictions.jsonl, report.json, CSV tables, PNG plots and
 * report.md. Everything is checked before anything is written, and the files are written into a
 * staging folder beside the output, renamed into place at the end: a failed or stopped run leaves
 * nothing at the output path. The same spec, seed and model give the same files, byte for byte.
 */
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { OutputError, inputError } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs.js';
import { inOrder } from '../core/ordered.js';
import { progressOf, type Progress } from '../core/progress.js';
import type { FactorValue, Spec } from '../spec/schema.js';
import { FACTOR_NAMES } from '../spec/factors.js';
import { gridValues, type SamplingPlan } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { samplesInFlight } from '../render/pool.js';
import { renderSample } from '../render/render-sample.js';
import { encodeImage } from '../pipeline/encode.js';
import { decodeNpy } from '../pipeline/npy.js';
import type { Classifier } from '../diffusion/classifier.js';
import { resizeToRgb } from '../feedback/strategy.js';
import { aggregate, round6, type AxisOptions, type ScoredSample } from './metrics.js';
import { mappingView, resolveClassMapping, scoreLogits, type ClassMapping, type TopEntry } from './scoring.js';
import { REPORT_FORMAT, csvTables, markdownReport, plotFiles, type Report, type SearchSummary } from './report.js';
import { accuracyPlotSvg, heatMapSvg, svgToPng } from './plots.js';

/** Defaults of an evaluation; the CLI and HTTP read these. */
export const EVALUATE_DEFAULTS = {
  /** Images per classifier run. */
  batch: 32,
  /** Model outputs listed per prediction. */
  topK: 5,
  /** Worst cells listed in the report. */
  worst: 10,
  /** Fewest samples a cell needs to be listed among the worst. */
  minCellCount: 3,
};

/** What is evaluated: a spec's samples, rendered, or the samples of an export folder. */
export type EvaluationInput =
  | { kind: 'spec'; plan: SamplingPlan; renderer: SceneRenderer }
  | { kind: 'export'; dir: string };

/** Options of evaluate(). */
export interface EvaluateOptions {
  input: EvaluationInput;
  classifier: Classifier;
  /** sha256 of the model's ONNX file, recorded in the report (null: not recorded). */
  modelSha256?: string | null;
  /** The class mapping as given (spec class -> model class name(s) or index(es)); absent: by name. */
  map?: unknown;
  /** Name of the mapping in errors (`--map` on the command line, `map` over HTTP). */
  mapField?: string;
  out: string;
  /** Replace a non-empty output folder. */
  overwrite?: boolean;
  /** Also write each sample's image (PNG, as rendered) under images/. */
  saveImages?: boolean;
  batch?: number;
  topK?: number;
  worst?: number;
  minCellCount?: number;
  /**
   * The worst-case search, run after the samples with the same renderer and classifier (search.ts);
   * it returns its summary and the images it writes (relative path -> bytes).
   */
  search?: (ctx: SearchContext) => Promise<{ summary: SearchSummary; files: Record<string, Uint8Array> }>;
  /** Renders the search will make (counted in the progress total). */
  searchBudget?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** What the worst-case search is given. */
export interface SearchContext {
  classifier: Classifier;
  mapping: ClassMapping;
  /** Score RGBA frames (any size; resized to the model's input) against their true classes. */
  score(frames: readonly { rgba: Uint8Array; width: number; height: number; trueClass: string }[]): Promise<ScoredPrediction[]>;
  signal?: AbortSignal;
  /** Report renders done by the search (counted after the samples). */
  progress(done: number): void;
}

/** One line of predictions.jsonl. */
export interface PredictionLine {
  id: string;
  index: number;
  class: string;
  factors: Record<string, FactorValue>;
  predicted: string | null;
  correct: boolean;
  confidence: number;
  loss: number;
  entropy: number;
  top: TopEntry[];
  /** The saved image, relative to the output folder (with saveImages). */
  image?: string;
}

/** A scored frame: the prediction fields of a line. */
export type ScoredPrediction = Pick<PredictionLine, 'predicted' | 'correct' | 'confidence' | 'loss' | 'entropy' | 'top'> & { top1: number };

/** What evaluate() resolves to. */
export interface EvaluateResult {
  report: Report;
  count: number;
  seconds: number;
  /** Samples per second, from the first render to the last score. */
  rate: number;
  out: string;
}

/** The classes a spec's first object can take: factors.class's values when listed, else `classes`. */
export function specClassesOf(spec: Spec): string[] {
  const dist = spec.factors.class;
  if (dist && 'const' in dist) return [String(dist.const)];
  const listed = gridValues(dist);
  return listed ? [...new Set(listed.map(String))] : [...spec.classes];
}

/**
 * The factors a spec's tables show: those it lists (besides class), in canonical order; the numeric
 * ones drawn from continuous distributions (uniform, normal) are binned; listed values keep the spec's order.
 */
export function tableAxesOf(spec: Pick<Spec, 'factors'>): { only: string[]; binned: Set<string>; levelOrder: Record<string, FactorValue[]> } {
  const only = FACTOR_NAMES.filter((n) => n !== 'class' && spec.factors[n] !== undefined);
  const binned = new Set(only.filter((n) => { const d = spec.factors[n]; return 'uniform' in d || 'normal' in d; }));
  const levelOrder: Record<string, FactorValue[]> = {};
  for (const n of only) {
    const listed = gridValues(spec.factors[n]);
    if (listed) levelOrder[n] = listed;
  }
  return { only, binned, levelOrder };
}

/** One sample ready for the classifier. */
interface Item {
  id: string;
  index: number;
  trueClass: string;
  factors: Record<string, FactorValue>;
  rgb: Uint8Array;
  /** Set when saveImages: the encoded image and its path. */
  image?: { path: string; bytes: Uint8Array };
}

/** A record of metadata.jsonl, as far as the evaluation reads it. */
interface ExportLine {
  id: string;
  index: number;
  file: string;
  class: string;
  factors: Record<string, FactorValue>;
}

/**
 * Read an export folder's samples (metadata.jsonl) and its classes (manifest.json when present, else
 * the classes of the samples).
 * @throws InputError naming `export` for a folder without samples or with unreadable lines
 */
export async function readExportFolder(dir: string, field = 'export'): Promise<{ name: string; classes: string[]; lines: ExportLine[]; spec: Pick<Spec, 'factors'> | null }> {
  let text: string;
  try {
    text = await readFile(join(dir, 'metadata.jsonl'), 'utf8');
  } catch (err) {
    throw inputError(field, 'an export folder with a metadata.jsonl (synth export --format imagefolder)', dir, (err as NodeJS.ErrnoException).code);
  }
  const lines: ExportLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let r: Partial<ExportLine>;
    try {
      r = JSON.parse(line) as Partial<ExportLine>;
    } catch {
      throw inputError(`${field}: metadata.jsonl line ${i + 1}`, 'a JSON record', line.slice(0, 60));
    }
    if (typeof r.id !== 'string' || typeof r.file !== 'string' || typeof r.class !== 'string' || typeof r.index !== 'number' || typeof r.factors !== 'object' || r.factors === null) {
      throw inputError(`${field}: metadata.jsonl line ${i + 1}`, 'a sample record with id, index, file, class and factors', line.slice(0, 60));
    }
    if (r.file.split(/[\\/]/).includes('..')) throw inputError(`${field}: metadata.jsonl line ${i + 1}: file`, 'a path inside the folder', r.file);
    lines.push(r as ExportLine);
  });
  if (lines.length === 0) throw inputError(field, 'an export folder with at least one sample', dir, 'metadata.jsonl lists none');
  lines.sort((a, b) => a.index - b.index);
  let name = basename(resolve(dir));
  let classes: string[] | null = null;
  let spec: Pick<Spec, 'factors'> | null = null;
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { name?: unknown; classes?: unknown; spec?: { factors?: unknown; classes?: unknown } };
    if (typeof manifest.name === 'string') name = manifest.name;
    if (manifest.spec && typeof manifest.spec.factors === 'object' && manifest.spec.factors !== null) spec = { factors: manifest.spec.factors as Spec['factors'] };
    if (Array.isArray(manifest.classes) && manifest.classes.every((c) => typeof c === 'string')) classes = manifest.classes as string[];
    // the spec's order, as an evaluation of the spec itself lists them
    const specClasses = (manifest.spec as { classes?: unknown } | undefined)?.classes;
    if (Array.isArray(specClasses) && specClasses.every((c) => typeof c === 'string')) classes = specClassesOf({ ...(manifest.spec as Spec), classes: specClasses as string[] });
  } catch {
    // no manifest: the classes are those of the samples
  }
  const present = [...new Set(lines.map((l) => l.class))];
  return { name, classes: classes ? classes.filter((c) => present.includes(c)) : present.sort(), lines, spec };
}

/**
 * Refuse an output path that holds files (unless `overwrite`) or is a file.
 * @throws OutputError naming the path
 */
export async function checkOutput(out: string, overwrite = false): Promise<void> {
  const info = await stat(out).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) throw new OutputError(`${out} exists and is not a folder`);
  if (!overwrite && (await readdir(out)).length > 0) throw new OutputError(`${out} is not empty: pass --overwrite (or choose another folder)`);
}

/** A staging folder beside `out`: `.<name>.<hex>.tmp`, the temp-name pattern of core/fs.ts. */
function stagingPathFor(out: string): string {
  return join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Remove staging folders a killed run left beside `out`. */
async function removeStaleStaging(out: string): Promise<void> {
  const prefix = `.${basename(out)}.`;
  for (const name of await readdir(dirname(out)).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && /\.[0-9a-f]{8}\.tmp$/.test(name)) await rm(join(dirname(out), name), { recursive: true, force: true });
  }
}

/** An image file as RGBA8: PNG, JPEG or WebP through sharp, a uint8 [H, W, 3] .npy (spec format raw) directly. */
async function readImageRgba(path: string): Promise<{ rgba: Uint8Array; info: { width: number; height: number } }> {
  if (path.endsWith('.npy')) {
    const npy = decodeNpy(await readFile(path));
    if (npy.dtype !== 'uint8' || npy.shape.length !== 3 || npy.shape[2] !== 3) throw new Error(`expected a uint8 [H, W, 3] array, got ${npy.dtype} [${npy.shape.join(', ')}]`);
    const [height, width] = npy.shape;
    const rgba = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      rgba[p * 4] = npy.data[p * 3]; rgba[p * 4 + 1] = npy.data[p * 3 + 1]; rgba[p * 4 + 2] = npy.data[p * 3 + 2]; rgba[p * 4 + 3] = 255;
    }
    return { rgba, info: { width, height } };
  }
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info };
}

/** The classifier's pixels for a frame: RGB at the model's input size. */
function toModelPixels(classifier: Classifier, rgba: Uint8Array, width: number, height: number): Uint8Array {
  const { width: w, height: h } = classifier.manifest.image;
  return resizeToRgb(rgba, width, height, w, h);
}

/** Score items' pixels in one classifier run. */
async function scoreBatch(classifier: Classifier, mapping: ClassMapping, pixels: readonly Uint8Array[], classes: readonly string[], topK: number): Promise<ScoredPrediction[]> {
  const plane = pixels[0]?.length ?? 0;
  const all = new Uint8Array(plane * pixels.length);
  pixels.forEach((p, i) => all.set(p, i * plane));
  const out = await classifier.classify(all, pixels.length);
  const modelClasses = classifier.manifest.classes;
  return classes.map((c, row) => {
    const s = scoreLogits(out.logits, row, modelClasses, mapping, c, topK);
    return {
      top1: s.top1, predicted: s.predicted, correct: s.correct, confidence: round6(s.confidence), loss: round6(s.loss), entropy: round6(s.entropy),
      top: s.top.map((e) => ({ ...e, p: round6(e.p) })),
    };
  });
}

/** The factors of a sample as the tables see them: without its class. */
function tableFactors(factors: Record<string, FactorValue>): Record<string, FactorValue> {
  const { class: _class, ...rest } = factors;
  return rest;
}

/**
 * Evaluate a classifier on a spec's samples or an export folder's, and write the report to `out`.
 * @throws InputError for a class mapping that does not fit (naming `mapField`), an export folder
 * without samples; OutputError for an output folder that holds files (without overwrite). Nothing is
 * written when either is thrown; a stopped run (signal) leaves nothing at `out` either.
 */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateResult> {
  const { classifier, input, signal } = opts;
  const batch = opts.batch ?? EVALUATE_DEFAULTS.batch;
  const topK = opts.topK ?? EVALUATE_DEFAULTS.topK;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch: expected a positive integer, got ${batch}`);
  const out = resolve(opts.out);
  const modelClasses = classifier.manifest.classes;

  // Everything is checked before the first write.
  let classes: string[];
  let count: number;
  let source: Record<string, unknown>;
  let axes: AxisOptions = {};
  let exported: Awaited<ReturnType<typeof readExportFolder>> | null = null;
  if (input.kind === 'spec') {
    const { spec } = input.plan;
    classes = specClassesOf(spec);
    count = input.plan.count;
    source = { kind: 'spec', name: spec.name, mode: spec.mode, seed: spec.seed, count, resolution: spec.resolution };
    axes = tableAxesOf(spec);
  } else {
    exported = await readExportFolder(input.dir);
    classes = exported.classes;
    count = exported.lines.length;
    source = { kind: 'export', name: exported.name, count };
    if (exported.spec) axes = tableAxesOf(exported.spec);
  }
  if (count < 1) throw inputError(input.kind === 'spec' ? 'count' : 'export', 'at least one sample', count);
  const mapping = resolveClassMapping(classes, modelClasses, opts.map, opts.mapField ?? 'map');
  await checkOutput(out, opts.overwrite);

  const started = Date.now();
  const total = count + (opts.search ? opts.searchBudget ?? 0 : 0);
  const report = (done: number) => opts.onProgress?.(progressOf(done, total, (Date.now() - started) / 1000));
  await mkdir(dirname(out), { recursive: true });
  await removeStaleStaging(out);
  const stage = stagingPathFor(out);
  await mkdir(stage, { recursive: true });
  let predictions: FileHandle | null = null;
  try {
    // Samples, in index order, with their model-size pixels.
    const items: AsyncIterable<Item> = input.kind === 'spec'
      ? (async function* () {
        const { plan, renderer } = input;
        const depth = Math.max(2, samplesInFlight(renderer));
        const indices = { *[Symbol.iterator]() { for (let i = 0; i < plan.count; i++) yield i; } };
        yield* inOrder(indices, depth, async (i): Promise<Item> => {
          const s = await renderSample(renderer, plan, i);
          const { rgba, width, height } = s.frame;
          const trueClass = s.desc.objects[0].class;
          const item: Item = { id: s.desc.id, index: i, trueClass, factors: tableFactors(s.desc.factors), rgb: toModelPixels(classifier, rgba, width, height) };
          if (opts.saveImages) item.image = { path: `images/${trueClass}/${s.desc.id}.png`, bytes: await encodeImage(rgba, width, height, 'png') };
          return item;
        }, signal);
      })()
      : (async function* () {
        const dir = input.dir;
        yield* inOrder(exported!.lines, 4, async (line): Promise<Item> => {
          let decoded: { rgba: Uint8Array; info: { width: number; height: number } };
          try {
            decoded = await readImageRgba(join(dir, line.file));
          } catch (err) {
            throw inputError(`export: ${line.file}`, 'a readable image (PNG, JPEG, WebP, or uint8 [H, W, 3] .npy)', line.file, (err as Error).message.split('\n')[0]);
          }
          const { rgba } = decoded;
          const item: Item = { id: line.id, index: line.index, trueClass: line.class, factors: tableFactors(line.factors), rgb: toModelPixels(classifier, rgba, decoded.info.width, decoded.info.height) };
          if (opts.saveImages) item.image = { path: `images/${line.class}/${line.id}.png`, bytes: await encodeImage(rgba, decoded.info.width, decoded.info.height, 'png') };
          return item;
        }, signal);
      })();

    // predictions.jsonl is written batch by batch into the staging folder (a million lines need not sit in memory)
    const file = await open(join(stage, 'predictions.jsonl'), 'w');
    predictions = file;
    let written = 0;
    const scored: ScoredSample[] = [];
    // One classifier run in flight while the next batch renders.
    let inFlight: Promise<void> = Promise.resolve();
    const runBatch = async (group: Item[]) => {
      const preds = await scoreBatch(classifier, mapping, group.map((g) => g.rgb), group.map((g) => g.trueClass), topK);
      let text = '';
      group.forEach((g, k) => {
        const p = preds[k];
        const { top1, ...fields } = p;
        const line: PredictionLine = { id: g.id, index: g.index, class: g.trueClass, factors: g.factors, ...fields, ...(g.image ? { image: g.image.path } : {}) };
        text += `${JSON.stringify(line)}\n`;
        scored.push({ index: g.index, trueClass: g.trueClass, factors: g.factors, top1, confidence: p.confidence, correct: p.correct, loss: p.loss });
      });
      await file.write(text);
      written += group.length;
      report(written);
    };
    let group: Item[] = [];
    for await (const item of items) {
      // a sample whose class the spec's classes did not list (a multi-object scene's first object is one of them)
      if (!mapping.outputs[item.trueClass]) throw inputError(opts.mapField ?? 'map', `a model class for every sample's class (${item.trueClass} of ${item.id} is not mapped)`, Object.keys(mapping.outputs));
      if (item.image) await writeFileAtomic(join(stage, item.image.path), item.image.bytes);
      group.push(item);
      if (group.length === batch) {
        await inFlight;
        inFlight = runBatch(group);
        inFlight.catch(() => undefined);
        group = [];
      }
    }
    await inFlight;
    if (group.length > 0) await runBatch(group);
    await file.close();
    predictions = null;
    signal?.throwIfAborted();

    let search: SearchSummary | null = null;
    if (opts.search) {
      const r = await opts.search({
        classifier, mapping, signal,
        score: (frames) => scoreBatch(classifier, mapping, frames.map((f) => toModelPixels(classifier, f.rgba, f.width, f.height)), frames.map((f) => f.trueClass), topK),
        progress: (done) => report(count + done),
      });
      signal?.throwIfAborted();
      search = r.summary;
      for (const [path, bytes] of Object.entries(r.files)) await writeFileAtomic(join(stage, path), bytes);
    }

    const agg = aggregate(scored, classes, { ...axes, order: FACTOR_NAMES, worst: opts.worst ?? EVALUATE_DEFAULTS.worst, minCellCount: opts.minCellCount ?? EVALUATE_DEFAULTS.minCellCount });
    const { width, height } = classifier.manifest.image;
    const result: Report = {
      format: REPORT_FORMAT,
      model: { name: classifier.manifest.name, classes: [...modelClasses], image: [width, height], sha256: opts.modelSha256 ?? null },
      source, mapping: mappingView(mapping, modelClasses), count: written,
      overall: agg.overall, perClass: agg.perClass, factors: agg.factors, classFactors: agg.classFactors, pairs: agg.pairs,
      consistency: agg.consistency, worst: agg.worst, plots: plotFiles(agg), search,
    };

    await writeFileAtomic(join(stage, 'report.json'), `${JSON.stringify(result, null, 2)}\n`);
    for (const [name, text] of Object.entries(csvTables(result))) await writeFileAtomic(join(stage, 'tables', name), text);
    const title = (what: string) => `${classifier.manifest.name}: ${what}`;
    for (const f of agg.factors) {
      await writeFileAtomic(join(stage, result.plots.factors[f.factor]), await svgToPng(accuracyPlotSvg(f.factor, f.cells, agg.overall.accuracy, title(`accuracy vs ${f.factor}`))));
    }
    for (const [k, p] of agg.pairs.entries()) {
      const a = agg.axes.find((x) => x.factor === p.a)!;
      const b = agg.axes.find((x) => x.factor === p.b)!;
      await writeFileAtomic(join(stage, result.plots.pairs[k].file), await svgToPng(heatMapSvg(p.a, p.b, a.levels, b.levels, p.cells, title(`accuracy by ${p.a} × ${p.b}`))));
    }
    await writeFileAtomic(join(stage, 'report.md'), markdownReport(result));
    signal?.throwIfAborted();

    // Into place: the output folder is replaced whole.
    const existing = await stat(out).catch(() => null);
    if (existing) {
      if (opts.overwrite) await rm(out, { recursive: true, force: true });
      else await rmdir(out); // empty (checked above)
    }
    await rename(stage, out);
    const seconds = (Date.now() - started) / 1000;
    return { report: result, count: written, seconds, rate: seconds > 0 ? written / seconds : 0, out };
  } catch (err) {
    await predictions?.close().catch(() => undefined);
    await rm(stage, { recursive: true, force: true });
    throw err;
  }
}

/** sha256 of a file, hex. */
export async function fileSha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
