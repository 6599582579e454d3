/**
 * A session's options: their defaults (SESSION_DEFAULTS, the one place the CLI, the HTTP schema and
 * the Python client take them from), their schema, and their resolved form stored in session.json.
 * Why each default has its value: docs/feedback-defaults.md.
 */
import { z } from 'zod';
import { BIN_DEFAULTS, MAX_BINS, type Binning } from './bins.js';
import { GuidedOptionsSchema, type GuidedOptions } from './guided-options.js';
import { HARDNESS_DEFAULTS, type HardnessSignal } from './hardness.js';
import { MIXTURE_DEFAULTS, type Strategy } from './strategy.js';
import { RECENT_DEFAULTS } from './recent.js';

/** Defaults of a session's options; the CLI and HTTP read this, never a copy. */
export const SESSION_DEFAULTS = {
  /**
   * `uniform`: in the project's Deliberate Practice experiment `hardness` ended within the seed spread
   * of `uniform` at equal samples, and `pruned`, the one strategy that did better, needs a classifier
   * a new session does not have and renders `candidates` times the samples (docs/feedback-defaults.md).
   */
  strategy: 'uniform' as Strategy,
  bins: BIN_DEFAULTS.bins,
  epsilon: MIXTURE_DEFAULTS.epsilon,
  temperatureScale: MIXTURE_DEFAULTS.temperatureScale,
  halfLife: HARDNESS_DEFAULTS.halfLife,
  priorWeight: HARDNESS_DEFAULTS.priorWeight,
  signal: 'auto' as HardnessSignal,
  /** k of `pruned`: candidates rendered per kept sample. */
  candidates: 4,
  /** hardness: share of draws made in the joint cells of the hardest recent records (see recent.ts). */
  neighbours: 0,
  hardFraction: RECENT_DEFAULTS.hardFraction,
  /** Feedback records kept for the joint cells. */
  recent: RECENT_DEFAULTS.capacity,
};

/** Options of a session (every one optional; SESSION_DEFAULTS fills them). */
export const SessionOptionsSchema = z.strictObject({
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('seed of the session\'s draws and scenes (default: the spec\'s seed)'),
  bins: z.number().int().min(1).max(MAX_BINS).optional().describe(`equal-width bins of each numeric factor (default ${SESSION_DEFAULTS.bins})`),
  factors: z.array(z.string()).optional().describe('factors to bin (default: every factor the spec lists and varies); may name an unlisted factor whose default varies, e.g. yaw'),
  epsilon: z.number().min(0).max(1).optional().describe(`weight of uniform coverage in the hardness mixture (default ${SESSION_DEFAULTS.epsilon})`),
  temperature: z.number().positive().optional().describe('a fixed softmax temperature τ (default: temperatureScale × the per-sample standard deviation of the reported losses)'),
  temperatureScale: z.number().positive().optional().describe(`τ as a multiple of the per-sample spread of the signal (default ${SESSION_DEFAULTS.temperatureScale})`),
  halfLife: z.number().positive().optional().describe(`records after which old feedback weighs half (default ${SESSION_DEFAULTS.halfLife})`),
  priorWeight: z.number().min(0).optional().describe(`pseudo-records of the global mean in every cell (default ${SESSION_DEFAULTS.priorWeight})`),
  signal: z.enum(['auto', 'loss', 'error']).optional().describe('hardness from the mean loss, the error rate, or auto: loss once any loss came, else error rate'),
  candidates: z.number().int().min(1).max(64).optional().describe(`pruned: candidates rendered per kept sample (default ${SESSION_DEFAULTS.candidates})`),
  guided: GuidedOptionsSchema.optional().describe('guided: the generator and the guidance of its samples'),
  balanceClasses: z.boolean().optional().describe('hardness and guided: draw classes uniformly and tilt only the factor bins within each class (Deliberate Practice keeps classes balanced); default false'),
  neighbours: z.number().min(0).max(1).optional().describe(`hardness: share of draws made in the joint cell (class and every factor's bin) of one of the hardest recent records, the rest from the per-factor mixture (default ${SESSION_DEFAULTS.neighbours})`),
  hardFraction: z.number().gt(0).max(1).optional().describe(`hardness: the hardest fraction of the recent records whose joint cells neighbours are drawn in (default ${SESSION_DEFAULTS.hardFraction})`),
  recent: z.number().int().min(1).max(1_000_000).optional().describe(`hardness: the newest feedback records kept for neighbour draws (default ${SESSION_DEFAULTS.recent})`),
});
/** Options of a session as given (see SessionOptionsSchema). */
export type SessionOptions = z.infer<typeof SessionOptionsSchema>;

/** Options with every default filled in (the form stored in session.json). */
export interface ResolvedSessionOptions {
  bins: number;
  factors: string[];
  epsilon: number;
  temperature: number | null;
  temperatureScale: number;
  halfLife: number;
  priorWeight: number;
  signal: HardnessSignal;
  candidates: number;
  /** guided: options as given (resolved against the generator and classifier at each batch). */
  guided?: GuidedOptions;
  /** Classes drawn uniformly; hardness tilts only the factor bins. */
  balanceClasses?: boolean;
  /** hardness: share of draws in the joint cells of the hardest recent records. */
  neighbours: number;
  hardFraction: number;
  /** Feedback records kept for them. */
  recent: number;
}

/** Resolve options against SESSION_DEFAULTS and the spec (the binning checks `factors`). */
export function resolveOptions(options: SessionOptions, binning: Binning): ResolvedSessionOptions {
  return {
    bins: options.bins ?? SESSION_DEFAULTS.bins,
    factors: binning.factors.map((f) => f.factor),
    epsilon: options.epsilon ?? SESSION_DEFAULTS.epsilon,
    temperature: options.temperature ?? null,
    temperatureScale: options.temperatureScale ?? SESSION_DEFAULTS.temperatureScale,
    halfLife: options.halfLife ?? SESSION_DEFAULTS.halfLife,
    priorWeight: options.priorWeight ?? SESSION_DEFAULTS.priorWeight,
    signal: options.signal ?? SESSION_DEFAULTS.signal,
    candidates: options.candidates ?? SESSION_DEFAULTS.candidates,
    ...(options.guided ? { guided: options.guided } : {}),
    ...(options.balanceClasses ? { balanceClasses: true } : {}),
    neighbours: options.neighbours ?? SESSION_DEFAULTS.neighbours,
    hardFraction: options.hardFraction ?? SESSION_DEFAULTS.hardFraction,
    recent: options.recent ?? SESSION_DEFAULTS.recent,
  };
}

/**
 * Options as read from a session.json: files written before neighbour draws existed keep their
 * behaviour (no neighbour draws) and get the defaults of the rest.
 */
export function storedOptions(stored: Partial<ResolvedSessionOptions> & Omit<ResolvedSessionOptions, 'neighbours' | 'hardFraction' | 'recent'>): ResolvedSessionOptions {
  return { ...stored, neighbours: stored.neighbours ?? 0, hardFraction: stored.hardFraction ?? SESSION_DEFAULTS.hardFraction, recent: stored.recent ?? SESSION_DEFAULTS.recent };
}
