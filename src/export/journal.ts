/**
 * An export's journal and output folder: `out` is refused, cleared or kept for resuming, and each
 * sample whose files are all on disk is appended to `.synth-progress/journal.jsonl` (its metadata
 * record and COCO annotations). A run killed at any point resumes from what the journal and the disk
 * agree on.
 */
import { mkdir, readFile, rm, readdir } from 'node:fs/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OutputError } from '../core/errors.js';
import { writeFileAtomic, exists, isNonEmptyDir, removeTempFiles } from '../core/fs.js';
import type { SampleRecord } from '../pipeline/records.js';
import type { CocoAnnotation } from './coco.js';
import { PROGRESS_DIR, MANIFEST_FILE, manifestIdentity, type Manifest } from './manifest.js';

/** One journal line: a sample whose files are all on disk. */
export interface JournalEntry {
  record: SampleRecord;
  annotations: CocoAnnotation[];
}

const JOURNAL = 'journal.jsonl';
const FRAGMENTS = 'webdataset';

/** Where a WebDataset sample's tar fragment waits until its shard is assembled. */
export function fragmentPath(out: string, id: string): string {
  return join(out, PROGRESS_DIR, FRAGMENTS, `${id}.tar`);
}

/** What prepareOutput found: the finished samples to keep, or a finished export of the same work. */
export type PreparedOutput = { entries: Map<number, JournalEntry>; cutLine: boolean } | 'complete';

/**
 * Make `out` ready: refuse, clear, or keep it for resuming. Returns the journal entries whose files
 * `onDisk` finds (and whether the journal's last line was cut by a kill), or 'complete' for a finished
 * export of the same work (`identity`).
 * @throws OutputError when `out` holds something else, or is not empty and neither resume nor overwrite applies.
 */
export async function prepareOutput(
  out: string, identity: string, opts: { resume: boolean; overwrite: boolean }, onDisk: (e: JournalEntry) => Promise<boolean>,
): Promise<PreparedOutput> {
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

/** The journal file, appended to synchronously (a line is on disk before the next sample counts as done). */
export class Journal {
  private readonly fd: number;

  /** Open `out`'s journal for appending; after a line cut by a kill, the next entry starts on a line of its own. */
  constructor(out: string, cutLine: boolean) {
    this.fd = openSync(join(out, PROGRESS_DIR, JOURNAL), 'a');
    if (cutLine) writeSync(this.fd, '\n');
  }

  /** Append a sample whose files are all on disk. */
  append(entry: JournalEntry): void {
    writeSync(this.fd, `${JSON.stringify(entry)}\n`);
  }

  /** Close the file (every entry appended is on disk already). */
  close(): void {
    closeSync(this.fd);
  }
}
