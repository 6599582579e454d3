/**
 * Worst-case search: within a budget of renders, the settings of a spec's continuous factors that
 * maximise a classifier's loss, per class. Half of each class's share of the budget goes to uniform
 * random search over the factors' ranges, the rest to the cross-entropy method (a Gaussian over the
 * normalised box, refitted each round to the elite settings found so far). The factors the search does
 * not move are drawn as the spec says; every draw is seeded, so the same spec, seed, model and budget
 * find the same settings.
 */
import { inputError } from '../core/errors.js';
import { inOrder } from '../core/ordered.js';
import { rngFor } from '../core/random.js';
import type { FactorValue, Spec } from '../spec/schema.js';
import { FACTOR_BY_NAME, FACTOR_NAMES } from '../spec/factors.js';
import { planSampling, type SamplingPlan } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { samplesInFlight } from '../render/pool.js';
import { renderSample } from '../render/render-sample.js';
import { encodeImage } from '../pipeline/encode.js';
import { round6 } from './metrics.js';
import type { SearchFinding, SearchSummary } from './report.js';
import type { SearchContext } from './run.js';
import { slug } from './report.js';

/** Defaults of the search. */
export const SEARCH_DEFAULTS = {
  /** Share of each class's renders spent on uniform random search before the cross-entropy method. */
  randomShare: 0.5,
  /** Most settings the cross-entropy method renders per round. */
  population: 16,
  /** Share of the settings found so far that the Gaussian is refitted to. */
  eliteShare: 0.25,
  /** Smallest standard deviation of the Gaussian, as a share of each factor's range. */
  minStd: 0.02,
};

/** Sample indices of the search's renders start here (away from any spec's own samples). */
export const SEARCH_INDEX_BASE = 2 ** 40;

/** One factor the search moves and its range. */
export interface SearchFactor {
  name: string;
  range: [number, number];
}

/**
 * The factors a search moves: the spec's continuous numeric factors, over their range: `uniform`
 * [min, max], `normal` its clip (else the factor's valid range), and listed numeric values (`values`,
 * `choice`) from the smallest to the largest. Integer factors (asset, objects) are left as drawn.
 */
export function searchSpace(spec: Pick<Spec, 'factors'>): SearchFactor[] {
  const out: SearchFactor[] = [];
  for (const name of FACTOR_NAMES) {
    const def = FACTOR_BY_NAME.get(name)!;
    const d = spec.factors[name];
    if (!d || def.kind !== 'number') continue;
    let range: [number, number] | null = null;
    if ('uniform' in d) range = [d.uniform[0], d.uniform[1]];
    else if ('normal' in d) range = [...(d.clip ?? def.range ?? [d.normal[0] - 3 * d.normal[1], d.normal[0] + 3 * d.normal[1]])] as [number, number];
    else if ('values' in d || 'choice' in d) {
      const nums = ('values' in d ? d.values : d.choice).filter((v): v is number => typeof v === 'number');
      if (nums.length >= 2) range = [Math.min(...nums), Math.max(...nums)];
    }
    if (range && range[1] > range[0]) out.push({ name, range });
  }
  return out;
}

/**
 * Check that a search of `budget` renders can run on `spec` for `classes`; returns its factors.
 * @throws InputError naming `field` when the spec has no continuous factor or the budget leaves fewer
 * than two renders a class
 */
export function checkSearch(spec: Pick<Spec, 'factors'>, classes: readonly string[], budget: number, field = 'search'): SearchFactor[] {
  const space = searchSpace(spec);
  if (space.length === 0) throw inputError(field, 'a spec with at least one continuous numeric factor to search (uniform, normal, or two or more listed numbers)', Object.keys(spec.factors));
  if (Math.floor(budget / classes.length) < 2) throw inputError(field, `a budget of at least 2 renders per class (${2 * classes.length} for ${classes.length} classes)`, budget);
  return space;
}

interface Candidate {
  /** Normalised coordinates in [0, 1]^d. */
  x: number[];
  index: number;
  loss: number;
  finding: Omit<SearchFinding, 'image' | 'randomLoss'>;
  frame: { rgba: Uint8Array; width: number; height: number };
}

/**
 * A worst-case search over `plan`'s spec, for evaluate()'s `search` option.
 * @throws InputError as checkSearch
 * @example evaluate({ ..., search: worstCaseSearch({ plan, renderer, classes, budget: 200 }) })
 */
export function worstCaseSearch(opts: { plan: SamplingPlan; renderer: SceneRenderer; classes: readonly string[]; budget: number; field?: string }): (ctx: SearchContext) => Promise<{ summary: SearchSummary; files: Record<string, Uint8Array> }> {
  const { plan, renderer, classes, budget } = opts;
  const space = checkSearch(plan.spec, classes, budget, opts.field);
  const perClass = Math.floor(budget / classes.length);
  // Random mode: the factors the search leaves alone are drawn per render as the spec says.
  const base = planSampling({ ...plan.spec, mode: 'random', count: 1 }, plan.catalog);
  const nRandom = Math.max(1, Math.round(perClass * SEARCH_DEFAULTS.randomShare));

  return async (ctx) => {
    let renders = 0;
    const files: Record<string, Uint8Array> = {};
    const worst: SearchFinding[] = [];
    const depth = Math.max(2, samplesInFlight(renderer));
    for (const [c, cls] of classes.entries()) {
      const found: Candidate[] = [];
      let next = 0;
      /** Render and score a population of normalised settings. */
      const evaluatePoints = async (points: number[][]) => {
        const jobs = points.map((x) => ({ x, index: SEARCH_INDEX_BASE + c * perClass + next++ }));
        const rendered: { x: number[]; index: number; frame: Candidate['frame']; factors: Record<string, FactorValue> }[] = [];
        for await (const r of inOrder(jobs, depth, async (j) => {
          const values: Record<string, FactorValue> = { class: cls };
          space.forEach((f, k) => { values[f.name] = f.range[0] + j.x[k] * (f.range[1] - f.range[0]); });
          const s = await renderSample(renderer, { ...base, overrides: new Map([[j.index, values]]) }, j.index);
          return { x: j.x, index: j.index, frame: { rgba: s.frame.rgba, width: s.frame.width, height: s.frame.height }, factors: s.desc.factors };
        }, ctx.signal)) rendered.push(r);
        ctx.signal?.throwIfAborted();
        const scores = await ctx.score(rendered.map((r) => ({ ...r.frame, trueClass: cls })));
        rendered.forEach((r, k) => {
          const s = scores[k];
          const { class: _c, ...factors } = r.factors;
          for (const [k, v] of Object.entries(factors)) if (typeof v === 'number') factors[k] = round6(v);
          found.push({ x: r.x, index: r.index, loss: s.loss, frame: r.frame, finding: { class: cls, factors, loss: s.loss, correct: s.correct, predicted: s.predicted, confidence: s.confidence } });
        });
        renders += rendered.length;
        ctx.progress(renders);
      };
      const rng = rngFor(plan.spec.seed, c, `search:${cls}`);
      // Uniform random search.
      await evaluatePoints(Array.from({ length: nRandom }, () => space.map(() => rng.next())));
      const randomLoss = Math.max(...found.map((f) => f.loss));
      // Cross-entropy method: refit a diagonal Gaussian to the elite settings so far, draw a round, repeat.
      while (next < perClass) {
        const size = Math.min(SEARCH_DEFAULTS.population, perClass - next);
        const elite = [...found].sort((a, b) => (b.loss - a.loss) || (a.index - b.index)).slice(0, Math.max(2, Math.ceil(found.length * SEARCH_DEFAULTS.eliteShare)));
        const mean = space.map((_, k) => elite.reduce((s, e) => s + e.x[k], 0) / elite.length);
        const std = space.map((_, k) => Math.max(SEARCH_DEFAULTS.minStd, Math.sqrt(elite.reduce((s, e) => s + (e.x[k] - mean[k]) ** 2, 0) / elite.length)));
        await evaluatePoints(Array.from({ length: size }, () => space.map((_, k) => Math.min(1, Math.max(0, rng.normal(mean[k], std[k]))))));
      }
      const best = found.reduce((a, b) => (b.loss > a.loss || (b.loss === a.loss && b.index < a.index) ? b : a));
      const image = `search/${slug(cls)}.png`;
      files[image] = await encodeImage(best.frame.rgba, best.frame.width, best.frame.height, 'png');
      worst.push({ ...best.finding, image, randomLoss });
    }
    return {
      summary: {
        budget, renders, method: `random search (${nRandom} renders a class) then the cross-entropy method (rounds of up to ${SEARCH_DEFAULTS.population})`,
        factors: space.map((f) => ({ name: f.name, range: f.range })), worst,
        listed: FACTOR_NAMES.filter((n) => n !== 'class' && plan.spec.factors[n] !== undefined),
      },
      files,
    };
  };
}
