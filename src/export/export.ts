/**
 * Dataset export to an ImageFolder layout: `images/<class>/<id>.<ext>`, `metadata.jsonl`,
 * `factors.csv`, `manifest.json`. Every file is written atomically; a journal under
 * `.synth-progress/` lets `resume` finish a killed export with the same final bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputError } from '../core/errors.js';
import { writeFileAtomic, exists, isNonEmptyDir, removeTempFiles } from '../core/fs.js';
import { progressOf, type Progress } from '../core/progress.js';
import { codeVersions } from '../core/version.js';
import type { Spec } from '../spec/schema.js';
import type { Catalog } from '../spec/catalog.js';
import { planSampling, describeSample, shardRange, type SamplingPlan } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { encodeImage, IMAGE_EXTENSIONS } from './encode.js';
import { makeRecord, csvHeader, csvRow, type SampleRecord } from './records.js';

/** Name of the folder holding an unfinished export's journal. */
export const PROGRESS_DIR = '.synth-progress';
/** Format tag of the manifest this writer produces. */
export const MANIFEST_FORMAT = 'synth.imagefolder/1';

/** Options of exportDataset. */
export interface ExportOptions {
  spec: Spec;
  catalog: Catalog;
  renderer: SceneRenderer;
  out: string;
  shardIndex?: number;
  numShards?: number;
  /** Skip finished samples of an interrupted export in `out`. */
  resume?: boolean;
  /** Replace an earlier dataset in `out` (only a folder that holds a synth dataset). */
  overwrite?: boolean;
  /** Encodes and writes in flight while the next images render. */
  pipelineDepth?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Defaults of ExportOptions. */
export const EXPORT_DEFAULTS = { shardIndex: 0, numShards: 1, resume: false, overwrite: false, pipelineDepth: 6 };

/** What exportDataset did. */
export interface ExportResult {
  out: string;
  count: number;
  rendered: number;
  skipped: number;
  seconds: number;
  manifest: Manifest;
}

/** manifest.json of an exported dataset (or shard of one). */
export interface Manifest {
  format: string;
  name: string;
  spec: Spec;
  seed: number;
  /** Samples in the whole dataset. */
  total: number;
  /** Samples in this folder. */
  count: number;
  shard: { index: number; count: number; start: number; end: number };
  classes: string[];
  counts: Record<string, number>;
  versions: Record<string, string>;
  renderer: { backend: string; adapter: string };
  files: Record<string, { sha256: string; bytes: number }>;
  images: { count: number; bytes: number };
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function fingerprint(spec: Spec, shard: Manifest['shard']): string {
  return JSON.stringify({ spec, shard });
}

/** Make `out` ready: refuse, clear, or keep it for resuming; returns finished records to skip. */
async function prepareOutput(out: string, print: string, opts: { resume: boolean; overwrite: boolean }): Promise<Map<number, SampleRecord> | 'complete'> {
  const progressDir = join(out, PROGRESS_DIR);
  const done = new Map<number, SampleRecord>();
  if (await isNonEmptyDir(out)) {
    const hasJournal = await exists(join(progressDir, 'spec.json'));
    const hasManifest = await exists(join(out, 'manifest.json'));
    if (opts.resume) {
      if (hasJournal) {
        const previous = await readFile(join(progressDir, 'spec.json'), 'utf8');
        if (previous !== print) throw new OutputError(`--resume: ${out} holds an export of a different spec or shard; use a new --out or --overwrite`);
        await removeTempFiles(out);
        const text = await readFile(join(progressDir, 'journal.jsonl'), 'utf8').catch(() => '');
        for (const line of text.split('\n')) {
          if (!line) continue;
          let rec: SampleRecord;
          try {
            rec = JSON.parse(line) as SampleRecord;
          } catch {
            continue; // a line cut by a kill: that sample is rendered again
          }
          if (await exists(join(out, rec.file))) done.set(rec.index, rec);
        }
        return done;
      }
      if (hasManifest) {
        const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
        if (fingerprint(manifest.spec, manifest.shard) !== print) throw new OutputError(`--resume: ${out} holds a finished export of a different spec or shard`);
        return 'complete';
      }
      throw new OutputError(`--resume: ${out} is not empty and holds no synth export to resume`);
    }
    if (!opts.overwrite) throw new OutputError(`${out} is not empty: pass --resume to finish an interrupted export, or --overwrite to replace it`);
    if (!hasJournal && !hasManifest) throw new OutputError(`--overwrite: ${out} does not hold a synth dataset (no manifest.json or ${PROGRESS_DIR}); refusing to delete it`);
    for (const entry of await readdir(out)) await rm(join(out, entry), { recursive: true, force: true });
  }
  await mkdir(progressDir, { recursive: true });
  await writeFileAtomic(join(progressDir, 'spec.json'), print);
  return done;
}

/**
 * Render and write a dataset (or one shard of it).
 * @throws OutputError when `out` is not empty and neither resume nor overwrite applies.
 */
export async function exportDataset(options: ExportOptions): Promise<ExportResult> {
  const opts = { ...EXPORT_DEFAULTS, ...options };
  const started = performance.now();
  const plan: SamplingPlan = planSampling(opts.spec, opts.catalog);
  if (!(opts.numShards >= 1 && opts.shardIndex >= 0 && opts.shardIndex < opts.numShards)) {
    throw new RangeError(`shard: expected 0 <= shard-index < num-shards, got ${opts.shardIndex} of ${opts.numShards}`);
  }
  const [start, end] = shardRange(plan.count, opts.shardIndex, opts.numShards);
  const shard = { index: opts.shardIndex, count: opts.numShards, start, end };
  const print = fingerprint(opts.spec, shard);
  const prepared = await prepareOutput(opts.out, print, opts);
  if (prepared === 'complete') {
    const manifest = JSON.parse(await readFile(join(opts.out, 'manifest.json'), 'utf8')) as Manifest;
    return { out: opts.out, count: end - start, rendered: 0, skipped: end - start, seconds: 0, manifest };
  }
  const records = prepared;
  const skipped = records.size;
  const journal: FileHandle = await open(join(opts.out, PROGRESS_DIR, 'journal.jsonl'), 'a');
  const ext = IMAGE_EXTENSIONS[opts.spec.format];
  const total = end - start;
  let rendered = 0;
  let failure: unknown = null;
  const pending = new Set<Promise<void>>();
  const report = () => {
    const elapsed = (performance.now() - started) / 1000;
    const p = progressOf(records.size, total, elapsed);
    const rate = elapsed > 0 ? rendered / elapsed : 0;
    opts.onProgress?.({ ...p, rate, etaSeconds: rate > 0 ? (total - records.size) / rate : null });
  };

  try {
    for (let index = start; index < end; index++) {
      if (failure) break;
      if (opts.signal?.aborted) break;
      if (records.has(index)) continue;
      const desc = describeSample(plan, index);
      const frame = await opts.renderer.render(desc);
      const file = `images/${desc.objects[0].class}/${desc.id}.${ext}`;
      const task = (async () => {
        const bytes = await encodeImage(frame.rgba, frame.width, frame.height, opts.spec.format, opts.spec.quality);
        await writeFileAtomic(join(opts.out, file), bytes);
        const rec = makeRecord(desc, file, sha256(bytes), bytes.length);
        await journal.write(`${JSON.stringify(rec)}\n`);
        records.set(index, rec);
        rendered++;
        report();
      })().catch((err) => { failure ??= err; });
      pending.add(task);
      void task.finally(() => pending.delete(task));
      if (pending.size >= opts.pipelineDepth) await Promise.race(pending);
    }
    await Promise.all(pending);
  } finally {
    await journal.close();
  }
  if (failure) throw failure;
  if (opts.signal?.aborted) {
    const err = new Error(`export to ${opts.out} cancelled after ${records.size} of ${total} samples; --resume finishes it`);
    err.name = 'AbortError';
    throw err;
  }

  const ordered = [...records.values()].sort((a, b) => a.index - b.index);
  const metadata = ordered.map((r) => `${JSON.stringify(r)}\n`).join('');
  const csv = csvHeader() + ordered.map(csvRow).join('');
  await writeFileAtomic(join(opts.out, 'metadata.jsonl'), metadata);
  await writeFileAtomic(join(opts.out, 'factors.csv'), csv);
  const counts: Record<string, number> = {};
  for (const c of opts.spec.classes) counts[c] = 0;
  for (const r of ordered) counts[r.class] = (counts[r.class] ?? 0) + 1;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT, name: opts.spec.name, spec: opts.spec, seed: opts.spec.seed, total: plan.count, count: total, shard,
    classes: opts.spec.classes, counts, versions: codeVersions(),
    renderer: { backend: opts.renderer.backend, adapter: opts.renderer.adapter.device || opts.renderer.adapter.description },
    files: {
      'metadata.jsonl': { sha256: sha256(metadata), bytes: Buffer.byteLength(metadata) },
      'factors.csv': { sha256: sha256(csv), bytes: Buffer.byteLength(csv) },
    },
    images: { count: ordered.length, bytes: ordered.reduce((s, r) => s + r.bytes, 0) },
  };
  await writeFileAtomic(join(opts.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(join(opts.out, PROGRESS_DIR), { recursive: true, force: true });
  report();
  return { out: opts.out, count: total, rendered, skipped, seconds: (performance.now() - started) / 1000, manifest };
}
