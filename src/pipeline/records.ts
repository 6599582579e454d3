/** Per-sample metadata records and their CSV form (pure functions). */
import type { Relations } from '../labels/relations.js';
import type { SceneDescription } from '../spec/sample.js';
import type { FactorValue } from '../spec/schema.js';
import { FACTOR_NAMES } from '../spec/factors.js';
import type { CameraLabel, ObjectLabel } from '../labels/types.js';

/** Per-sample label files, by kind: `<id>.<kind>.png` (`.npy` beside raw images). */
export const LABEL_FILE_KINDS = ['seg', 'sem', 'depth', 'normals'] as const;
export type LabelFileKind = (typeof LABEL_FILE_KINDS)[number];

/** A file written for a sample, with what verify checks. */
export interface FileRef {
  /** Path relative to the dataset root (or member name inside a tar shard). */
  file: string;
  sha256: string;
  bytes: number;
}

/** The labels of a sample as recorded in its metadata (the pixel maps live in `files`). */
export interface RecordLabels {
  objects: ObjectLabel[];
  camera: CameraLabel;
  /** Scene units per count of the 16-bit depth map (PNG or npy; 0 = no depth); present with depth. */
  depth_scale?: number;
  files: Partial<Record<LabelFileKind, FileRef>>;
}

/** One line of metadata.jsonl. */
export interface SampleRecord {
  id: string;
  index: number;
  seed: number;
  /** Path of the image relative to the dataset root. */
  file: string;
  class: string;
  label: number;
  factors: Record<string, FactorValue>;
  objects: SceneDescription['objects'];
  camera: SceneDescription['camera'];
  light: SceneDescription['light'];
  sha256: string;
  bytes: number;
  /** Present when the renderer produced labels for this sample. */
  labels?: RecordLabels;
  /** A caption built from the factors ("a red mug to the left of a blue chair on grass"). */
  caption?: string;
  /** CLEVR relations between the objects (multi-object scenes): relations.left[i] lists objects left of i. */
  relations?: Relations;
  /** Layouts tried before every object showed enough pixels (only when more than one). */
  layoutAttempts?: number;
}

/** Annotations of a rendered sample beyond its factors and labels. */
export interface SampleAnnotations {
  caption?: string;
  relations?: Relations;
  layoutAttempts?: number;
}

/** Build the record of a rendered sample. */
export function makeRecord(desc: SceneDescription, file: string, sha256: string, bytes: number, labels?: RecordLabels, notes: SampleAnnotations = {}): SampleRecord {
  const first = desc.objects[0];
  return {
    id: desc.id, index: desc.index, seed: desc.seed, file, class: first.class, label: first.classIndex,
    factors: desc.factors, objects: desc.objects, camera: desc.camera, light: desc.light, sha256, bytes,
    ...(labels ? { labels } : {}),
    ...(notes.caption ? { caption: notes.caption } : {}),
    ...(notes.relations && desc.objects.length > 1 ? { relations: notes.relations } : {}),
    ...(notes.layoutAttempts && notes.layoutAttempts > 1 ? { layoutAttempts: notes.layoutAttempts } : {}),
  };
}

/** Every file a record names: the image, then its label files. */
export function recordFiles(r: SampleRecord): FileRef[] {
  const labelFiles = LABEL_FILE_KINDS.flatMap((k) => r.labels?.files[k] ?? []);
  return [{ file: r.file, sha256: r.sha256, bytes: r.bytes }, ...labelFiles];
}

/** Columns of factors.csv: identity first, then every factor in canonical order. */
export const CSV_COLUMNS: readonly string[] = ['id', 'index', 'file', 'label', 'seed', 'asset_name', ...FACTOR_NAMES.filter((n) => n !== 'asset' && n !== 'class'), 'class', 'asset'];

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6)) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV header line. */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

/** One CSV line of a record. */
export function csvRow(r: SampleRecord): string {
  const values: Record<string, unknown> = { ...r.factors, id: r.id, index: r.index, file: r.file, label: r.label, seed: r.seed, asset_name: r.objects[0].assetName };
  return `${CSV_COLUMNS.map((c) => csvCell(values[c])).join(',')}\n`;
}
