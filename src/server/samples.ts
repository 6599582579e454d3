/**
 * Rendered samples as the API hands them out: rendered and encoded through the one pipeline
 * (pipeline/pipeline.ts, the process's shared writer threads), so a streamed or tarred sample has the
 * same members and metadata as one in a dataset's WebDataset shard; as JSON with base64 images, as
 * WebDataset tar fragments, or as an image with a summary header.
 */
import type { SceneRenderer } from '../render/renderer.js';
import type { SamplingPlan } from '../spec/sample.js';
import type { Spec } from '../spec/schema.js';
import type { ImageFormat } from '../pipeline/encode.js';
import type { SampleRecord } from '../pipeline/records.js';
import { sampleTarFragment } from '../pipeline/members.js';
import { encodeInOrder, type EncodedSample } from '../pipeline/pipeline.js';

export { indexRange, type EncodedSample } from '../pipeline/pipeline.js';

/** MIME type of each image format (raw: a NumPy .npy array). */
export const IMAGE_MIME: Readonly<Record<ImageFormat, string>> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp', raw: 'application/x-npy' };

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
}

/**
 * Render and encode the samples `indices` (any iterable), yielding them in order (encodeInOrder on the
 * shared writer threads); stops starting new ones when `signal` fires (what is already in flight is
 * awaited and dropped).
 */
export async function* renderInOrder(job: RenderJob, indices: Iterable<number>): AsyncGenerator<EncodedSample> {
  for await (const { sample } of encodeInOrder(indices, job)) yield sample;
}
