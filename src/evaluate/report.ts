/**
 * The evaluation's files as plain data (pure): report.json, the CSV tables, report.md, and the names
 * of the plots. The run (run.ts) writes them.
 */
import type { FactorValue } from '../spec/schema.js';
import type { Aggregates, GroupStats } from './metrics.js';

/** Format tag of report.json. */
export const REPORT_FORMAT = 'synth.evaluation/1';

/** A worst setting found by the search (search.ts), as the report lists it. */
export interface SearchFinding {
  class: string;
  factors: Record<string, FactorValue>;
  loss: number;
  correct: boolean;
  predicted: string | null;
  confidence: number;
  /** The image, relative to the output folder. */
  image: string;
  /** The highest loss the random phase had found, before the cross-entropy method. */
  randomLoss: number;
}

/** What the search did and found. */
export interface SearchSummary {
  budget: number;
  renders: number;
  factors: { name: string; range: [number, number] }[];
  method: string;
  /** Per class, the worst setting found (highest loss). */
  worst: SearchFinding[];
  /** The factors the spec lists (report.md shows these of each finding; report.json has them all). */
  listed: string[];
}

/** report.json. */
export interface Report {
  format: typeof REPORT_FORMAT;
  model: { name: string; classes: string[]; image: [number, number]; sha256: string | null };
  source: Record<string, unknown>;
  mapping: Record<string, string[]>;
  count: number;
  overall: GroupStats;
  perClass: Aggregates['perClass'];
  factors: Aggregates['factors'];
  classFactors: Aggregates['classFactors'];
  pairs: Aggregates['pairs'];
  consistency: Aggregates['consistency'];
  worst: Aggregates['worst'];
  plots: { factors: Record<string, string>; pairs: { a: string; b: string; file: string }[] };
  search: SearchSummary | null;
}

/** A file name piece for a factor (dots kept: `camera.distance`). */
export function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Plot file names, relative to the output folder. */
export function plotFiles(agg: Aggregates): Report['plots'] {
  return {
    factors: Object.fromEntries(agg.factors.map((f) => [f.factor, `plots/accuracy-${slug(f.factor)}.png`])),
    pairs: agg.pairs.map((p) => ({ a: p.a, b: p.b, file: `plots/pair-${slug(p.a)}--${slug(p.b)}.png` })),
  };
}

function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

const STAT_COLUMNS = ['n', 'correct', 'accuracy', 'ci_low', 'ci_high', 'mean_loss', 'ece'] as const;
const stats = (s: GroupStats) => [s.n, s.correct, s.accuracy, s.ci[0], s.ci[1], s.meanLoss, s.ece];

/** The CSV tables: file name (under tables/) -> content. */
export function csvTables(report: Report): Record<string, string> {
  const out: Record<string, string> = {
    'overall.csv': csv(STAT_COLUMNS, [stats(report.overall)]),
    'per-class.csv': csv(['class', ...STAT_COLUMNS], report.perClass.map((c) => [c.class, ...stats(c)])),
    'per-factor.csv': csv(['factor', 'value', ...STAT_COLUMNS], report.factors.flatMap((f) => f.cells.map((c) => [f.factor, c.value, ...stats(c)]))),
    'class-factor.csv': csv(['class', 'factor', 'value', ...STAT_COLUMNS], report.classFactors.flatMap((f) => f.cells.map((c) => [c.class, f.factor, c.value, ...stats(c)]))),
    'pairs.csv': csv(['factor_a', 'value_a', 'factor_b', 'value_b', ...STAT_COLUMNS], report.pairs.flatMap((p) => p.cells.map((c) => [p.a, c.a, p.b, c.b, ...stats(c)]))),
    'worst.csv': csv(['cell', ...STAT_COLUMNS], report.worst.map((w) => [Object.entries(w.factors).map(([k, v]) => `${k}=${v}`).join(' & '), ...stats(w)])),
  };
  if (report.consistency.length > 0) {
    out['consistency.csv'] = csv(['factor', 'sweeps', 'consistent', 'share', 'ci_low', 'ci_high'], report.consistency.map((c) => [c.factor, c.sweeps, c.consistent, c.share, c.ci[0], c.ci[1]]));
  }
  if (report.search) {
    out['search.csv'] = csv(['class', 'loss', 'random_phase_loss', 'correct', 'predicted', 'confidence', 'image', ...report.search.factors.map((f) => f.name)],
      report.search.worst.map((w) => [w.class, w.loss, w.randomLoss, w.correct, w.predicted, w.confidence, w.image, ...report.search!.factors.map((f) => w.factors[f.name])]));
  }
  return out;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ci = (s: GroupStats) => `${pct(s.ci[0])}–${pct(s.ci[1])}`;
const cellText = (f: Record<string, FactorValue>) => Object.entries(f).map(([k, v]) => `${k} = ${v}`).join(', ');

/** report.md: the headline numbers, the tables and the plots. */
export function markdownReport(report: Report): string {
  const src = report.source;
  const lines: string[] = [
    `# Evaluation of ${report.model.name}`,
    '',
    `${report.count} samples from ${src.kind === 'spec' ? `spec \`${String(src.name)}\` (${String(src.mode)} mode, seed ${String(src.seed)})` : `export \`${String(src.name)}\``}; ` +
      `model input ${report.model.image[0]}×${report.model.image[1]}.`,
    '',
    `**Accuracy ${pct(report.overall.accuracy)}** (95% CI ${ci(report.overall)}), mean loss ${report.overall.meanLoss.toFixed(3)}, ECE ${report.overall.ece.toFixed(3)}.`,
    '',
    '## Per class',
    '',
    '| class | model outputs | n | accuracy | 95% CI | mean loss | ECE |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: |',
    ...report.perClass.map((c) => `| ${c.class} | ${(report.mapping[c.class] ?? []).join(', ')} | ${c.n} | ${pct(c.accuracy)} | ${ci(c)} | ${c.meanLoss.toFixed(3)} | ${c.ece.toFixed(3)} |`),
    '',
  ];
  if (report.worst.length > 0) {
    lines.push('## Worst cells', '', '| cell | n | accuracy | 95% CI | mean loss |', '| --- | ---: | ---: | --- | ---: |',
      ...report.worst.map((w) => `| ${cellText(w.factors)} | ${w.n} | ${pct(w.accuracy)} | ${ci(w)} | ${w.meanLoss.toFixed(3)} |`), '');
  }
  if (report.consistency.length > 0) {
    lines.push('## Consistency over sweeps', '', 'Share of sweeps whose prediction stays that of the canonical sample as the factor moves.', '',
      '| factor | sweeps | consistent | share | 95% CI |', '| --- | ---: | ---: | ---: | --- |',
      ...report.consistency.map((c) => `| ${c.factor} | ${c.sweeps} | ${c.consistent} | ${pct(c.share)} | ${pct(c.ci[0])}–${pct(c.ci[1])} |`), '');
  }
  for (const f of report.factors) {
    lines.push(`## ${f.factor}`, '', `![accuracy vs ${f.factor}](${report.plots.factors[f.factor]})`, '',
      '| value | n | accuracy | 95% CI | mean loss | ECE |', '| --- | ---: | ---: | --- | ---: | ---: |',
      ...f.cells.map((c) => `| ${c.value} | ${c.n} | ${pct(c.accuracy)} | ${ci(c)} | ${c.meanLoss.toFixed(3)} | ${c.ece.toFixed(3)} |`), '');
  }
  if (report.plots.pairs.length > 0) {
    lines.push('## Factor pairs', '');
    for (const p of report.plots.pairs) lines.push(`![${p.a} × ${p.b}](${p.file})`, '');
  }
  if (report.search) {
    const s = report.search;
    lines.push('## Worst-case search', '',
      `${s.method}, ${s.renders} renders of a budget of ${s.budget}, over ${s.factors.map((f) => `${f.name} [${f.range[0]}, ${f.range[1]}]`).join(', ')}.`, '',
      '| class | loss (after random search) | predicted | settings | image |', '| --- | ---: | --- | --- | --- |',
      ...s.worst.map((w) => `| ${w.class} | ${w.loss.toFixed(3)} (${w.randomLoss.toFixed(3)}) | ${w.predicted ?? '(no class)'} (${pct(w.confidence)}) | ${cellText(Object.fromEntries(s.listed.filter((k) => k in w.factors).map((k) => [k, w.factors[k]])))} | ![](${w.image}) |`), '');
  }
  lines.push('Files: `predictions.jsonl` (one line per sample), `report.json`, `tables/*.csv`, `plots/*.png`.', '');
  return lines.join('\n');
}
