/**
 * An export's tar shards while it runs: which shard holds a sample, how many of each shard's samples
 * are journaled, and assembling a shard from its samples' fragments once all are (see webdataset.ts).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../core/fs.js';
import { assembleTarShard, tarShardPath, tarShardsIn, type TarShardRange } from './webdataset.js';
import { fragmentPath, type JournalEntry } from './journal.js';

/** The tar shards of samples [start, end) of an export to `out`, assembled as their samples finish. */
export class TarShards {
  /** The shards, in order. */
  readonly shards: TarShardRange[];
  private readonly done = new Map<number, number>();
  private readonly assembling = new Set<number>();
  private readonly onDiskCache = new Map<number, Promise<boolean>>();

  constructor(private readonly out: string, start: number, end: number, private readonly shardSize: number, private readonly entries: ReadonlyMap<number, JournalEntry>) {
    this.shards = tarShardsIn(start, end, shardSize);
  }

  /** The shard holding sample `index`. */
  shardOf(index: number): TarShardRange {
    return this.shards[Math.floor(index / this.shardSize) - this.shards[0].n];
  }

  /** True when sample `e`'s members are on disk: its shard, or its fragment. */
  async onDisk(e: JournalEntry): Promise<boolean> {
    const n = this.shardOf(e.record.index).n;
    if (!this.onDiskCache.has(n)) this.onDiskCache.set(n, exists(join(this.out, tarShardPath(n))));
    return await this.onDiskCache.get(n)! || exists(fragmentPath(this.out, e.record.id));
  }

  /** Count sample `index` as journaled. */
  count(index: number): void {
    const n = this.shardOf(index).n;
    this.done.set(n, (this.done.get(n) ?? 0) + 1);
  }

  /** Count sample `index` as journaled and assemble its shard when it was the last one missing. */
  async journaled(index: number): Promise<void> {
    this.count(index);
    await this.assembleIfComplete(this.shardOf(index));
  }

  /** Build shard `t` when all its samples are journaled and it is not on disk yet; its fragments go. */
  async assembleIfComplete(t: TarShardRange): Promise<void> {
    if (this.assembling.has(t.n) || (this.done.get(t.n) ?? 0) !== t.end - t.start) return;
    this.assembling.add(t.n);
    const path = join(this.out, tarShardPath(t.n));
    if (await exists(path)) return;
    const ids: string[] = [];
    for (let i = t.start; i < t.end; i++) ids.push(this.entries.get(i)!.record.id);
    await assembleTarShard(path, ids.map((id) => fragmentPath(this.out, id)));
    await Promise.all(ids.map((id) => rm(fragmentPath(this.out, id), { force: true })));
  }
}
