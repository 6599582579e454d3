/**
 * manifest.json of a dataset, the writer formats, and hashing. The manifest lists the sha256 and
 * size of every file written except images and label maps, which metadata.jsonl lists (with their
 * sha256) and which `synth verify` checks through it. Hashing itself is pipeline/digest.ts (re-exported here).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inputError } from '../core/errors.js';
import type { LabelPass, Spec } from '../spec/schema.js';
import type { FileDigest } from '../pipeline/digest.js';

/** Writer formats `--format` takes (comma-separated, several at once). */
export const WRITER_FORMATS = ['imagefolder', 'coco', 'webdataset'] as const;
export type WriterFormat = (typeof WRITER_FORMATS)[number];

/** Name of the folder holding an unfinished export's journal. */
export const PROGRESS_DIR = '.synth-progress';
/** The manifest's file name. */
export const MANIFEST_FILE = 'manifest.json';
/** Format tag of the manifests written now. */
export const MANIFEST_FORMAT = 'synth.dataset/1';
/** Format tags verify and merge accept (the first ImageFolder-only exports wrote the second). */
export const MANIFEST_FORMATS: readonly string[] = [MANIFEST_FORMAT, 'synth.imagefolder/1'];

export { sha256, digestOf, type FileDigest } from '../pipeline/digest.js';

/** The index range a folder holds: process slice `index` of `count`, samples [start, end). */
export interface ShardInfo {
  index: number;
  count: number;
  start: number;
  end: number;
}

/** manifest.json of an exported dataset (or a process slice of one, or a merge of slices). */
export interface Manifest {
  format: string;
  name: string;
  spec: Spec;
  seed: number;
  /** Samples in the whole dataset. */
  total: number;
  /** Samples in this folder. */
  count: number;
  shard: ShardInfo;
  /** Writer formats, in WRITER_FORMATS order. */
  formats: WriterFormat[];
  /** Samples per tar shard (null without webdataset). */
  shardSize: number | null;
  /** The class names in label order (classesByLabel): classes[i] is label i in every format, as in classes.txt. */
  classes: string[];
  counts: Record<string, number>;
  versions: Record<string, string>;
  renderer: { backend: string; adapter: string };
  /** Every file written (relative path), except images and label maps, which metadata.jsonl lists. */
  files: Record<string, FileDigest>;
  images: { count: number; bytes: number };
  /** Label passes asked for, and how many samples came with labels from the renderer. */
  labels: { passes: LabelPass[]; samples: number };
  /** Slices a merged dataset was built from. */
  mergedFrom?: { dir: string; shard: ShardInfo }[];
}

/**
 * Which outputs a set of formats needs. Images and label maps are written as files (ImageFolder, with
 * metadata.jsonl and factors.csv) for `imagefolder`, and for `coco` unless `webdataset` holds them.
 */
export function layoutOf(formats: readonly WriterFormat[]): { files: boolean; coco: boolean; tar: boolean } {
  const tar = formats.includes('webdataset');
  const coco = formats.includes('coco');
  return { files: formats.includes('imagefolder') || (coco && !tar), coco, tar };
}

/**
 * Parse a `--format` value: comma-separated writer names, returned deduplicated in WRITER_FORMATS order.
 * @throws InputError naming the valid formats.
 */
export function parseFormats(value: string): WriterFormat[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(WRITER_FORMATS as readonly string[]).includes(n)) throw inputError('--format', `a comma-separated list of ${WRITER_FORMATS.join(', ')}`, n);
  }
  return WRITER_FORMATS.filter((f) => names.includes(f));
}


/** Digest of a file, streamed. */
export async function hashFile(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** What makes two exports the same work: resume refuses a folder whose identity differs. */
export function exportIdentity(spec: Spec, shard: ShardInfo, formats: readonly WriterFormat[], shardSize: number | null): string {
  return JSON.stringify({ spec, shard, formats, shardSize });
}

/** The identity of a finished export, from its manifest. */
export function manifestIdentity(m: Manifest): string {
  return exportIdentity(m.spec, m.shard, m.formats ?? ['imagefolder'], m.shardSize ?? null);
}

/** Read `dir`/manifest.json; null when there is none, InputError when it is not a synth manifest. */
export async function readManifest(dir: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    return null;
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (err) {
    throw inputError(join(dir, MANIFEST_FILE), 'a synth manifest (JSON)', text.slice(0, 40), (err as Error).message);
  }
  if (typeof m !== 'object' || m === null || !MANIFEST_FORMATS.includes(m.format)) {
    throw inputError(`${join(dir, MANIFEST_FILE)}: format`, `one of ${MANIFEST_FORMATS.join(', ')}`, (m as Partial<Manifest> | null)?.format);
  }
  return m;
}
