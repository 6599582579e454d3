/**
 * WebDataset tar shards: `shards/shard-%06d.tar`, shard n holding the samples with global index in
 * [n * shardSize, (n + 1) * shardSize). Each sample is a group of members (pipeline/members.ts),
 * encoded on its own (a tar fragment); a shard is the concatenation of its samples' fragments plus the
 * end marker.
 */
import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempPathFor } from '../core/fs.js';
import { shardRange } from '../spec/sample.js';
import { TAR_END } from '../pipeline/tar.js';

/** Folder of the tar shards in a dataset. */
export const SHARDS_DIR = 'shards';

/** Path of tar shard `n` relative to the dataset root. */
export function tarShardPath(n: number): string {
  return `${SHARDS_DIR}/shard-${String(n).padStart(6, '0')}.tar`;
}

/** A tar shard and the global sample indices [start, end) it holds (clipped to a range). */
export interface TarShardRange {
  n: number;
  start: number;
  end: number;
}

/** The tar shards overlapping samples [start, end), each clipped to that range. */
export function tarShardsIn(start: number, end: number, shardSize: number): TarShardRange[] {
  const out: TarShardRange[] = [];
  for (let n = Math.floor(start / shardSize); n * shardSize < end; n++) {
    out.push({ n, start: Math.max(start, n * shardSize), end: Math.min(end, (n + 1) * shardSize) });
  }
  return out;
}

/**
 * Sample range of process slice `shardIndex` of `numShards` when tar shards are written: whole tar
 * shards are dealt out (slice k gets tar shards [floor(k T / n), floor((k + 1) T / n)) of
 * T = ceil(total / shardSize)), so every slice writes complete, globally numbered shards and the
 * slices' shards are the single run's shards. A slice may get no samples when n > T.
 */
export function alignedSliceRange(total: number, shardIndex: number, numShards: number, shardSize: number): [number, number] {
  const [a, b] = shardRange(Math.ceil(total / shardSize), shardIndex, numShards);
  return [Math.min(total, a * shardSize), Math.min(total, b * shardSize)];
}

/** Fragments read and written at once while assembling a shard. */
const ASSEMBLY_BATCH = 64;

/**
 * Write a tar at `path` from `chunks` (tar bytes in order; an array is written in one call), then the
 * end-of-archive blocks, through a temp file renamed when complete: a tar that exists is whole. When
 * `chunks` throws, the temp file goes and nothing is left behind.
 */
export async function writeTarFile(path: string, chunks: AsyncIterable<Uint8Array | readonly Uint8Array[]>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  try {
    for await (const chunk of chunks) {
      if (chunk instanceof Uint8Array) await fh.write(chunk);
      else await fh.writev([...chunk]);
    }
    await fh.write(TAR_END);
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/**
 * Write a shard at `path` from sample fragments (in order), through a temp file renamed when
 * complete, so a shard file that exists is a whole shard.
 */
export async function assembleTarShard(path: string, fragments: readonly string[]): Promise<void> {
  await writeTarFile(path, (async function* () {
    // Batches keep event-loop turns few: the render loop shares the thread.
    for (let i = 0; i < fragments.length; i += ASSEMBLY_BATCH) {
      yield await Promise.all(fragments.slice(i, i + ASSEMBLY_BATCH).map((f) => readFile(f)));
    }
  })());
}
