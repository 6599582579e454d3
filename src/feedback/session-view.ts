/**
 * What a session shows: its summary in lists and its full view (GET /v1/sessions/:id, `synth session
 * show`): counts, feedback per strategy, and the hardness and draw probability of every class and
 * factor bin.
 */
import { classesByLabel, type Spec } from '../spec/schema.js';
import { binLabel, type Binning } from './bins.js';
import type { HardnessMap } from './hardness.js';
import { STRATEGIES, type MixtureTables, type Strategy } from './strategy.js';
import type { RecentRecords } from './recent.js';
import type { ResolvedSessionOptions } from './session-options.js';
import type { ClassifierInfo, SessionCounters } from './session-file.js';

/** What a session's views read (a Session is one). */
export interface ViewSource {
  readonly id: string;
  readonly createdAt: string;
  readonly rawSpec: Record<string, unknown>;
  readonly spec: Spec;
  readonly strategy: Strategy;
  readonly seed: number;
  readonly options: ResolvedSessionOptions;
  readonly binning: Binning;
  readonly hardness: HardnessMap;
  readonly recent: RecentRecords;
  readonly counters: SessionCounters;
  readonly classifier: ClassifierInfo | null;
  /** The mixture the next hardness batch draws from. */
  tables(): MixtureTables;
}

/** A short summary (lists). */
export function sessionSummary(session: ViewSource): SessionSummary {
  const c = session.counters;
  return {
    id: session.id, name: session.spec.name, createdAt: session.createdAt, strategy: session.strategy,
    counts: { batches: c.batches, served: c.served, drawn: c.drawn, feedbackBatches: c.feedbackBatches, accepted: c.accepted, rejected: c.rejected },
  };
}

/** The full view: counts, per-class and per-factor-bin hardness, the mixture in use. */
export function sessionView(session: ViewSource): SessionView {
  const map = session.hardness;
  const t = session.tables();
  const signal = t.signal;
  const o = session.options;
  const hard = signal === null ? { numbers: [], scores: [] } : session.recent.hardest(signal, o.hardFraction);
  const mean = (s: { lossWeight: number; lossSum: number }) => (s.lossWeight > 0 ? s.lossSum / s.lossWeight : null);
  const err = (s: { errorWeight: number; errorSum: number }) => (s.errorWeight > 0 ? s.errorSum / s.errorWeight : null);
  const g = map.global;
  const classes = session.binning.classes.map((name, c) => {
    const s = map.stats(c);
    return { class: name, hardness: t.classHardness[c], loss: mean(s), errorRate: err(s), weight: signal === 'error' ? s.errorWeight : s.lossWeight, records: s.records, probability: t.classProbs[c] };
  });
  const factors = session.binning.factors.map((fb, f) => ({
    factor: fb.factor,
    kind: fb.kind,
    bins: Array.from({ length: fb.count }, (_, j) => {
      const s = map.marginal(f, j);
      return {
        bin: j, label: binLabel(fb, j), hardness: signal === null ? 0 : map.hardnessOf(s, signal, o.priorWeight), loss: mean(s), errorRate: err(s),
        weight: signal === 'error' ? s.errorWeight : s.lossWeight, records: s.records,
        probability: t.classProbs.reduce((p, pc, c) => p + pc * t.binProbs[c][f][j], 0),
        byClass: t.binHardness.map((row) => row[f][j]),
      };
    }),
  }));
  const c = session.counters;
  const bySource = Object.fromEntries(STRATEGIES.map((s) => {
    const b = c.bySource[s];
    return [s, { records: b.records, meanLoss: b.lossRecords > 0 ? b.lossSum / b.lossRecords : null, errorRate: b.errorRecords > 0 ? b.errors / b.errorRecords : null }];
  })) as SessionView['feedback']['bySource'];
  return {
    id: session.id, name: session.spec.name, createdAt: session.createdAt, strategy: session.strategy, seed: session.seed, options: o, spec: session.rawSpec,
    labels: classesByLabel(session.spec.classes),
    counts: { batches: c.batches, served: c.served, drawn: c.drawn },
    feedback: { batches: c.feedbackBatches, accepted: c.accepted, rejected: c.rejected, unknown: c.unknown, otherSession: c.otherSession, bySource },
    hardness: {
      signal, temperature: t.temperature, epsilon: o.epsilon,
      global: { loss: mean(g), lossStd: g.lossWeight > 0 ? map.globalStd('loss') : null, errorRate: err(g), records: g.records },
      classes, factors,
      neighbours: { share: o.neighbours, hardFraction: o.hardFraction, records: session.recent.size, hard: hard.numbers.length, minScore: hard.scores.length > 0 ? hard.scores[hard.scores.length - 1] : null },
    },
    classifier: session.classifier,
  };
}

/** A session in a list. */
export interface SessionSummary {
  id: string;
  name: string;
  createdAt: string;
  strategy: Strategy;
  counts: { batches: number; served: number; drawn: number; feedbackBatches: number; accepted: number; rejected: number };
}

/** The full view of a session (GET /v1/sessions/:id, `synth session show`). */
export interface SessionView {
  id: string;
  name: string;
  createdAt: string;
  strategy: Strategy;
  seed: number;
  options: ResolvedSessionOptions;
  spec: Record<string, unknown>;
  /** The class names in label order: a sample's label (`.cls`) is its class's index here, as in an export's classes.txt. */
  labels: string[];
  counts: { batches: number; served: number; drawn: number };
  feedback: {
    batches: number; accepted: number; rejected: number; unknown: number; otherSession: number;
    bySource: Record<Strategy, { records: number; meanLoss: number | null; errorRate: number | null }>;
  };
  hardness: {
    signal: 'loss' | 'error' | null;
    temperature: number;
    epsilon: number;
    global: { loss: number | null; lossStd: number | null; errorRate: number | null; records: number };
    /** Neighbour draws: their share, the recent records kept, how many are the hard ones drawn around, and the lowest score among them. */
    neighbours: { share: number; hardFraction: number; records: number; hard: number; minScore: number | null };
    classes: { class: string; hardness: number; loss: number | null; errorRate: number | null; weight: number; records: number; probability: number }[];
    factors: {
      factor: string; kind: 'range' | 'values';
      bins: { bin: number; label: string; hardness: number; loss: number | null; errorRate: number | null; weight: number; records: number; probability: number; byClass: number[] }[];
    }[];
  };
  classifier: ClassifierInfo | null;
}
