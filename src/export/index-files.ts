/**
 * The files an export writes once every sample is on disk, from its journal: `classes.txt`,
 * `metadata.jsonl` and `factors.csv` (ImageFolder), `coco.json`, the tar shards' digests, and
 * `manifest.json`. Same journal, same bytes, whatever order the samples finished in.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../core/fs.js';
import { codeVersions } from '../core/version.js';
import { CLASSES_FILE, classesByLabel, classesText, type Spec } from '../spec/schema.js';
import type { Catalog } from '../spec/catalog.js';
import type { SceneRenderer } from '../render/renderer.js';
import { IMAGE_EXTENSIONS } from '../pipeline/encode.js';
import { digestOf, type FileDigest } from '../pipeline/digest.js';
import { csvHeader, csvRow } from '../pipeline/records.js';
import { cocoCategories, cocoDocument, cocoText, COCO_FILE, type CocoImage } from './coco.js';
import { tarShardPath } from './webdataset.js';
import { MANIFEST_FILE, MANIFEST_FORMAT, hashFile, layoutOf, type Manifest, type ShardInfo, type WriterFormat } from './manifest.js';
import type { JournalEntry } from './journal.js';
import type { TarShards } from './tar-shards.js';

/** What writeIndexFiles needs: the export's work and its journaled samples. */
export interface IndexInput {
  out: string;
  spec: Spec;
  catalog: Catalog;
  renderer: Pick<SceneRenderer, 'backend' | 'adapter'>;
  /** Samples in the whole dataset. */
  total: number;
  shard: ShardInfo;
  formats: WriterFormat[];
  shardSize: number | null;
  /** The slice's samples, in index order. */
  entries: JournalEntry[];
  /** With webdataset: its tar shards (assembled here when a killed run left one unassembled). */
  tarShards: TarShards | null;
}

/**
 * Write the index files of a finished export and its manifest (last: a folder with a manifest is a
 * whole dataset). Returns the manifest.
 */
export async function writeIndexFiles(input: IndexInput): Promise<Manifest> {
  const { out, spec, entries, tarShards } = input;
  const layout = layoutOf(input.formats);
  const records = entries.map((e) => e.record);
  const files: Record<string, FileDigest> = {};
  const writeText = async (name: string, text: string) => {
    await writeFileAtomic(join(out, name), text);
    files[name] = digestOf(text);
  };
  await writeText(CLASSES_FILE, classesText(spec.classes)); // line i: the class of label i, in every format
  if (layout.files) {
    await writeText('metadata.jsonl', records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await writeText('factors.csv', csvHeader() + records.map(csvRow).join(''));
  }
  if (layout.coco) {
    const [width, height] = spec.resolution;
    const ext = IMAGE_EXTENSIONS[spec.format];
    const images: CocoImage[] = records.map((r) => ({
      id: r.index + 1, file_name: layout.files ? r.file : `${r.id}.${ext}`, width, height,
      ...(layout.files || !tarShards ? {} : { shard: tarShardPath(tarShards.shardOf(r.index).n) }),
    }));
    const doc = cocoDocument(spec.name, images, entries.flatMap((e) => e.annotations), cocoCategories(spec, input.catalog));
    await writeText(COCO_FILE, cocoText(doc));
  }
  for (const t of tarShards?.shards ?? []) {
    await tarShards!.assembleIfComplete(t); // resuming a run killed after its last sample but before this
    files[tarShardPath(t.n)] = await hashFile(join(out, tarShardPath(t.n)));
  }
  const counts: Record<string, number> = {};
  for (const c of spec.classes) counts[c] = 0;
  for (const r of records) counts[r.class] = (counts[r.class] ?? 0) + 1;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT, name: spec.name, spec, seed: spec.seed, total: input.total, count: input.shard.end - input.shard.start, shard: input.shard,
    formats: input.formats, shardSize: input.shardSize, classes: classesByLabel(spec.classes), counts, versions: codeVersions(),
    renderer: { backend: input.renderer.backend, adapter: input.renderer.adapter.device || input.renderer.adapter.description },
    files,
    images: { count: records.length, bytes: records.reduce((s, r) => s + r.bytes, 0) },
    labels: { passes: spec.labels, samples: records.filter((r) => r.labels).length },
  };
  await writeFileAtomic(join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
