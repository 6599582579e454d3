/**
 * Dataset export: render each sample once (pipeline/) and write it in the formats asked for:
 * ImageFolder (`images/<class>/<id>.<ext>`, `labels/<id>.<kind>.<ext>`, `metadata.jsonl`,
 * `factors.csv`), COCO (`coco.json`) and WebDataset (`shards/shard-%06d.tar`), with `classes.txt`,
 * then `manifest.json`. See docs/formats.md for every layout.
 *
 * Resume: every file is written atomically (temp file then rename), and a sample is appended to the
 * journal (journal.ts) only after its files are on disk. A WebDataset sample is first written as its
 * own tar fragment under `.synth-progress/webdataset/`; a shard is assembled (temp file, then rename)
 * once all its samples are journaled (tar-shards.ts). metadata.jsonl, factors.csv and coco.json are
 * built from the journal at the end (index-files.ts). So a run killed at any point resumes from what
 * the journal and the disk agree on, with the same final bytes.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../core/fs.js';
import { progressOf, type Progress } from '../core/progress.js';
import type { Spec } from '../spec/schema.js';
import type { Catalog } from '../spec/catalog.js';
import { planSampling, shardRange, type SamplingPlan } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { recordFiles } from '../pipeline/records.js';
import { sampleTarFragment } from '../pipeline/members.js';
import { encodeInOrder, type SampleLayout } from '../pipeline/pipeline.js';
import { sharedWriterPool, type WriterPool } from '../pipeline/writer-pool.js';
import { cocoAnnotations, type CocoAnnotation } from './coco.js';
import { alignedSliceRange } from './webdataset.js';
import { Journal, fragmentPath, prepareOutput, type JournalEntry } from './journal.js';
import { TarShards } from './tar-shards.js';
import { writeIndexFiles } from './index-files.js';
import { PROGRESS_DIR, MANIFEST_FILE, WRITER_FORMATS, exportIdentity, layoutOf, type Manifest, type ShardInfo, type WriterFormat } from './manifest.js';

export { PROGRESS_DIR, MANIFEST_FORMAT, WRITER_FORMATS, type Manifest, type WriterFormat } from './manifest.js';

/** Options of exportDataset. */
export interface ExportOptions {
  spec: Spec;
  catalog: Catalog;
  renderer: SceneRenderer;
  out: string;
  /** Writers to run (any of WRITER_FORMATS). */
  formats?: readonly WriterFormat[];
  /** Samples per WebDataset tar shard. */
  shardSize?: number;
  shardIndex?: number;
  numShards?: number;
  /** Skip finished samples of an interrupted export in `out`. */
  resume?: boolean;
  /** Replace an earlier dataset in `out` (only a folder that holds a synth dataset). */
  overwrite?: boolean;
  /** Samples rendering, encoding or being written at once (default: pipelineDepth of the renderer and writers). */
  pipelineDepth?: number;
  /** Writer threads that encode and write the files (default: the process's shared pool). */
  writers?: WriterPool;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Defaults of ExportOptions. */
export const EXPORT_DEFAULTS = {
  shardIndex: 0, numShards: 1, resume: false, overwrite: false,
  formats: ['imagefolder'] as readonly WriterFormat[], shardSize: 1000,
};

/** What exportDataset did. */
export interface ExportResult {
  out: string;
  count: number;
  rendered: number;
  skipped: number;
  /** Samples that came with labels from the renderer. */
  labelled: number;
  seconds: number;
  manifest: Manifest;
}

/** The work of one export: its formats, sample range and identity (what resume compares). */
export interface ExportWork {
  plan: SamplingPlan;
  formats: WriterFormat[];
  /** Samples per tar shard (null without webdataset). */
  shardSize: number | null;
  shard: ShardInfo;
  identity: string;
}

/**
 * The work of an export from its options: formats in canonical order, and the slice's sample range.
 * With `webdataset`, slice k of n covers whole tar shards (see alignedSliceRange); otherwise samples
 * [floor(k * count / n), floor((k + 1) * count / n)).
 * @throws RangeError for a bad shard index, shard count, format list or tar shard size.
 */
export function planExport(opts: Pick<ExportOptions, 'spec' | 'catalog'> & Required<Pick<ExportOptions, 'formats' | 'shardSize' | 'shardIndex' | 'numShards'>>): ExportWork {
  const plan = planSampling(opts.spec, opts.catalog);
  if (!(opts.numShards >= 1 && opts.shardIndex >= 0 && opts.shardIndex < opts.numShards)) {
    throw new RangeError(`shard: expected 0 <= shard-index < num-shards, got ${opts.shardIndex} of ${opts.numShards}`);
  }
  const formats = WRITER_FORMATS.filter((f) => opts.formats.includes(f));
  if (formats.length === 0) throw new RangeError(`formats: expected at least one of ${WRITER_FORMATS.join(', ')}, got none`);
  const shardSize = layoutOf(formats).tar ? opts.shardSize : null;
  if (shardSize !== null && !(Number.isSafeInteger(shardSize) && shardSize >= 1)) throw new RangeError(`shard-size: expected an integer >= 1, got ${shardSize}`);
  const [start, end] = shardSize !== null
    ? alignedSliceRange(plan.count, opts.shardIndex, opts.numShards, shardSize)
    : shardRange(plan.count, opts.shardIndex, opts.numShards);
  const shard = { index: opts.shardIndex, count: opts.numShards, start, end };
  return { plan, formats, shardSize, shard, identity: exportIdentity(opts.spec, shard, formats, shardSize) };
}

/** Where an ImageFolder export writes a sample's files: `images/<class>/<name>`, `labels/<name>`. */
export function imageFolderLayout(out: string): SampleLayout {
  return { root: out, image: (desc, name) => `images/${desc.objects[0].class}/${name}`, label: (_desc, name) => `labels/${name}` };
}

/**
 * Render and write a dataset (or one process slice of it, see planExport) in the formats asked for.
 * @throws OutputError when `out` is not empty and neither resume nor overwrite applies.
 * @throws RangeError for a bad shard index, shard count or tar shard size.
 */
export async function exportDataset(options: ExportOptions): Promise<ExportResult> {
  const opts = { ...EXPORT_DEFAULTS, ...options };
  const started = performance.now();
  const work = planExport(opts);
  const { shard } = work;
  const layout = layoutOf(work.formats);
  const out = opts.out;
  const total = shard.end - shard.start;
  const entries = new Map<number, JournalEntry>();
  const tarShards = work.shardSize !== null ? new TarShards(out, shard.start, shard.end, work.shardSize, entries) : null;

  const onDisk = async (e: JournalEntry): Promise<boolean> => {
    if (layout.files) {
      for (const f of recordFiles(e.record)) if (!await exists(join(out, f.file))) return false;
    }
    return tarShards ? tarShards.onDisk(e) : true;
  };
  const prepared = await prepareOutput(out, work.identity, opts, onDisk);
  if (prepared === 'complete') {
    const manifest = JSON.parse(await readFile(join(out, MANIFEST_FILE), 'utf8')) as Manifest;
    return { out, count: total, rendered: 0, skipped: total, labelled: manifest.labels?.samples ?? 0, seconds: 0, manifest };
  }
  for (const [i, e] of prepared.entries) {
    entries.set(i, e);
    tarShards?.count(i);
  }
  const skipped = entries.size;
  let rendered = 0;
  const report = () => {
    const elapsed = (performance.now() - started) / 1000;
    const p = progressOf(entries.size, total, elapsed);
    const rate = elapsed > 0 ? rendered / elapsed : 0;
    opts.onProgress?.({ ...p, rate, etaSeconds: rate > 0 ? (total - entries.size) / rate : null });
  };

  // Each sample's files are encoded and written on the writer threads; its journal line is written
  // here, synchronously, once they are on disk (in whatever order samples finish: a failure or a
  // cancel leaves every sample on disk journaled).
  const writers = opts.writers ?? sharedWriterPool(opts.renderer.parallelism ?? 1);
  const journal = new Journal(out, prepared.cutLine);
  const annotations = new Map<number, CocoAnnotation[]>();
  try {
    for (const t of tarShards?.shards ?? []) await tarShards!.assembleIfComplete(t); // shards a killed run finished rendering but not writing
    const todo = function* () {
      for (let i = shard.start; i < shard.end; i++) if (!entries.has(i)) yield i;
    };
    const samples = encodeInOrder(todo(), {
      renderer: opts.renderer, plan: work.plan, spec: opts.spec, writers, depth: opts.pipelineDepth, signal: opts.signal,
      layout: layout.files ? imageFolderLayout(out) : null,
      beforeEncode: (r, index) => { if (layout.coco) annotations.set(index, cocoAnnotations(index, r.frame.labels)); },
      finish: async (sample, index) => {
        if (tarShards) await writers.file(fragmentPath(out, sample.record.id), sampleTarFragment(sample.record, sample.image, sample.labelFiles));
        const entry: JournalEntry = { record: sample.record, annotations: annotations.get(index) ?? [] };
        annotations.delete(index);
        journal.append(entry);
        entries.set(index, entry);
        rendered++;
        report();
        await tarShards?.journaled(index);
      },
    });
    for await (const _ of samples); // the work is done in `finish`; this drives the pipeline
  } finally {
    journal.close();
  }
  if (opts.signal?.aborted) {
    const err = new Error(`export to ${out} cancelled after ${entries.size} of ${total} samples; --resume finishes it`);
    err.name = 'AbortError';
    throw err;
  }

  const ordered = [...entries.values()].sort((a, b) => a.record.index - b.record.index);
  const manifest = await writeIndexFiles({
    out, spec: opts.spec, catalog: opts.catalog, renderer: opts.renderer, total: work.plan.count, shard,
    formats: work.formats, shardSize: work.shardSize, entries: ordered, tarShards,
  });
  await rm(join(out, PROGRESS_DIR), { recursive: true, force: true });
  report();
  return { out, count: total, rendered, skipped, labelled: manifest.labels.samples, seconds: (performance.now() - started) / 1000, manifest };
}
