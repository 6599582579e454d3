/**
 * A sample's files as the writer threads make them (a pure function of the request, so any thread,
 * and any number of them, gives the same bytes): the image encoded (PNG or raw .npy; JPEG and WebP
 * come encoded by sharp), the label maps encoded, each hashed, and written atomically where asked.
 */
import { dirname } from 'node:path';
import { writeFileAtomicSync } from '../core/fs.js';
import { encodeImageSync, type ImageFormat } from './encode.js';
import { encodeLabelFiles, type LabelMaps } from './label-files.js';
import type { LabelFileKind } from './records.js';
import { sha256 } from './digest.js';

/** What a writer thread encodes of one sample, and where it writes it. */
export interface SampleRequest {
  /** RGBA8 pixels to encode (png, raw), or null when `encoded` holds the image already (jpeg, webp). */
  rgba: Uint8Array | null;
  encoded: Uint8Array | null;
  width: number;
  height: number;
  format: ImageFormat;
  labels: LabelMaps | null;
  /** Absolute path of the image file, or null to only encode. */
  imagePath: string | null;
  /** Absolute paths of the label map files by kind (those the sample has are written), or null. */
  labelPaths: Partial<Record<LabelFileKind, string>> | null;
}

/** An encoded file and its sha256. */
export interface EncodedFile {
  bytes: Uint8Array;
  sha256: string;
}

/** Buffers that can move to the other thread without a copy (whole buffers only, each once). */
export function ownBuffers(arrays: readonly (ArrayBufferView | null | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a && a.byteOffset === 0 && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  }
  return [...out];
}

/**
 * writeFileAtomicSync, remembering the folders made in `dirs`; a folder removed since it was made (an
 * export that replaced an earlier one in the same folder) is made again.
 */
export function writeFileRemembering(path: string, data: Uint8Array | string, dirs?: Set<string>): void {
  try {
    writeFileAtomicSync(path, data, dirs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !dirs?.delete(dirname(path))) throw err;
    writeFileAtomicSync(path, data, dirs);
  }
}

/** Encode, hash and write one sample (the thread's work, also callable on any thread). */
export function encodeSampleFiles(req: SampleRequest, dirs?: Set<string>): { image: EncodedFile; labels: ({ kind: LabelFileKind } & EncodedFile)[] } {
  const image = req.encoded ?? encodeImageSync(req.rgba!, req.width, req.height, req.format);
  const labels = req.labels ? encodeLabelFiles(req.labels, req.format) : [];
  if (req.imagePath !== null) writeFileRemembering(req.imagePath, image, dirs);
  for (const f of labels) {
    const path = req.labelPaths?.[f.kind];
    if (path) writeFileRemembering(path, f.bytes, dirs);
  }
  return {
    image: { bytes: image, sha256: sha256(image) },
    labels: labels.map((f) => ({ kind: f.kind, bytes: f.bytes, sha256: sha256(f.bytes) })),
  };
}
