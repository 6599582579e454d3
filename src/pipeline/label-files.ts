/**
 * A sample's dense labels as files: instance and semantic masks, depth and normals, as PNG (8-bit grey,
 * 16-bit grey, RGB) or, with the raw image format, as .npy arrays of the same values and dtypes
 * (uint8 [H, W], uint16 [H, W], uint8 [H, W, 3]).
 */
import type { LabelSet } from '../labels/types.js';
import { depthToUint16, DEPTH_SCALE } from '../labels/depth.js';
import { encodePngSync } from './png.js';
import { encodeNpy } from './npy.js';
import type { ImageFormat } from './encode.js';
import type { FileRef, LabelFileKind, RecordLabels } from './records.js';

/** One encoded label map. */
export interface LabelFile {
  kind: LabelFileKind;
  bytes: Buffer;
}

/** The pixel maps of a LabelSet (what is encoded as files), without its objects and camera. */
export type LabelMaps = Omit<LabelSet, 'objects' | 'camera'>;

/** The file type label maps take beside images of `format`: npy beside raw images, else png. */
export function labelExtension(format: ImageFormat): 'png' | 'npy' {
  return format === 'raw' ? 'npy' : 'png';
}

/** File name of a label map of sample `id`: `<id>.seg.png` (or `.npy` beside raw images) and so on. */
export function labelFileName(id: string, kind: LabelFileKind, format: ImageFormat = 'png'): string {
  return `${id}.${kind}.${labelExtension(format)}`;
}

/** The label maps of a LabelSet, in LABEL_FILE_KINDS order, as typed arrays with their shapes. */
function labelMaps(labels: LabelMaps): { kind: LabelFileKind; pixels: Uint8Array | Uint16Array; channels: 1 | 3 }[] {
  const out: { kind: LabelFileKind; pixels: Uint8Array | Uint16Array; channels: 1 | 3 }[] = [];
  if (labels.instanceMask) out.push({ kind: 'seg', pixels: labels.instanceMask, channels: 1 });
  if (labels.semanticMask) out.push({ kind: 'sem', pixels: labels.semanticMask, channels: 1 });
  if (labels.depth) out.push({ kind: 'depth', pixels: depthToUint16(labels.depth, DEPTH_SCALE), channels: 1 });
  if (labels.normals) out.push({ kind: 'normals', pixels: labels.normals, channels: 3 });
  return out;
}

/**
 * Encode the pixel maps a LabelSet holds, in LABEL_FILE_KINDS order: `seg` (instance ids), `sem` (class
 * index + 1), `depth` (DEPTH_SCALE scene units per count, 0 = none), `normals` (RGB8). As PNG (grey8,
 * grey8, grey16, rgb8), or as .npy beside raw images (`format` 'raw'): uint8, uint8, uint16, uint8 x 3.
 * @throws RangeError when a map does not match the label set's width x height.
 */
export function encodeLabelFiles(labels: LabelMaps, format: ImageFormat = 'png'): LabelFile[] {
  const { width: w, height: h } = labels;
  return labelMaps(labels).map(({ kind, pixels, channels }) => {
    if (format === 'raw') {
      const shape = channels === 1 ? [h, w] : [h, w, channels];
      return { kind, bytes: encodeNpy(pixels instanceof Uint16Array ? 'uint16' : 'uint8', shape, pixels) };
    }
    const png = pixels instanceof Uint16Array ? 'grey16' : channels === 3 ? 'rgb8' : 'grey8';
    return { kind, bytes: encodePngSync(png, pixels, w, h) };
  });
}

/** The metadata form of a LabelSet, given the files its maps were written to. */
export function recordLabels(labels: LabelSet, files: Partial<Record<LabelFileKind, FileRef>>): RecordLabels {
  return {
    objects: labels.objects, camera: labels.camera,
    ...(labels.depth ? { depth_scale: DEPTH_SCALE } : {}),
    files,
  };
}
