/**
 * Session batches on the server: what a batch needs besides the session (its classifier, and for
 * `guided` a leased generator), shared by the streamed answer of POST /v1/sessions/:id/batches and
 * the `batch` job (`?as=job`), and the job's runner: prepare and commit the batch, then write it as
 * one WebDataset tar, `batch-<b>.tar`, into the job's folder (temp file, then rename).
 *
 * A batch job interrupted by a restart starts again with a new batch (like a stream cut short: the
 * first batch's ids stay served, and feedback on them is still accepted).
 */
import { join } from 'node:path';
import { InputError, withInputPaths } from '../core/errors.js';
import { progressOf, type Progress } from '../core/progress.js';
import type { SceneRenderer } from '../render/renderer.js';
import { writeTarFile } from '../export/webdataset.js';
import type { SessionStore } from '../feedback/store.js';
import type { Session } from '../feedback/session.js';
import { NEEDS_CLASSIFIER, type Strategy } from '../feedback/strategy.js';
import { batchFragments, prepareBatch } from '../feedback/batch.js';
import type { LoadedClassifier } from '../diffusion/load.js';
import { guidedRun, type GuidedRun } from '../feedback/guided.js';
import { GUIDED_DEFAULTS } from '../feedback/guided-options.js';
import type { ModelRegistry } from './models.js';
import { HttpError, badField, badInput, notFound } from './errors.js';

/**
 * The diffusion modules' option paths as the session's JSON paths: the guided options live flat in
 * `options.guided`; a class the session's classifier lacks is a problem of the guided strategy.
 */
const GUIDED_OPTION_PATHS: Readonly<Record<string, string>> = {
  steps: 'options.guided.steps', cfg: 'options.guided.cfg', 'guidance.criterion': 'options.guided.criterion', 'guidance.mode': 'options.guided.mode',
  'guidance.scale': 'options.guided.scale', 'guidance.candidates': 'options.guided.candidates', classes: 'strategy',
};

/** What a batch of `strategy` needs besides the session; `release()` gives back the generator lease. */
export interface BatchResources {
  classifier: LoadedClassifier['classifier'] | null;
  guided: GuidedRun | null;
  release(): void;
}

/**
 * The 409 for a strategy that needs the session's classifier when it has none (null when fine).
 * Checked before a job is queued, so the client hears it at once.
 */
export function missingClassifier(session: Session, strategy: Strategy): HttpError | null {
  if (!NEEDS_CLASSIFIER.includes(strategy) || session.classifier) return null;
  return new HttpError(409, 'conflict', `strategy ${strategy} needs the session's classifier: install one with POST /v1/sessions/${session.id}/classifier first`);
}

/**
 * Load what a batch of `strategy` needs: the session's classifier (pruned, guided) and, for guided,
 * the generator (leased from `models`).
 * @throws HttpError 409 without a classifier, 400 for guided on a server without models or a generator that does not fit
 */
export async function batchResources(session: Session, strategy: Strategy, store: SessionStore, models?: ModelRegistry): Promise<BatchResources> {
  const none = { classifier: null, guided: null, release() {} };
  if (!NEEDS_CLASSIFIER.includes(strategy)) return none;
  const missing = missingClassifier(session, strategy);
  if (missing) throw missing;
  const loaded = (await store.classifierFor(session))!;
  if (strategy !== 'guided') return { ...none, classifier: loaded.classifier };
  if (!models) throw badField('strategy', 'uniform, hardness or pruned (this server runs without diffusion models)', 'guided');
  const modelRef = session.options.guided?.model ?? GUIDED_DEFAULTS.model;
  const lease = await models.acquire(await models.locate(modelRef, 'denoiser', 'options.guided.model'));
  try {
    return { classifier: loaded.classifier, guided: guidedRun(session, lease.value, loaded, modelRef), release: () => lease.release() };
  } catch (err) {
    lease.release();
    throw err instanceof InputError ? badInput(withInputPaths(err, (path) => GUIDED_OPTION_PATHS[path] ?? path)) : err;
  }
}

/** The stored request of a batch job. */
export interface BatchJobBody {
  session: string;
  n: number;
  strategy: Strategy;
}

/** What a batch job wrote. */
export interface BatchJobResult {
  batch: number;
  count: number;
  file: string;
  seconds: number;
}

/** What JobManager needs to run a batch job. */
export interface BatchRunner {
  /**
   * Prepare the next batch of the job's session and write it to `<out>/batch-<b>.tar`.
   * @throws HttpError 404 when the session is gone, an Error named AbortError when `signal` fires
   */
  run(body: BatchJobBody, out: string, options: { signal?: AbortSignal; onProgress?: (p: Progress) => void }): Promise<BatchJobResult>;
}

/** The runner of batch jobs over a session store and a renderer. */
export function sessionBatchRunner(deps: { store: SessionStore; renderer: SceneRenderer; models?: ModelRegistry }): BatchRunner {
  return {
    async run(body, out, { signal, onProgress }) {
      const t0 = performance.now();
      const session = deps.store.get(body.session);
      if (!session) throw notFound(`session ${body.session} is gone (deleted before its batch job ran)`);
      const resources = await batchResources(session, body.strategy, deps.store, deps.models);
      try {
        const batch = await prepareBatch(session, { n: body.n, strategy: body.strategy, renderer: deps.renderer, classifier: resources.classifier, signal });
        await deps.store.save(session);
        const file = `batch-${String(batch.batch).padStart(6, '0')}.tar`;
        let done = 0;
        await writeTarFile(join(out, file), (async function* () {
          for await (const { fragment } of batchFragments(session, batch, { renderer: deps.renderer, guided: resources.guided, signal })) {
            yield fragment;
            onProgress?.(progressOf(++done, batch.items.length, (performance.now() - t0) / 1000));
          }
          // a batch cut short is not a batch (throwIfAborted would throw the abort's reason, a string here)
          if (signal?.aborted) throw Object.assign(new Error(`batch ${batch.batch} of session ${session.id} stopped after ${done} of ${batch.items.length} samples`), { name: 'AbortError' });
        })());
        return { batch: batch.batch, count: batch.items.length, file, seconds: (performance.now() - t0) / 1000 };
      } finally {
        resources.release();
      }
    },
  };
}
