/**
 * Rendering a session's batch (the thin shell around Session.prepare/commit): `prepareBatch` chooses
 * the samples (for `pruned`: renders k·n candidates, scores each with the session's classifier and
 * keeps the n hardest) and commits them; `renderBatch` then renders and encodes them in order through
 * the one render → encode pipeline (pipeline/pipeline.ts), like a plain stream or an export.
 */
import { InputError } from '../core/errors.js';
import type { SceneRenderer } from '../render/renderer.js';
import { renderSample, type RenderedSample } from '../render/render-sample.js';
import type { Classifier } from '../diffusion/classifier.js';
import type { SampleRecord } from '../pipeline/records.js';
import { sampleTarFragment } from '../pipeline/members.js';
import { encodeInOrder, type EncodedSample } from '../pipeline/pipeline.js';
import type { WriterPool } from '../pipeline/writer-pool.js';
import { Session, type BatchItem, type PreparedBatch } from './session.js';
import { NEEDS_CLASSIFIER, crossEntropy, resizeToRgb, type Strategy } from './strategy.js';
import { generateGuided, type GuidedRun } from './guided.js';
import { binLabel, NO_BIN } from './bins.js';

/** Defaults of batch rendering. */
export const BATCH_DEFAULTS = {
  /** Candidates rendered and classified at once by `pruned`. */
  classifyChunk: 32,
};

/** A prepared and committed batch, with the frames `pruned` already rendered for its samples. */
export interface CommittedBatch extends PreparedBatch {
  /** pruned: the rendered kept samples, by scene index. */
  rendered: Map<number, RenderedSample>;
}

/** What prepareBatch needs. */
export interface PrepareBatchOptions {
  n: number;
  strategy?: Strategy;
  renderer: SceneRenderer;
  /** Needed by `pruned`. */
  classifier?: Classifier | null;
  signal?: AbortSignal;
}

function abortError(): Error {
  const err = new Error('the batch was cancelled');
  err.name = 'AbortError';
  return err;
}

/**
 * Choose and commit session batch: uniform and hardness only draw (no rendering); pruned renders
 * n·candidates candidates with the spec's own sampling, scores each by the cross-entropy the
 * classifier gives its intended class, and keeps the n with the highest.
 * @throws InputError when pruned has no classifier or the classifier lacks a class; an AbortError
 * when `signal` fires while pruning (nothing is committed then)
 */
export async function prepareBatch(session: Session, opts: PrepareBatchOptions): Promise<CommittedBatch> {
  const strategy = opts.strategy ?? session.strategy;
  if (NEEDS_CLASSIFIER.includes(strategy) && !opts.classifier) {
    throw new InputError([{ path: 'strategy', expected: `a session with a classifier for ${strategy}`, received: JSON.stringify(strategy), message: `strategy: ${strategy} needs the session's classifier; install one first (POST /v1/sessions/${session.id}/classifier or synth session classifier)` }]);
  }
  const prepared = session.prepare(opts.n, strategy);
  const rendered = new Map<number, RenderedSample>();
  let batch: PreparedBatch = prepared;
  if (strategy === 'pruned') {
    const scored = await scoreCandidates(session, prepared, opts.renderer, opts.classifier!, opts.signal);
    batch = Session.selectPruned(prepared, scored.criteria);
    for (const item of batch.items) rendered.set(item.sceneIndex, scored.frames.get(item.sceneIndex)!);
  }
  session.commit(batch);
  return { ...batch, rendered };
}

/**
 * Render every candidate of a pruned batch and score it; keeps only the frames that can still be
 * among the n hardest (memory stays at about n + one chunk of frames).
 */
async function scoreCandidates(session: Session, prepared: PreparedBatch, renderer: SceneRenderer, classifier: Classifier, signal?: AbortSignal): Promise<{ criteria: Float64Array; frames: Map<number, RenderedSample> }> {
  const { spec } = session;
  const { manifest } = classifier;
  const targets = session.binning.classes.map((c) => manifest.classes.indexOf(c));
  const missing = session.binning.classes.filter((_, i) => targets[i] < 0);
  if (missing.length > 0) throw new InputError(`classifier ${manifest.name}: expected every class the session draws, missing ${missing.join(', ')}`);
  const { width: cw, height: ch } = manifest.image;
  const items = prepared.items;
  const criteria = new Float64Array(items.length);
  let kept: { pos: number; score: number; rendered: RenderedSample }[] = [];
  const chunk = BATCH_DEFAULTS.classifyChunk;
  for (let start = 0; start < items.length; start += chunk) {
    if (signal?.aborted) throw abortError();
    const part = items.slice(start, start + chunk);
    const frames = await Promise.all(part.map((it) => renderSample(renderer, prepared.plan, it.sceneIndex, spec.labels, spec.minVisiblePixels)));
    const pixels = new Uint8Array(part.length * cw * ch * 3);
    frames.forEach((r, i) => resizeToRgb(r.frame.rgba, r.frame.width, r.frame.height, cw, ch, pixels.subarray(i * cw * ch * 3, (i + 1) * cw * ch * 3)));
    const out = await classifier.classify(pixels, part.length);
    frames.forEach((r, i) => {
      const pos = start + i;
      const target = targets[items[pos].classIndex] ?? -1;
      // A sample whose class is in no class cell cannot be scored: it is never kept.
      criteria[pos] = target >= 0 ? crossEntropy(out.logits, i, out.classes, target) : -Infinity;
      kept.push({ pos, score: criteria[pos], rendered: r });
    });
    if (kept.length > prepared.keep) {
      kept.sort((a, b) => (b.score - a.score) || (a.pos - b.pos));
      kept = kept.slice(0, prepared.keep);
    }
  }
  return { criteria, frames: new Map(kept.map((k) => [items[k.pos].sceneIndex, k.rendered])) };
}

/** What renderBatch needs. */
export interface RenderBatchOptions {
  renderer: SceneRenderer;
  /** Writer threads (default: the process's shared pool). */
  writers?: WriterPool;
  signal?: AbortSignal;
  /** Samples in flight (default: pipelineDepth). */
  depth?: number;
}

/**
 * Render (unless pruned already did) and encode a committed batch's samples, yielding them in
 * order. Stops starting new renders once `signal` fires.
 */
export function renderBatch(batch: CommittedBatch, opts: RenderBatchOptions): AsyncGenerator<{ item: BatchItem; sample: EncodedSample }> {
  return encodeInOrder(batch.items, {
    renderer: opts.renderer, plan: batch.plan, spec: batch.plan.spec, writers: opts.writers, depth: opts.depth, signal: opts.signal,
    sceneIndex: (item) => item.sceneIndex,
    prerendered: (item) => {
      const r = batch.rendered.get(item.sceneIndex);
      batch.rendered.delete(item.sceneIndex);
      return r;
    },
  });
}

/**
 * A served sample's metadata record: the rendered sample's record with the session sample id as its
 * id (and so as its WebDataset key), and why it was made: strategy, bins, and the hardness it was
 * drawn for (hardness) or the classifier's criterion (pruned).
 */
export function sessionRecord(session: Session, batch: number, item: BatchItem, record: SampleRecord): SampleRecord & Record<string, unknown> {
  const bins: Record<string, string | null> = {};
  session.binning.factors.forEach((fb, f) => { bins[fb.factor] = item.bins[f] === NO_BIN ? null : binLabel(fb, item.bins[f]); });
  return {
    ...record, id: item.id, session: session.id, batch, strategy: item.strategy, bins,
    ...(item.hardness !== undefined ? { hardness: item.hardness, binHardness: item.binHardness } : {}),
    ...(item.neighbourOf ? { neighbourOf: item.neighbourOf } : {}),
    ...(item.criterion !== undefined ? { criterion: item.criterion } : {}),
  };
}

/** What batchFragments needs. */
export interface BatchFragmentsOptions {
  renderer: SceneRenderer;
  /** For guided batches: the generator and guidance (see guidedRun). */
  guided?: GuidedRun | null;
  signal?: AbortSignal;
}

/**
 * The WebDataset tar fragments of a committed batch, in order: rendered samples (renderBatch) with
 * their session records, or for `guided` the generated images with theirs.
 * @throws InputError when a guided batch comes without its GuidedRun
 */
export async function* batchFragments(session: Session, batch: CommittedBatch, opts: BatchFragmentsOptions): AsyncGenerator<{ item: BatchItem; fragment: Buffer }> {
  if (batch.strategy === 'guided') {
    if (!opts.guided) throw new InputError(`strategy: guided needs a generator and the session's classifier`);
    for await (const { item, image, record } of generateGuided(session, batch, opts.guided, opts.signal)) {
      yield { item, fragment: sampleTarFragment(record as unknown as SampleRecord, image, []) };
    }
    return;
  }
  for await (const { item, sample } of renderBatch(batch, { renderer: opts.renderer, signal: opts.signal })) {
    const record = sessionRecord(session, batch.batch, item, { ...sample.record, caption: sample.rendered.caption });
    yield { item, fragment: sampleTarFragment(record, sample.image, sample.labelFiles) };
  }
}
