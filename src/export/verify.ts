/**
 * `synth verify`: re-hash every file a dataset's manifest lists, and every image and label map its
 * metadata.jsonl lists, and report each file that is missing or differs, and each file under a
 * folder of them that none lists (a stray image in `images/<class>/` is read by ImageFolder loaders).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { InputError } from '../core/errors.js';
import { exists } from '../core/fs.js';
import { hashFile, readManifest, PROGRESS_DIR, MANIFEST_FILE, type FileDigest } from './manifest.js';
import { recordFiles, type SampleRecord } from '../pipeline/records.js';

/** What verifyDataset found. */
export interface VerifyReport {
  dir: string;
  /** Files hashed. */
  checked: number;
  /** One line per problem: `missing: <path>`, `corrupt: <path> (...)`, `unknown: <path>`, ... */
  problems: string[];
}

/** Files hashed at once. */
const VERIFY_CONCURRENCY = 8;

/**
 * Check a dataset folder against its manifest.
 * @throws InputError when `dir` is not a synth dataset (no folder, no manifest, or not a synth manifest).
 */
export async function verifyDataset(dir: string): Promise<VerifyReport> {
  const root = resolve(dir);
  if (!(await stat(root).then((s) => s.isDirectory(), () => false))) throw new InputError(`${dir}: expected a dataset folder, got no such folder`);
  const manifest = await readManifest(root);
  if (!manifest) {
    const unfinished = await exists(join(root, PROGRESS_DIR));
    throw new InputError(`${dir}: not a synth dataset (no ${MANIFEST_FILE})${unfinished ? `; it holds an unfinished export: finish it with synth export --resume` : ''}`);
  }
  const problems: string[] = [];
  const jobs: [string, FileDigest][] = Object.entries(manifest.files ?? {});
  if (manifest.files?.['metadata.jsonl']) {
    const text = await readFile(join(root, 'metadata.jsonl'), 'utf8').catch(() => null);
    if (text !== null) {
      let records = 0;
      text.split('\n').forEach((line, i) => {
        if (!line) return;
        let r: SampleRecord;
        try {
          r = JSON.parse(line) as SampleRecord;
        } catch {
          problems.push(`corrupt: metadata.jsonl line ${i + 1} is not JSON`);
          return;
        }
        records++;
        for (const f of recordFiles(r)) jobs.push([f.file, f]);
      });
      if (manifest.images && records !== manifest.images.count) problems.push(`corrupt: metadata.jsonl lists ${records} images, the manifest ${manifest.images.count}`);
    }
  }
  if (await exists(join(root, PROGRESS_DIR))) problems.push(`unfinished: ${PROGRESS_DIR} is still there (an export or resume did not finish)`);

  problems.push(...(await unlistedFiles(root, jobs.map(([name]) => name))).map((name) => `unknown: ${name} (a file no manifest or metadata.jsonl lists)`));

  let next = 0;
  const check = async () => {
    while (next < jobs.length) {
      const [name, want] = jobs[next++];
      const path = resolve(root, name);
      if (!path.startsWith(root + sep)) {
        problems.push(`corrupt: ${name} points outside the dataset`);
        continue;
      }
      let got: FileDigest;
      try {
        got = await hashFile(path);
      } catch (err) {
        problems.push((err as NodeJS.ErrnoException).code === 'ENOENT' ? `missing: ${name}` : `unreadable: ${name} (${(err as Error).message})`);
        continue;
      }
      if (got.bytes !== want.bytes) problems.push(`corrupt: ${name} (${got.bytes} bytes, expected ${want.bytes})`);
      else if (got.sha256 !== want.sha256) problems.push(`corrupt: ${name} (sha256 ${got.sha256.slice(0, 12)}..., expected ${want.sha256.slice(0, 12)}...)`);
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, check));
  return { dir: root, checked: jobs.length, problems: problems.sort() };
}

/**
 * Files and folders under the folders of `listed` files (images/, images/<class>/, shards/, ...) that
 * `listed` does not hold, as paths relative to `root` with `/` separators, sorted: a stray image, or a
 * stray class folder that an ImageFolder loader would take for one more class.
 */
export async function unlistedFiles(root: string, listed: readonly string[]): Promise<string[]> {
  const known = new Set(listed.map((name) => name.split(sep).join('/')));
  const folders = new Set<string>();
  for (const name of known) { // each listed file's folder and the folders above it, up to the dataset root
    for (let slash = name.lastIndexOf('/'); slash > 0; slash = name.lastIndexOf('/', slash - 1)) folders.add(name.slice(0, slash));
  }
  const out: string[] = [];
  for (const folder of folders) {
    const entries = await readdir(join(root, folder), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const name = `${folder}/${e.name}`;
      if (!known.has(name) && !folders.has(name)) out.push(relative(root, join(root, name)).split(sep).join('/'));
    }
  }
  return out.sort();
}
