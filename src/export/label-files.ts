/** A sample's dense labels as files: instance and semantic masks, 16-bit depth and normals as PNG. */
import type { LabelSet } from '../labels/types.js';
import { depthToUint16, DEPTH_SCALE } from '../labels/depth.js';
import { encodePng } from './png.js';
import type { FileRef, LabelFileKind, RecordLabels } from './records.js';

/** One encoded label map. */
export interface LabelFile {
  kind: LabelFileKind;
  bytes: Buffer;
}

/** File name of a label map of sample `id`: `<id>.seg.png` and so on. */
export function labelFileName(id: string, kind: LabelFileKind): string {
  return `${id}.${kind}.png`;
}

/**
 * Encode the pixel maps a LabelSet holds, in LABEL_FILE_KINDS order: `seg` (instance ids, grey8),
 * `sem` (class index + 1, grey8), `depth` (grey16, DEPTH_SCALE units per count, 0 = none), `normals` (RGB8).
 * @throws RangeError when a map does not match the label set's width x height.
 */
export async function encodeLabelFiles(labels: LabelSet): Promise<LabelFile[]> {
  const { width: w, height: h } = labels;
  const jobs: [LabelFileKind, Promise<Buffer>][] = [];
  if (labels.instanceMask) jobs.push(['seg', encodePng('grey8', labels.instanceMask, w, h)]);
  if (labels.semanticMask) jobs.push(['sem', encodePng('grey8', labels.semanticMask, w, h)]);
  if (labels.depth) jobs.push(['depth', encodePng('grey16', depthToUint16(labels.depth, DEPTH_SCALE), w, h)]);
  if (labels.normals) jobs.push(['normals', encodePng('rgb8', labels.normals, w, h)]);
  return Promise.all(jobs.map(async ([kind, p]) => ({ kind, bytes: await p })));
}

/** The metadata form of a LabelSet, given the files its maps were written to. */
export function recordLabels(labels: LabelSet, files: Partial<Record<LabelFileKind, FileRef>>): RecordLabels {
  return {
    objects: labels.objects, camera: labels.camera,
    ...(labels.depth ? { depth_scale: DEPTH_SCALE } : {}),
    files,
  };
}
