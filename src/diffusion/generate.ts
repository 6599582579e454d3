/**
 * `synth generate`: sample a class-conditional model into the ImageFolder layout the exporter writes
 * (`images/<class>/<id>.png`, `metadata.jsonl`, `manifest.json`), so trainers read generated and
 * rendered data the same way. A small writer of its own (exportDataset is built around rendered scene
 * descriptions and specs); it reuses the PNG encoder of pipeline/png.ts and the atomic writes of core/fs.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputError, inputError, unknownName } from '../core/errors.js';
import { exists, isNonEmptyDir, writeFileAtomic } from '../core/fs.js';
import { progressOf, type Progress } from '../core/progress.js';
import { SYNTH_VERSION } from '../core/version.js';
import { encodePng } from '../pipeline/png.js';
import { sha256 } from '../pipeline/digest.js';
import type { Sampler, SampleSettings, SamplerGuidance } from './sampler.js';
import type { GuidanceSettings } from './guidance.js';
import { toPixels } from './sampler.js';
import { CLASSES_FILE, classLabels, classesByLabel, classesText } from '../spec/schema.js';

/** Manifest format of a generated dataset. */
export const GENERATED_FORMAT = 'synth.generated/1';

/** Defaults of a generation request that the CLI and the HTTP API share (the sampler's are SAMPLE_DEFAULTS). */
export const GENERATE_DEFAULTS = {
  /** Images per class. */
  count: 8,
} as const;

/** Options of generateDataset. */
export interface GenerateOptions {
  sampler: Sampler;
  /** Class names (from the model's classes), in output order. */
  classes: readonly string[];
  /** Images per class. */
  count: number;
  settings: SampleSettings;
  out: string;
  /** Samples per sampler batch (a guided batch runs the model on twice as many). */
  batch?: number;
  overwrite?: boolean;
  /** Model name or path, recorded in labels. */
  modelRef?: string;
  /** Classifier-feedback guidance; each record then carries the settings and the criterion value of its image. */
  guidance?: SamplerGuidance & { classifierRef: string };
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** One metadata.jsonl line. */
export interface GeneratedRecord {
  id: string;
  index: number;
  file: string;
  label: number;
  class: string;
  seed: number;
  /** The noise stream: rngFor(seed, noiseIndex, 'noise'); the k-th image of every class uses k. */
  noiseIndex: number;
  sampler: { model: string; scheduler: string; steps: number; cfg: number; eta: number; timestepSpacing: string | null };
  /** The guidance that made it, or null. */
  guidance: GuidanceLabel | null;
  /** The guidance classifier's criterion on the final image (un-oriented: margin as is), or null without guidance. */
  criterion: number | null;
  sha256: string;
  bytes: number;
}

/** Guidance settings as recorded in labels. */
export interface GuidanceLabel extends GuidanceSettings {
  classifier: string;
}

/** The label of a guidance run. */
export function guidanceLabel(g: SamplerGuidance & { classifierRef: string }): GuidanceLabel {
  return { ...g.settings, classifier: g.classifierRef };
}

/** What generateDataset did. */
export interface GenerateResult {
  out: string;
  count: number;
  seconds: number;
  counts: Record<string, number>;
}

/**
 * Class names to model class indices.
 * @throws InputError naming an unknown class and listing the model's classes
 */
export function classIndices(requested: readonly string[], modelClasses: readonly string[], path = 'classes'): number[] {
  if (requested.length === 0) throw inputError(path, `one or more class names (of: ${modelClasses.join(', ')})`, '');
  return requested.map((name) => {
    const i = modelClasses.indexOf(name);
    if (i < 0) throw unknownName(path, 'class of this model', name, modelClasses);
    return i;
  });
}

async function prepareOut(out: string, overwrite: boolean): Promise<void> {
  if (await isNonEmptyDir(out)) {
    if (!overwrite) throw new OutputError(`${out} is not empty: pass --overwrite to replace a generated dataset there`);
    if (!await exists(join(out, 'manifest.json')) && !await exists(join(out, 'metadata.jsonl'))) {
      throw new OutputError(`${out} does not hold a synth dataset (no manifest.json or metadata.jsonl); refusing to delete it`);
    }
    for (const entry of await readdir(out)) await rm(join(out, entry), { recursive: true, force: true });
  }
  await mkdir(out, { recursive: true });
}

/**
 * Generate `count` images of each class into `out`.
 * @throws InputError for unknown classes or bad settings, OutputError for a non-empty `out`
 */
export async function generateDataset(options: GenerateOptions): Promise<GenerateResult> {
  const { sampler, count, settings, out } = options;
  const manifest = sampler.manifest;
  const batch = options.batch ?? 16;
  if (!Number.isInteger(count) || count < 1) throw inputError('count', 'an integer >= 1 (images per class)', count);
  if (!Number.isInteger(batch) || batch < 1) throw inputError('batch', 'an integer >= 1', batch);
  const ids = classIndices(options.classes, manifest.classes);
  await prepareOut(out, Boolean(options.overwrite));
  const jobs = ids.flatMap((classId) => Array.from({ length: count }, (_, k) => ({ classId, noiseIndex: k })));
  const total = jobs.length;
  const width = Math.max(8, String(total - 1).length);
  const records: GeneratedRecord[] = [];
  const counts: Record<string, number> = {};
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  const modelRef = options.modelRef ?? manifest.name;
  const kind = manifest.image.channels === 1 ? 'grey8' : 'rgb8';
  try {
    await generateInto();
  } catch (err) {
    // out was empty (or emptied by --overwrite): leave no partial dataset behind
    for (const entry of await readdir(out).catch(() => [])) await rm(join(out, entry), { recursive: true, force: true });
    if (options.signal?.aborted) {
      throw Object.assign(new Error(`generation into ${out} cancelled after ${records.length} of ${total} images; nothing was kept (the same command makes the same images)`), { name: 'AbortError' });
    }
    throw err;
  }
  return { out, count: total, seconds: elapsed(), counts };

  /** The generation proper: every batch, then metadata.jsonl and manifest.json. */
  async function generateInto(): Promise<void> {
    for (let first = 0; first < total; first += batch) {
      options.signal?.throwIfAborted();
      const chunk = jobs.slice(first, first + batch);
      const steps = settings.steps;
      const x = await sampler.sampleBatch(chunk, settings, (step) => {
        options.onProgress?.(progressOf(Math.round((first + (chunk.length * step) / steps) * 10) / 10, total, elapsed()));
      }, options.guidance);
      const guidance = options.guidance;
      const criterion = guidance ? (await guidance.guide.evaluate(x, chunk.map((c) => c.classId), guidance.settings.criterion)).values : null;
      for (let i = 0; i < chunk.length; i++) {
        const index = first + i;
        const name = manifest.classes[chunk[i].classId];
        const id = String(index).padStart(width, '0');
        const png = await encodePng(kind, toPixels(x, i, manifest.image), manifest.image.width, manifest.image.height);
        const file = `images/${name}/${id}.png`;
        await writeFileAtomic(join(out, file), png);
        counts[name] = (counts[name] ?? 0) + 1;
        records.push({
          id, index, file, label: classLabels(options.classes).get(name) ?? -1, class: name, seed: settings.seed, noiseIndex: chunk[i].noiseIndex,
          sampler: { model: modelRef, scheduler: settings.scheduler, steps, cfg: settings.cfg, eta: settings.eta, timestepSpacing: settings.timestepSpacing ?? null },
          guidance: guidance ? guidanceLabel(guidance) : null,
          criterion: criterion ? Number(criterion[i].toFixed(6)) : null,
          sha256: sha256(png), bytes: png.length,
        });
      }
      options.onProgress?.(progressOf(first + chunk.length, total, elapsed()));
    }
    await writeFileAtomic(join(out, 'metadata.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await writeFileAtomic(join(out, CLASSES_FILE), classesText(options.classes)); // labels as in exports: ImageFolder's order
    await writeFileAtomic(join(out, 'manifest.json'), JSON.stringify({
      format: GENERATED_FORMAT,
      name: `${manifest.name}-generated`,
      count: total,
      classes: classesByLabel(options.classes),
      counts,
      model: { name: manifest.name, ref: modelRef, predictionType: manifest.predictionType, schedule: manifest.schedule, training: manifest.training ?? null },
      settings: { ...settings, perClass: count, batch },
      guidance: options.guidance ? guidanceLabel(options.guidance) : null,
      image: manifest.image,
      versions: { synth: SYNTH_VERSION, node: process.versions.node },
      images: { count: total, bytes: records.reduce((s, r) => s + r.bytes, 0) },
    }, null, 2) + '\n');
  }
}
