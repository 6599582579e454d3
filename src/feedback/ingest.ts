/**
 * Feedback records: `{id, loss?, correct?}` per served sample. Validation is one hand-written pass
 * (a batch holds thousands of records; every problem names its index: `records[17].loss: expected a
 * finite number >= 0, got "x"`), and ids are resolved to served samples by their session prefix.
 */
import { InputError, describeValue, type InputIssue } from '../core/errors.js';

/** One reported outcome of a served sample. */
export interface FeedbackRecord {
  /** The session sample id (`<sessionId>-<n>`, as served in the sample's json). */
  id: string;
  /** The trainer's loss on the sample (finite, >= 0). */
  loss?: number;
  /** Whether the trainer's model got the sample right. */
  correct?: boolean;
}

/** Problems reported at most per invalid batch (the first ones, in record order). */
export const MAX_REPORTED_ISSUES = 10;

/** Longest accepted sample id. */
export const MAX_ID_LENGTH = 200;

/**
 * Largest accepted loss. Per-sample losses of classifiers and detectors sit far below it; a larger
 * one is a trainer's bug (a summed or overflowed loss), and its square would overflow the hardness
 * map's sums (1.797e308 turned every hardness into NaN/null for good).
 */
export const MAX_LOSS = 1e6;

const RECORD_KEYS = new Set(['id', 'loss', 'correct']);

/**
 * Validate a feedback body `{records: [...]}` (or a bare array of records, `root` naming it).
 * @throws InputError listing up to MAX_REPORTED_ISSUES problems, each with its path `records[i].field`
 */
export function validateFeedback(body: unknown, root = 'records'): FeedbackRecord[] {
  let records: unknown = body;
  if (!Array.isArray(body)) {
    if (typeof body !== 'object' || body === null) throw new InputError([issue('body', 'an object {records: [{id, loss?, correct?}, ...]}', body)]);
    const extra = Object.keys(body).filter((k) => k !== 'records');
    if (extra.length > 0) throw new InputError([issue('body', 'only the key records', `unknown keys ${describeValue(extra)}`, true)]);
    records = (body as { records?: unknown }).records;
    if (!Array.isArray(records)) throw new InputError([issue(root, 'an array of {id, loss?, correct?}', records)]);
  }
  const list = records as unknown[];
  const issues: InputIssue[] = [];
  for (let i = 0; i < list.length && issues.length < MAX_REPORTED_ISSUES; i++) {
    const r = list[i] as Record<string, unknown>;
    const at = `${root}[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      issues.push(issue(at, 'an object {id, loss?, correct?}', r));
      continue;
    }
    const { id, loss, correct } = r;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) issues.push(issue(`${at}.id`, `a sample id (a string of 1 to ${MAX_ID_LENGTH} characters)`, id));
    if (loss !== undefined && !(typeof loss === 'number' && Number.isFinite(loss) && loss >= 0)) issues.push(issue(`${at}.loss`, 'a finite number >= 0', loss));
    else if (typeof loss === 'number' && loss > MAX_LOSS) issues.push(issue(`${at}.loss`, `a per-sample loss of at most ${MAX_LOSS} (cap MAX_LOSS)`, loss));
    if (correct !== undefined && typeof correct !== 'boolean') issues.push(issue(`${at}.correct`, 'a boolean', correct));
    if (loss === undefined && correct === undefined) issues.push(issue(at, 'a loss or correct (or both)', r));
    for (const k in r) {
      if (!RECORD_KEYS.has(k)) {
        issues.push(issue(at, 'only the keys id, loss, correct', `unknown key ${describeValue(k)}`, true));
        break;
      }
    }
  }
  if (issues.length > 0) throw new InputError(issues);
  return list as FeedbackRecord[];
}

function issue(path: string, expected: string, received: unknown, raw = false): InputIssue {
  const got = raw ? String(received) : describeValue(received);
  return { path, expected, received: got, message: `${path}: expected ${expected}, got ${got}` };
}

/** Separator between the session id and the sample number in a sample id. */
export const SAMPLE_ID_SEPARATOR = '-';

/** The id of sample `n` of session `sessionId`: `<sessionId>-<n, 8 digits at least>`. */
export function sessionSampleId(sessionId: string, n: number): string {
  return `${sessionId}${SAMPLE_ID_SEPARATOR}${String(n).padStart(8, '0')}`;
}

/** Session ids: random UUIDs (v4), lower case. */
export const SESSION_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SAMPLE_ID_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})-(\d{1,15})$/;

/**
 * The sample number of `id` in session `sessionId`: >= 0 for a sample of this session (served or
 * not: the caller checks), -1 for an id that is no session sample id, -2 for another session's.
 */
export function sampleNumberOf(id: string, sessionId: string): number {
  const n = sessionId.length;
  if (id.length > n + 1 && id.startsWith(sessionId) && id.charCodeAt(n) === 45 /* - */) {
    let v = 0;
    for (let i = n + 1; i < id.length; i++) {
      const d = id.charCodeAt(i) - 48;
      if (d < 0 || d > 9 || i - n > 15) return -1;
      v = v * 10 + d;
    }
    return v;
  }
  return SAMPLE_ID_RE.test(id) ? -2 : -1;
}
