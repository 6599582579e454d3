/** File helpers: atomic writes (temp file then rename) so a killed process never leaves a half file. */
import { mkdir, rename, writeFile, rm, readdir, stat } from 'node:fs/promises';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Name of a temp file beside `path`; writers clean up leftovers matching TEMP_SUFFIX_RE on resume. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Temp files made by tempPathFor. */
export const TEMP_FILE_RE = /^\..+\.[0-9a-f]{8}\.tmp$/;

/** Write `data` to `path` atomically: readers see the old file or the whole new one, never a part. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * writeFileAtomic on the calling thread, for the many small files of an export (images, label maps),
 * which its writer thread writes (pipeline/writer-pool.ts): about 0.1 ms per 30 KB file on a local
 * disk, against about 0.7 ms of CPU for the promise version's five thread-pool round trips (mkdir,
 * open, write, close, rename). `dirs` remembers the folders made, so each is made once per caller.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array, dirs?: Set<string>): void {
  const dir = dirname(path);
  if (!dirs?.has(dir)) {
    mkdirSync(dir, { recursive: true });
    dirs?.add(dir);
  }
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `path` is a directory with at least one entry. */
export async function isNonEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch {
    return false;
  }
}

/** Remove stray temp files (from a killed run) under `dir`, recursively. */
export async function removeTempFiles(dir: string): Promise<number> {
  let removed = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) removed += await removeTempFiles(p);
    else if (TEMP_FILE_RE.test(e.name)) {
      await rm(p, { force: true });
      removed++;
    }
  }
  return removed;
}
