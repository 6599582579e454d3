/**
 * `synth merge`: combine the folders of process slices (`export --shard-index k --num-shards n`, e.g.
 * the pods of a Kubernetes Indexed Job) into one dataset: files are hard-linked (copied across file
 * systems), metadata.jsonl, factors.csv and coco.json are concatenated in index order (ids are global,
 * so they equal a single run's), and a manifest covering the whole dataset is written. The result is
 * built in a temp folder beside `out` and renamed into place when complete.
 */
import { copyFile, link, mkdir, readFile, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, OutputError } from '../core/errors.js';
import { exists, writeFileAtomic } from '../core/fs.js';
import { csvHeader, recordFiles, type SampleRecord } from '../pipeline/records.js';
import { CLASSES_FILE, classesText } from '../spec/schema.js';
import { cocoDocument, cocoText, COCO_FILE, type CocoDocument } from './coco.js';
import { SHARDS_DIR } from './webdataset.js';
import { readManifest, digestOf, layoutOf, MANIFEST_FILE, MANIFEST_FORMAT, PROGRESS_DIR, type FileDigest, type Manifest } from './manifest.js';

/** Options of mergeDatasets. */
export interface MergeOptions {
  /** The merged dataset's folder: must not exist, or be empty. */
  out: string;
  /** Slice folders, in any order. */
  inputs: readonly string[];
}

/** What mergeDatasets did. */
export interface MergeResult {
  out: string;
  count: number;
  files: number;
  manifest: Manifest;
}

function firstDifference(a: Record<string, unknown>, b: Record<string, unknown>): string {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  }
  return '';
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
    await copyFile(from, to);
  }
}

/**
 * Read and check the slices: finished, of the same spec and formats, covering [0, total) without
 * gaps or overlap. Returns them sorted by their first sample.
 * @throws InputError naming the folder and what is wrong.
 */
export async function readSlices(inputs: readonly string[]): Promise<{ dir: string; manifest: Manifest }[]> {
  if (inputs.length === 0) throw new InputError('expected at least one slice folder, got none');
  const slices: { dir: string; manifest: Manifest }[] = [];
  for (const given of inputs) {
    const dir = resolve(given);
    const manifest = await readManifest(dir);
    if (!manifest) {
      const unfinished = await exists(join(dir, PROGRESS_DIR));
      throw new InputError(`${given}: expected a finished export (with ${MANIFEST_FILE}), got ${unfinished ? 'an unfinished one: finish it with synth export --resume' : 'a folder without one'}`);
    }
    if (manifest.mergedFrom) throw new InputError(`${given}: expected an export slice, got a merged dataset`);
    slices.push({ dir, manifest });
  }
  const [ref, ...others] = slices;
  const issues: string[] = [];
  for (const s of others) {
    const where = `${s.dir}`;
    const spec = firstDifference(ref.manifest.spec as unknown as Record<string, unknown>, s.manifest.spec as unknown as Record<string, unknown>);
    if (spec) issues.push(`${where}: expected the spec of ${ref.dir}, got a different spec (field ${spec}: ${JSON.stringify(s.manifest.spec[spec as keyof Manifest['spec']])} vs ${JSON.stringify(ref.manifest.spec[spec as keyof Manifest['spec']])})`);
    else if (JSON.stringify(s.manifest.formats) !== JSON.stringify(ref.manifest.formats)) issues.push(`${where}: expected formats ${ref.manifest.formats}, got ${s.manifest.formats}`);
    else if (s.manifest.shardSize !== ref.manifest.shardSize) issues.push(`${where}: expected --shard-size ${ref.manifest.shardSize}, got ${s.manifest.shardSize}`);
    else if (s.manifest.total !== ref.manifest.total) issues.push(`${where}: expected a dataset of ${ref.manifest.total} samples, got ${s.manifest.total}`);
  }
  if (issues.length) throw new InputError(issues.join('\n'));
  slices.sort((a, b) => a.manifest.shard.start - b.manifest.shard.start || a.manifest.shard.end - b.manifest.shard.end);
  const range = (s: { dir: string; manifest: Manifest }) => `${s.dir} [${s.manifest.shard.start}, ${s.manifest.shard.end})`;
  let covered = 0;
  let last: (typeof slices)[number] | null = null;
  for (const s of slices) {
    const { start, end } = s.manifest.shard;
    if (start === end) continue; // an empty slice (more processes than tar shards)
    if (start > covered) issues.push(`samples [${covered}, ${start}) are in no slice (gap before ${range(s)})`);
    if (start < covered && last) issues.push(`${range(s)} overlaps ${range(last)}`);
    covered = Math.max(covered, end);
    last = s;
  }
  if (covered < ref.manifest.total) issues.push(`samples [${covered}, ${ref.manifest.total}) are in no slice (the dataset has ${ref.manifest.total})`);
  if (issues.length) throw new InputError(issues.join('\n'));
  return slices;
}

/**
 * Merge slice folders into `out`.
 * @throws InputError when the slices do not form one dataset; OutputError when `out` is not empty.
 */
export async function mergeDatasets(options: MergeOptions): Promise<MergeResult> {
  const slices = await readSlices(options.inputs);
  const out = resolve(options.out);
  const existing = await readdir(out).catch(() => null);
  if (existing && existing.length > 0) throw new OutputError(`${out} is not empty; merge into a new folder`);
  const ref = slices[0].manifest;
  const layout = layoutOf(ref.formats ?? ['imagefolder']);
  const tmp = join(dirname(out), `.${basename(out)}.merge-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const files: Record<string, FileDigest> = {};
    let linked = 0;
    let metadata = '';
    let csv = csvHeader();
    const coco: CocoDocument[] = [];
    const counts: Record<string, number> = Object.fromEntries(ref.classes.map((c) => [c, 0]));
    const images = { count: 0, bytes: 0 };
    let labelled = 0;
    for (const { dir, manifest } of slices) {
      if (layout.files) {
        const text = await readFile(join(dir, 'metadata.jsonl'), 'utf8');
        metadata += text;
        csv += (await readFile(join(dir, 'factors.csv'), 'utf8')).split('\n').slice(1).filter(Boolean).map((l) => `${l}\n`).join('');
        for (const line of text.split('\n')) {
          if (!line) continue;
          for (const f of recordFiles(JSON.parse(line) as SampleRecord)) {
            await linkOrCopy(join(dir, f.file), join(tmp, f.file));
            linked++;
          }
        }
      }
      if (layout.coco) coco.push(JSON.parse(await readFile(join(dir, COCO_FILE), 'utf8')) as CocoDocument);
      for (const [name, digest] of Object.entries(manifest.files)) {
        if (!name.startsWith(`${SHARDS_DIR}/`)) continue;
        await linkOrCopy(join(dir, name), join(tmp, name));
        files[name] = digest;
        linked++;
      }
      for (const [c, n] of Object.entries(manifest.counts)) counts[c] = (counts[c] ?? 0) + n;
      images.count += manifest.images.count;
      images.bytes += manifest.images.bytes;
      labelled += manifest.labels?.samples ?? 0;
    }
    const texts: [string, string][] = [[CLASSES_FILE, classesText(ref.spec.classes)]];
    if (layout.files) texts.push(['metadata.jsonl', metadata], ['factors.csv', csv]);
    if (layout.coco) {
      const categories = coco[0].categories;
      const bad = coco.findIndex((d) => JSON.stringify(d.categories) !== JSON.stringify(categories));
      if (bad >= 0) throw new InputError(`${slices[bad].dir}: expected the COCO categories of ${slices[0].dir}, got different ones`);
      texts.push([COCO_FILE, cocoText(cocoDocument(ref.name, coco.flatMap((d) => d.images), coco.flatMap((d) => d.annotations), categories))]);
    }
    const merged: Record<string, FileDigest> = {};
    for (const [name, text] of texts) {
      await writeFileAtomic(join(tmp, name), text);
      merged[name] = digestOf(text);
    }
    const manifest: Manifest = {
      ...ref, format: MANIFEST_FORMAT, count: ref.total, shard: { index: 0, count: 1, start: 0, end: ref.total },
      counts, images, labels: { passes: ref.labels?.passes ?? [], samples: labelled },
      files: { ...merged, ...Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) },
      // the slice folders' names only: a manifest says nothing of the machine it was made on
      mergedFrom: slices.map((s) => ({ dir: basename(s.dir), shard: s.manifest.shard })),
    };
    await writeFileAtomic(join(tmp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existing) await rmdir(out);
    await rename(tmp, out);
    return { out, count: ref.total, files: linked + texts.length + 1, manifest };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
