/**
 * Rendered samples as the API hands them out: encoded with export's encoders and records (so a
 * streamed or tarred sample has the same members and metadata as one in a dataset's WebDataset
 * shard), as JSON with base64 images, as WebDataset tar fragments, and rendered in order through a
 * bounded pipeline (the next image renders while the previous ones encode).
 */
import type { SceneRenderer } from '../render/renderer.js';
import { inOrder } from '../core/ordered.js';
import { renderSample, type RenderedSample } from '../render/render-sample.js';
import type { SamplingPlan } from '../spec/sample.js';
import type { Spec } from '../spec/schema.js';
import { IMAGE_EXTENSIONS, type ImageFormat } from '../export/encode.js';
import { SampleWriter } from '../export/sample-writer.js';
import { makeRecord, type FileRef, type LabelFileKind, type SampleRecord } from '../export/records.js';
import { encodeLabelFiles, labelFileName, recordLabels, type LabelFile } from '../export/label-files.js';
import { digestOf } from '../export/manifest.js';
import { sampleTarFragment } from '../export/webdataset.js';

/** MIME type of each image format. */
export const IMAGE_MIME: Readonly<Record<ImageFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** A rendered sample with its image and label maps encoded. */
export interface EncodedSample {
  rendered: RenderedSample;
  record: SampleRecord;
  image: Buffer;
  format: ImageFormat;
  labelFiles: LabelFile[];
}

let sharedWriter: SampleWriter | null = null;
/**
 * The process's image encoding thread, started on first use (and again if it ever died), so encoding
 * stays off the main thread, which serves HTTP and, with one renderer, renders (see sample-writer.ts).
 */
function encoder(): SampleWriter {
  if (!sharedWriter?.alive) sharedWriter = new SampleWriter();
  return sharedWriter;
}

/** Encode a rendered sample's image as `format` and its label maps as PNG, and build its record. */
export async function encodeSample(rendered: RenderedSample, spec: Spec, format: ImageFormat = spec.format): Promise<EncodedSample> {
  const { desc, frame } = rendered;
  const [encoded, labelFiles] = await Promise.all([
    encoder().image(frame.rgba, frame.width, frame.height, format, spec.quality, null, false),
    frame.labels ? encodeLabelFiles(frame.labels) : Promise.resolve([] as LabelFile[]),
  ]);
  const image = encoded.bytes;
  const refs: Partial<Record<LabelFileKind, FileRef>> = {};
  for (const f of labelFiles) refs[f.kind] = { file: labelFileName(desc.id, f.kind), ...digestOf(f.bytes) };
  const file = `${desc.id}.${IMAGE_EXTENSIONS[format]}`;
  const record = makeRecord(desc, file, encoded.sha256, image.length, frame.labels ? recordLabels(frame.labels, refs) : undefined);
  return { rendered, record, image, format, labelFiles };
}

/** The JSON form of a sample (see SampleSchema): metadata, caption, relations, labels, base64 image. */
export function sampleJson(s: EncodedSample): Record<string, unknown> {
  const { record: r, rendered } = s;
  const out: Record<string, unknown> = {
    id: r.id, index: r.index, seed: r.seed, class: r.class, label: r.label, factors: r.factors,
    objects: r.objects, camera: r.camera, light: r.light, environment: rendered.desc.environment,
    caption: rendered.caption, relations: rendered.relations, sha256: r.sha256,
  };
  if (r.labels) {
    const maps: Record<string, string> = {};
    for (const f of s.labelFiles) maps[f.kind] = f.bytes.toString('base64');
    out.labels = { objects: r.labels.objects, camera: r.labels.camera, ...(r.labels.depth_scale !== undefined ? { depth_scale: r.labels.depth_scale } : {}), maps };
  }
  out.image = s.image.toString('base64');
  out.mime = IMAGE_MIME[s.format];
  return out;
}

/** The WebDataset members of a sample (`<key>.png`, `.json`, `.cls`, label maps) as tar bytes, no end marker. */
export function sampleTar(s: EncodedSample): Buffer {
  return sampleTarFragment({ ...s.record, caption: s.rendered.caption } as SampleRecord, s.image, s.labelFiles);
}

/** A short, header-safe (ASCII) summary of a sample for image answers. */
export function sampleHeader(s: EncodedSample): string {
  const r = s.record;
  const json = JSON.stringify({ id: r.id, index: r.index, seed: r.seed, class: r.class, label: r.label, factors: r.factors, caption: s.rendered.caption, sha256: r.sha256 });
  return json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What renderInOrder needs. */
export interface RenderJob {
  renderer: SceneRenderer;
  plan: SamplingPlan;
  spec: Spec;
  /** Image format of the encoded samples (default: the spec's). */
  format?: ImageFormat;
  /** Stop starting new renders once this fires. */
  signal?: AbortSignal;
  /** Samples rendering or encoding at once (default 6, like exportDataset). */
  depth?: number;
}

/** Samples in flight by default: enough to keep the renderer busy while sharp encodes. */
export const PIPELINE_DEPTH = 6;

/**
 * Render and encode the samples `indices` (any iterable), yielding them in order. Renders are
 * queued on the renderer back to back while earlier samples encode; stops starting new ones when
 * `signal` fires (what is already in flight is awaited and dropped).
 */
export function renderInOrder(job: RenderJob, indices: Iterable<number>): AsyncGenerator<EncodedSample> {
  const work = (index: number) => renderSample(job.renderer, job.plan, index, job.spec.labels, job.spec.minVisiblePixels)
    .then((rendered) => encodeSample(rendered, job.spec, job.format));
  return inOrder(indices, job.depth ?? PIPELINE_DEPTH, work, job.signal);
}

/** Indices [start, end) as a lazy iterable (a stream can be long). */
export function* indexRange(start: number, end: number): Generator<number> {
  for (let i = start; i < end; i++) yield i;
}
