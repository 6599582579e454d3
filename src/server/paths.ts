/**
 * Keeping every file the service reads or writes inside its data dir: strict job ids, and file
 * paths from URLs checked segment by segment, resolved, and compared with the root after symlinks.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { badField, notFound } from './errors.js';
import { describeValue } from '../core/errors.js';

/** A job id: a random UUID (version 4), lower case. */
export const JOB_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * Check a job id from a URL.
 * @throws HttpError 400 when it is not a UUID v4.
 */
export function checkJobId(id: unknown): string {
  if (typeof id !== 'string' || !JOB_ID_RE.test(id)) throw badField('id', 'a job id (a UUID v4 such as 0f8fad5b-d9cb-469f-a165-70867728950e)', describeValue(id));
  return id;
}

/** A path segment allowed in a file URL: no separators, no NUL, not `.` or `..`, printable. */
const SEGMENT_RE = /^[^/\\\0]+$/;

/**
 * The relative path named by URL segments (already percent-decoded), refusing anything that could
 * leave the folder: `..`, `.`, empty segments, separators or NUL inside a segment, absolute paths.
 * @throws HttpError 400 naming the bad segment.
 */
export function relativeFilePath(segments: readonly string[]): string {
  if (segments.length === 0) throw badField('path', 'a file path inside the dataset', '""');
  for (const s of segments) {
    if (s === '.' || s === '..' || !SEGMENT_RE.test(s) || [...s].some((c) => c.charCodeAt(0) < 0x20)) {
      throw badField('path', 'a file path inside the dataset (no "..", ".", separators or control characters in a segment)', describeValue(segments.join('/')));
    }
  }
  const rel = segments.join('/');
  if (isAbsolute(rel)) throw badField('path', 'a relative file path', describeValue(rel));
  return rel;
}

/** True when `path` is `root` or inside it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Resolve `rel` under `root` and check, after following symlinks, that it stays inside.
 * @throws HttpError 404 when the file does not exist or escapes the root (both look the same to a client).
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  const rootAbs = resolve(root);
  const full = resolve(join(rootAbs, rel));
  if (!isInside(rootAbs, full)) throw notFound(`no file ${rel}`);
  let real: string;
  let realRoot: string;
  try {
    [real, realRoot] = await Promise.all([realpath(full), realpath(rootAbs)]);
  } catch {
    throw notFound(`no file ${rel}`);
  }
  if (!isInside(realRoot, real)) throw notFound(`no file ${rel}`);
  return real;
}
