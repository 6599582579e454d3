/**
 * The render → encode → record pipeline every output runs through: `synth export`, the HTTP render and
 * stream routes, dataset jobs and session batches. Samples render ahead on the renderer (a pool's
 * threads or one renderer), are encoded (and, for a dataset, written) on the writer threads, get their
 * metadata record, and come out in index order, a bounded number in flight.
 */
import { join } from 'node:path';
import { inOrder } from '../core/ordered.js';
import type { SceneRenderer } from '../render/renderer.js';
import { renderSample, type RenderedSample } from '../render/render-sample.js';
import { samplesInFlight } from '../render/pool.js';
import type { SamplingPlan, SceneDescription } from '../spec/sample.js';
import type { Spec } from '../spec/schema.js';
import { IMAGE_EXTENSIONS, type ImageFormat } from './encode.js';
import { labelFileName, recordLabels, type LabelFile } from './label-files.js';
import { LABEL_FILE_KINDS, makeRecord, type FileRef, type LabelFileKind, type SampleRecord } from './records.js';
import { sharedWriterPool, type WriterPool } from './writer-pool.js';

/** A rendered sample with its image and label maps encoded and its metadata record built. */
export interface EncodedSample {
  rendered: RenderedSample;
  /** Its record: file names as written (SampleLayout), or the WebDataset member names when not written. */
  record: SampleRecord;
  image: Buffer;
  format: ImageFormat;
  labelFiles: LabelFile[];
}

/**
 * Where a dataset writes a sample's files: paths relative to `root`, which its record names. Without a
 * layout a sample is only encoded, and its record names its WebDataset members (`<id>.png`, ...).
 */
export interface SampleLayout {
  root: string;
  /** The image's relative path, given its member name (`<id>.<ext>`). */
  image(desc: SceneDescription, name: string): string;
  /** A label map's relative path, given its member name (`<id>.<kind>.<ext>`). */
  label(desc: SceneDescription, name: string): string;
}

/** What encodeRendered needs. */
export interface EncodeOptions {
  /** The spec (its format and quality). */
  spec: Spec;
  /** Image format (default: the spec's). */
  format?: ImageFormat;
  writers: WriterPool;
  layout?: SampleLayout | null;
}

/**
 * Encode a rendered sample's image and label maps on the writer threads (writing them when a layout
 * is given) and build its record (factors, labels, caption, relations). The frame's pixel buffers
 * move to the writer thread: the frame is not usable afterwards.
 */
export async function encodeRendered(rendered: RenderedSample, opts: EncodeOptions): Promise<EncodedSample> {
  const { desc, frame } = rendered;
  const format = opts.format ?? opts.spec.format;
  const layout = opts.layout ?? null;
  const name = `${desc.id}.${IMAGE_EXTENSIONS[format]}`;
  const file = layout ? layout.image(desc, name) : name;
  const labelNames: Partial<Record<LabelFileKind, string>> = {};
  for (const kind of LABEL_FILE_KINDS) {
    const member = labelFileName(desc.id, kind, format);
    labelNames[kind] = layout ? layout.label(desc, member) : member;
  }
  const labels = frame.labels;
  const absolute = (rel: string) => join(layout!.root, rel);
  const encoded = await opts.writers.encodeSample({
    rgba: frame.rgba, width: frame.width, height: frame.height, format, quality: opts.spec.quality,
    labels: labels ? { width: labels.width, height: labels.height, instanceMask: labels.instanceMask, semanticMask: labels.semanticMask, depth: labels.depth, normals: labels.normals } : null,
    imagePath: layout ? absolute(file) : null,
    labelPaths: layout ? Object.fromEntries(Object.entries(labelNames).map(([k, rel]) => [k, absolute(rel)])) : null,
  });
  const refs: Partial<Record<LabelFileKind, FileRef>> = {};
  for (const f of encoded.labels) refs[f.kind] = { file: labelNames[f.kind]!, sha256: f.sha256, bytes: f.bytes.length };
  const record = makeRecord(desc, file, encoded.image.sha256, encoded.image.bytes.length, labels ? recordLabels(labels, refs) : undefined, rendered);
  return { rendered, record, image: encoded.image.bytes, format, labelFiles: encoded.labels.map((f) => ({ kind: f.kind, bytes: f.bytes })) };
}

/** Samples in flight at the least: enough to keep one renderer busy while earlier samples encode. */
export const PIPELINE_MIN_DEPTH = 6;

/**
 * Samples a pipeline keeps in flight: what the renderer needs to stay busy (samplesInFlight) plus two
 * per writer thread, at least PIPELINE_MIN_DEPTH.
 */
export function pipelineDepth(renderer: Pick<SceneRenderer, 'parallelism' | 'batch'>, writers: Pick<WriterPool, 'size'>): number {
  return Math.max(PIPELINE_MIN_DEPTH, samplesInFlight(renderer) + 2 * writers.size);
}

/** A pipeline run: what to render, how to encode, and what to do with each sample before it counts as done. */
export interface PipelineJob<T> {
  renderer: SceneRenderer;
  plan: SamplingPlan;
  /** The spec: label passes, minimum visible pixels, format and quality. */
  spec: Spec;
  /** Image format (default: the spec's). */
  format?: ImageFormat;
  /** Writer threads (default: the process's shared pool, sharedWriterPool). */
  writers?: WriterPool;
  /** Write each sample's files there (a dataset); default: only encode. */
  layout?: SampleLayout | null;
  /** Samples in flight (default pipelineDepth). */
  depth?: number;
  /** Stop starting new samples once this fires (those in flight finish and are dropped). */
  signal?: AbortSignal;
  /** The scene index of an item (default: the item, for number items). */
  sceneIndex?: (item: T) => number;
  /** A sample already rendered for an item (a pruned session batch's), rendered again otherwise. */
  prerendered?: (item: T) => RenderedSample | undefined;
  /** Work that needs a sample's pixels (COCO's masks), run before they move to the writer threads. */
  beforeEncode?: (rendered: RenderedSample, item: T) => void;
  /**
   * More work on each encoded sample, run as soon as it is encoded, in any order (writing its tar
   * fragment, journaling it): a sample whose `finish` began always completes it, also when the run
   * stops early.
   */
  finish?: (sample: EncodedSample, item: T) => Promise<void>;
}

/**
 * Render, encode and finish `items` (any iterable, read lazily), yielding them in order. A failure is
 * thrown when its turn comes, after which nothing new starts and what is in flight completes.
 */
export function encodeInOrder<T>(items: Iterable<T>, job: PipelineJob<T>): AsyncGenerator<{ item: T; sample: EncodedSample }> {
  const writers = job.writers ?? sharedWriterPool(job.renderer.parallelism ?? 1);
  const sceneIndex = job.sceneIndex ?? ((item: T) => item as unknown as number);
  const opts: EncodeOptions = { spec: job.spec, format: job.format, writers, layout: job.layout };
  const work = async (item: T) => {
    const index = sceneIndex(item);
    const rendered = job.prerendered?.(item) ?? await renderSample(job.renderer, job.plan, index, job.spec.labels, job.spec.minVisiblePixels);
    job.beforeEncode?.(rendered, item);
    const sample = await encodeRendered(rendered, opts);
    await job.finish?.(sample, item);
    return { item, sample };
  };
  return inOrder(items, job.depth ?? pipelineDepth(job.renderer, writers), work, job.signal);
}

/** Indices [start, end) as a lazy iterable (a stream can be long). */
export function* indexRange(start: number, end: number): Generator<number> {
  for (let i = start; i < end; i++) yield i;
}
