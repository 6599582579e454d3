/**
 * Dataset export: render each sample once and hand it to the writers asked for: ImageFolder
 * (`images/<class>/<id>.<ext>`, `labels/<id>.<kind>.png`, `metadata.jsonl`, `factors.csv`), COCO
 * (`coco.json`) and WebDataset (`shards/shard-%06d.tar`), then `manifest.json`.
 *
 * Resume: every file is written atomically (temp file then rename), and a sample is appended to the
 * journal `.synth-progress/journal.jsonl` (its metadata record and COCO annotations) only after its
 * files are on disk. A WebDataset sample is first written as its own tar fragment under
 * `.synth-progress/webdataset/`; a shard is assembled (temp file, then rename) once all its samples are
 * journaled. metadata.jsonl, factors.csv and coco.json are built from the journal at the end. So a run
 * killed at any point resumes from what the journal and the disk agree on, with the same final bytes.
 */
import { inOrder } from '../core/ordered.js';
import { mkdir, readFile, rm, readdir } from 'node:fs/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OutputError } from '../core/errors.js';
import { writeFileAtomic, exists, isNonEmptyDir, removeTempFiles } from '../core/fs.js';
import { progressOf, type Progress } from '../core/progress.js';
import { codeVersions } from '../core/version.js';
import type { Spec } from '../spec/schema.js';
import type { Catalog } from '../spec/catalog.js';
import { planSampling, shardRange, type SamplingPlan } from '../spec/sample.js';
import { renderSample } from '../render/render-sample.js';
import { samplesInFlight } from '../render/pool.js';
import type { Frame, SceneRenderer } from '../render/renderer.js';
import type { LabelSet } from '../labels/types.js';
import { IMAGE_EXTENSIONS } from './encode.js';
import { SampleWriter } from './sample-writer.js';
import { makeRecord, csvHeader, csvRow, recordFiles, type FileRef, type LabelFileKind, type SampleRecord } from './records.js';
import { encodeLabelFiles, labelFileName, recordLabels } from './label-files.js';
import { cocoAnnotations, cocoCategories, cocoDocument, cocoText, COCO_FILE, type CocoAnnotation, type CocoImage } from './coco.js';
import { alignedSliceRange, assembleTarShard, sampleTarFragment, tarShardPath, tarShardsIn, type TarShardRange } from './webdataset.js';
import {
  PROGRESS_DIR, MANIFEST_FILE, MANIFEST_FORMAT, WRITER_FORMATS, exportIdentity, manifestIdentity, layoutOf, digestOf, hashFile,
  type Manifest, type WriterFormat, type FileDigest,
} from './manifest.js';

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
  /** Encodes and writes in flight while the next images render. */
  pipelineDepth?: number;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

/** Defaults of ExportOptions. */
export const EXPORT_DEFAULTS = {
  shardIndex: 0, numShards: 1, resume: false, overwrite: false, pipelineDepth: 6,
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

/** One journal line: a sample whose files are all on disk. */
interface JournalEntry {
  record: SampleRecord;
  annotations: CocoAnnotation[];
}

const JOURNAL = 'journal.jsonl';
const FRAGMENTS = 'webdataset';

function fragmentPath(out: string, id: string): string {
  return join(out, PROGRESS_DIR, FRAGMENTS, `${id}.tar`);
}

/**
 * Make `out` ready: refuse, clear, or keep it for resuming. Returns the journal entries whose files
 * `onDisk` finds, or 'complete' for a finished export of the same work.
 */
async function prepareOutput(
  out: string, identity: string, opts: { resume: boolean; overwrite: boolean }, onDisk: (e: JournalEntry) => Promise<boolean>,
): Promise<{ entries: Map<number, JournalEntry>; cutLine: boolean } | 'complete'> {
  const progressDir = join(out, PROGRESS_DIR);
  const entries = new Map<number, JournalEntry>();
  if (await isNonEmptyDir(out)) {
    const hasJournal = await exists(join(progressDir, 'spec.json'));
    const hasManifest = await exists(join(out, MANIFEST_FILE));
    if (opts.resume) {
      if (hasJournal) {
        const previous = await readFile(join(progressDir, 'spec.json'), 'utf8');
        if (previous !== identity) throw new OutputError(`--resume: ${out} holds an export of a different spec, shard or format; use a new --out or --overwrite`);
        await removeTempFiles(out);
        const text = await readFile(join(progressDir, JOURNAL), 'utf8').catch(() => '');
        for (const line of text.split('\n')) {
          if (!line) continue;
          let entry: JournalEntry;
          try {
            entry = JSON.parse(line) as JournalEntry;
          } catch {
            continue; // a line cut by a kill: that sample is rendered again
          }
          if (entry.record && await onDisk(entry)) entries.set(entry.record.index, entry);
        }
        return { entries, cutLine: text.length > 0 && !text.endsWith('\n') };
      }
      if (hasManifest) {
        const manifest = JSON.parse(await readFile(join(out, MANIFEST_FILE), 'utf8')) as Manifest;
        if (manifestIdentity(manifest) !== identity) throw new OutputError(`--resume: ${out} holds a finished export of a different spec, shard or format`);
        return 'complete';
      }
      const killedAtStart = (await readdir(out)).join() === PROGRESS_DIR; // before spec.json was written
      if (!killedAtStart) throw new OutputError(`--resume: ${out} is not empty and holds no synth export to resume`);
    } else {
      if (!opts.overwrite) throw new OutputError(`${out} is not empty: pass --resume to finish an interrupted export, or --overwrite to replace it`);
      if (!hasJournal && !hasManifest) throw new OutputError(`--overwrite: ${out} does not hold a synth dataset (no ${MANIFEST_FILE} or ${PROGRESS_DIR}); refusing to delete it`);
      for (const entry of await readdir(out)) await rm(join(out, entry), { recursive: true, force: true });
    }
  }
  await mkdir(progressDir, { recursive: true });
  await writeFileAtomic(join(progressDir, 'spec.json'), identity);
  return { entries, cutLine: false };
}

/**
 * Render and write a dataset (or one process slice of it) in the formats asked for.
 * With `webdataset`, slice k of n covers whole tar shards (see alignedSliceRange); otherwise samples
 * [floor(k * count / n), floor((k + 1) * count / n)).
 * @throws OutputError when `out` is not empty and neither resume nor overwrite applies.
 * @throws RangeError for a bad shard index, shard count or tar shard size.
 */
export async function exportDataset(options: ExportOptions): Promise<ExportResult> {
  const opts = { ...EXPORT_DEFAULTS, ...options };
  const started = performance.now();
  const plan: SamplingPlan = planSampling(opts.spec, opts.catalog);
  if (!(opts.numShards >= 1 && opts.shardIndex >= 0 && opts.shardIndex < opts.numShards)) {
    throw new RangeError(`shard: expected 0 <= shard-index < num-shards, got ${opts.shardIndex} of ${opts.numShards}`);
  }
  const formats = WRITER_FORMATS.filter((f) => opts.formats.includes(f));
  if (formats.length === 0) throw new RangeError(`formats: expected at least one of ${WRITER_FORMATS.join(', ')}, got none`);
  const layout = layoutOf(formats);
  const shardSize = layout.tar ? opts.shardSize : null;
  if (shardSize !== null && !(Number.isSafeInteger(shardSize) && shardSize >= 1)) throw new RangeError(`shard-size: expected an integer >= 1, got ${shardSize}`);
  const [start, end] = shardSize !== null
    ? alignedSliceRange(plan.count, opts.shardIndex, opts.numShards, shardSize)
    : shardRange(plan.count, opts.shardIndex, opts.numShards);
  const shard = { index: opts.shardIndex, count: opts.numShards, start, end };
  const tarShards: TarShardRange[] = shardSize !== null ? tarShardsIn(start, end, shardSize) : [];
  const tarShardOf = (index: number) => tarShards[Math.floor(index / shardSize!) - tarShards[0].n];
  const identity = exportIdentity(opts.spec, shard, formats, shardSize);
  const out = opts.out;

  const shardOnDisk = new Map<number, Promise<boolean>>();
  const onDisk = async (e: JournalEntry): Promise<boolean> => {
    if (layout.files) {
      for (const f of recordFiles(e.record)) if (!await exists(join(out, f.file))) return false;
    }
    if (layout.tar) {
      const n = tarShardOf(e.record.index).n;
      if (!shardOnDisk.has(n)) shardOnDisk.set(n, exists(join(out, tarShardPath(n))));
      if (!await shardOnDisk.get(n)! && !await exists(fragmentPath(out, e.record.id))) return false;
    }
    return true;
  };

  const prepared = await prepareOutput(out, identity, opts, onDisk);
  const total = end - start;
  if (prepared === 'complete') {
    const manifest = JSON.parse(await readFile(join(out, MANIFEST_FILE), 'utf8')) as Manifest;
    return { out, count: total, rendered: 0, skipped: total, labelled: manifest.labels?.samples ?? 0, seconds: 0, manifest };
  }
  const entries = prepared.entries;
  const skipped = entries.size;
  // The per-sample files are encoded (PNG) and written on a worker thread (sample-writer.ts), off the
  // render loop; the journal lines are written here, synchronously, once a sample's files are on disk.
  const journal = openSync(join(out, PROGRESS_DIR, JOURNAL), 'a');
  if (prepared.cutLine) writeSync(journal, '\n'); // so the next entry starts on a line of its own
  const writer = new SampleWriter();
  const ext = IMAGE_EXTENSIONS[opts.spec.format];
  let rendered = 0;
  let failure: unknown = null;
  const pending = new Set<Promise<void>>();
  const assembling = new Set<number>();
  /** Journaled samples per tar shard. */
  const doneIn = new Map<number, number>();
  const countDone = (index: number) => {
    if (!layout.tar) return;
    const n = tarShardOf(index).n;
    doneIn.set(n, (doneIn.get(n) ?? 0) + 1);
  };
  for (const i of entries.keys()) countDone(i);
  const report = () => {
    const elapsed = (performance.now() - started) / 1000;
    const p = progressOf(entries.size, total, elapsed);
    const rate = elapsed > 0 ? rendered / elapsed : 0;
    opts.onProgress?.({ ...p, rate, etaSeconds: rate > 0 ? (total - entries.size) / rate : null });
  };
  /** Build tar shard `t` when all its samples are journaled and it is not on disk yet. */
  const assembleIfComplete = async (t: TarShardRange) => {
    if (assembling.has(t.n) || doneIn.get(t.n) !== t.end - t.start) return;
    assembling.add(t.n);
    const path = join(out, tarShardPath(t.n));
    if (await exists(path)) return;
    const ids: string[] = [];
    for (let i = t.start; i < t.end; i++) ids.push(entries.get(i)!.record.id);
    await assembleTarShard(path, ids.map((id) => fragmentPath(out, id)));
    await Promise.all(ids.map((id) => rm(fragmentPath(out, id), { force: true })));
  };

  try {
    for (const t of tarShards) await assembleIfComplete(t); // shards a killed run finished rendering but not writing
    // Renders ahead (samplesInFlight), consumed in index order, so the journal and every output are
    // as with one renderer.
    const todo = function* () {
      for (let i = start; i < end; i++) if (!entries.has(i)) yield i;
    };
    const renders = inOrder(todo(), samplesInFlight(opts.renderer), async (index) => ({ index, sample: await renderSample(opts.renderer, plan, index, opts.spec.labels) }), opts.signal);
    for await (const { index, sample } of renders) {
      if (failure) break;
      const { desc, frame } = sample;
      const labels = (frame as Frame & { labels?: LabelSet }).labels;
      const task = (async () => {
        const file = `images/${desc.objects[0].class}/${desc.id}.${ext}`;
        const imagePath = layout.files ? join(out, file) : null;
        const [encoded, labelFiles] = await Promise.all([
          writer.image(frame.rgba, frame.width, frame.height, opts.spec.format, opts.spec.quality, imagePath),
          labels ? encodeLabelFiles(labels) : [],
        ]);
        const image = encoded.bytes;
        const refs: Partial<Record<LabelFileKind, FileRef>> = {};
        for (const f of labelFiles) refs[f.kind] = { file: `labels/${labelFileName(desc.id, f.kind)}`, ...digestOf(f.bytes) };
        const record = makeRecord(desc, file, encoded.sha256, image.length, labels ? recordLabels(labels, refs) : undefined, sample);
        const writes: Promise<void>[] = [];
        if (layout.files) for (const f of labelFiles) writes.push(writer.file(join(out, refs[f.kind]!.file), f.bytes));
        if (layout.tar) writes.push(writer.file(fragmentPath(out, desc.id), sampleTarFragment(record, image, labelFiles)));
        await Promise.all(writes);
        const entry: JournalEntry = { record, annotations: layout.coco ? cocoAnnotations(index, labels) : [] };
        writeSync(journal, `${JSON.stringify(entry)}\n`);
        entries.set(index, entry);
        countDone(index);
        rendered++;
        report();
        if (layout.tar) await assembleIfComplete(tarShardOf(index));
      })().catch((err) => { failure ??= err; });
      pending.add(task);
      void task.finally(() => pending.delete(task));
      if (pending.size >= opts.pipelineDepth) await Promise.race(pending);
    }
  } finally {
    // Every task settles before the journal closes, also when a render failed with tasks in flight
    // (they still write to it). Tasks never reject: they record the first error in `failure`.
    await Promise.allSettled(pending);
    closeSync(journal);
    await writer.close();
  }
  if (failure) throw failure;
  if (opts.signal?.aborted) {
    const err = new Error(`export to ${out} cancelled after ${entries.size} of ${total} samples; --resume finishes it`);
    err.name = 'AbortError';
    throw err;
  }

  const ordered = [...entries.values()].sort((a, b) => a.record.index - b.record.index);
  const records = ordered.map((e) => e.record);
  const files: Record<string, FileDigest> = {};
  const writeText = async (name: string, text: string) => {
    await writeFileAtomic(join(out, name), text);
    files[name] = digestOf(text);
  };
  if (layout.files) {
    await writeText('metadata.jsonl', records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await writeText('factors.csv', csvHeader() + records.map(csvRow).join(''));
  }
  if (layout.coco) {
    const [width, height] = opts.spec.resolution;
    const images: CocoImage[] = records.map((r) => ({
      id: r.index + 1, file_name: layout.files ? r.file : `${r.id}.${ext}`, width, height,
      ...(layout.files ? {} : { shard: tarShardPath(tarShardOf(r.index).n) }),
    }));
    const doc = cocoDocument(opts.spec.name, images, ordered.flatMap((e) => e.annotations), cocoCategories(opts.spec, opts.catalog));
    await writeText(COCO_FILE, cocoText(doc));
  }
  for (const t of tarShards) {
    await assembleIfComplete(t); // resuming a run killed after its last sample but before this
    files[tarShardPath(t.n)] = await hashFile(join(out, tarShardPath(t.n)));
  }
  const counts: Record<string, number> = {};
  for (const c of opts.spec.classes) counts[c] = 0;
  for (const r of records) counts[r.class] = (counts[r.class] ?? 0) + 1;
  const labelled = records.filter((r) => r.labels).length;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT, name: opts.spec.name, spec: opts.spec, seed: opts.spec.seed, total: plan.count, count: total, shard,
    formats, shardSize, classes: opts.spec.classes, counts, versions: codeVersions(),
    renderer: { backend: opts.renderer.backend, adapter: opts.renderer.adapter.device || opts.renderer.adapter.description },
    files,
    images: { count: records.length, bytes: records.reduce((s, r) => s + r.bytes, 0) },
    labels: { passes: opts.spec.labels, samples: labelled },
  };
  await writeFileAtomic(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(join(out, PROGRESS_DIR), { recursive: true, force: true });
  report();
  return { out, count: total, rendered, skipped, labelled, seconds: (performance.now() - started) / 1000, manifest };
}
