/**
 * session.json: the form a session is stored in (store.ts writes and reads it), with the counters and
 * the classifier snapshot it carries.
 */
import type { Binning } from './bins.js';
import type { HardnessData } from './hardness.js';
import type { Strategy } from './strategy.js';
import type { RecentData } from './recent.js';
import type { ResolvedSessionOptions } from './session-options.js';

/** Format tag of session.json. */
export const SESSION_FORMAT = 'synth.session/1';

/** Counters of a session. */
export interface SessionCounters {
  batches: number;
  served: number;
  /** Scene indices used (pruned draws k per kept sample). */
  drawn: number;
  feedbackBatches: number;
  accepted: number;
  rejected: number;
  /** Rejected: ids of no served sample of this session. */
  unknown: number;
  /** Rejected: ids of another session's samples. */
  otherSession: number;
  /** Feedback per strategy that made the sample: records, loss sum and count, errors and count. */
  bySource: Record<Strategy, { records: number; lossSum: number; lossRecords: number; errors: number; errorRecords: number }>;
}

/** The session's classifier snapshot (for `pruned`). */
export interface ClassifierInfo {
  name: string;
  classes: string[];
  image: [number, number];
  /** Where it came from: `upload`, `classifier:<id>`, or a path (CLI). */
  source: string;
  installedAt: string;
}

/** session.json. */
export interface SessionFile {
  format: typeof SESSION_FORMAT;
  id: string;
  createdAt: string;
  name: string;
  /** The spec as given (validated again at load). */
  spec: Record<string, unknown>;
  strategy: Strategy;
  options: ResolvedSessionOptions;
  seed: number;
  binning: Binning;
  /** Bytes per served sample in served.bin: class (u16 LE), strategy (u8), one byte per binned factor. */
  rowBytes: number;
  counters: SessionCounters;
  hardness: HardnessData;
  /** The newest feedback records (absent in files written before neighbour draws existed). */
  recent?: RecentData;
  classifier: ClassifierInfo | null;
}

/** Counters of a new session (every strategy's feedback counters at zero). */
export function emptyCounters(): SessionCounters {
  const source = () => ({ records: 0, lossSum: 0, lossRecords: 0, errors: 0, errorRecords: 0 });
  return {
    batches: 0, served: 0, drawn: 0, feedbackBatches: 0, accepted: 0, rejected: 0, unknown: 0, otherSession: 0,
    bySource: { uniform: source(), hardness: source(), pruned: source(), guided: source() },
  };
}
