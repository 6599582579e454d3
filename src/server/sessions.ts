/**
 * The sessions API (the trainer feedback loop over rendered data), mounted at /v1/sessions:
 *
 *   POST   /v1/sessions                  {spec, strategy?, options?} -> 201 the session
 *   GET    /v1/sessions                  list
 *   GET    /v1/sessions/:id              counts, per-class and per-factor-bin hardness, the mixture
 *   DELETE /v1/sessions/:id
 *   POST   /v1/sessions/:id/feedback     {records: [{id, loss?, correct?}]} -> {accepted, rejected, unknownIds}
 *   POST   /v1/sessions/:id/batches      {n, strategy?} -> a WebDataset tar, streamed; ?as=job -> 202, a batch job
 *   POST   /v1/sessions/:id/classifier   {manifest, model} | {classifierId} -> the session
 *
 * Wiring only: the state and its rules live in src/feedback.
 */
import express, { type Request, type Response, type Router } from 'express';
import { join } from 'node:path';
import { InputError, describeValue } from '../core/errors.js';
import { exists } from '../core/fs.js';
import type { SceneRenderer } from '../render/renderer.js';
import type { Catalog } from '../spec/catalog.js';
import { zodIssues } from '../spec/schema.js';
import { TAR_END } from '../pipeline/tar.js';
import { feedbackKeysOf, type SessionStore } from '../feedback/store.js';
import type { Session } from '../feedback/session.js';
import { SESSION_ID_RE, validateFeedback } from '../feedback/ingest.js';
import type { Strategy } from '../feedback/strategy.js';
import { batchFragments, prepareBatch } from '../feedback/batch.js';
import type { JobManager, JobRecord } from './jobs.js';
import { batchResources, missingClassifier } from './session-batches.js';
import type { ModelRegistry } from './models.js';
import type { ServerLimits } from './config.js';
import { HttpError, badField, badInput, notFound } from './errors.js';
import { methodNotAllowed, negotiate, requireJson } from './middleware.js';
import { jsonDepth, MAX_BODY_DEPTH, parseClassifierUpload, validateSpec } from './requests.js';
import { BatchRequestSchema, SessionFieldsSchema } from './session-schemas.js';

/** Body limits of the session routes that take more than a spec. */
export const SESSION_HTTP_DEFAULTS = {
  /**
   * Feedback bodies: 32 MiB, about 410,000 records of {id, loss} written compactly (81 bytes each with
   * a 17-digit loss), about 320,000 of {id, loss, correct} with JSON's default spacing (103 bytes).
   */
  feedbackBodyLimit: 32 * 1024 * 1024,
};

/** Folder of the classifiers uploaded with POST /v1/classifiers, inside the data dir. */
export const CLASSIFIERS_DIR = 'classifiers';

/** Ids of uploaded classifiers accepted in `classifierId` (a folder name; no separators, no dots first). */
const CLASSIFIER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What the sessions router needs. */
export interface SessionRoutesDeps {
  store: SessionStore;
  renderer: SceneRenderer;
  catalog: Catalog;
  limits: ServerLimits;
  /** The data dir: `{classifierId}` names `<dataDir>/classifiers/<id>/`. */
  dataDir: string;
  /** Open streams, counted with the app's (health, shutdown). */
  stats?: { streams: number };
  /** Fires when the server shuts down: open batch streams stop. */
  shutdownSignal?: AbortSignal;
  feedbackBodyLimit?: number;
  /** The diffusion models (committed generators): enables the guided strategy. */
  models?: ModelRegistry;
  /** The job queue (`?as=job` batches) and how the API shows a job. */
  jobs?: { manager: JobManager; view: (job: JobRecord) => Record<string, unknown> };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A body's fields checked by a zod schema, as a 400 in parseSpec's wording. */
function checkFields<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError } }, fields: unknown): T {
  const r = schema.safeParse(fields);
  if (!r.success) throw badInput(new InputError(zodIssues(r.error, [], fields, 'body')));
  return r.data;
}

function requireBody(body: unknown, expected: string): Record<string, unknown> {
  if (body === undefined) throw badField('body', `${expected} (Content-Type: application/json)`, 'no body');
  if (!isObject(body)) throw badField('body', expected, describeValue(body));
  if (jsonDepth(body) > MAX_BODY_DEPTH) throw badField('body', `JSON nested at most ${MAX_BODY_DEPTH} levels deep`, 'deeper nesting');
  return body;
}

/** Longest accepted Idempotency-Key header. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

/**
 * The request's `Idempotency-Key` header (a feedback post sent again with the same key is applied
 * once), or null without one.
 * @throws HttpError 400 for a key that is empty, too long or not visible ASCII
 */
function idempotencyKey(req: Request): string | null {
  const key = req.get('Idempotency-Key');
  if (key === undefined) return null;
  if (!/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw badField('Idempotency-Key', `a key of 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (a UUID per post is typical)`, describeValue(key));
  }
  return key;
}

/** The sessions router (mount at /v1/sessions, after auth). */
export function sessionsRouter(deps: SessionRoutesDeps): Router {
  const { store, renderer, catalog, limits } = deps;
  const parser = (limit: number) => express.json({ limit: Math.max(limits.bodyLimit, limit), strict: false, type: ['application/json', 'application/*+json'] });
  const json = express.json({ limit: limits.bodyLimit, strict: false, type: ['application/json', 'application/*+json'] });
  const feedbackJson = parser(deps.feedbackBodyLimit ?? SESSION_HTTP_DEFAULTS.feedbackBodyLimit);
  // Classifier uploads: room for maxClassifierBytes of ONNX as base64, plus bodyLimit for the manifest.
  const classifierJson = parser(Math.ceil(limits.maxClassifierBytes / 3) * 4 + limits.bodyLimit);
  const router = express.Router({ strict: false });

  const sessionOf = (req: Request): Session => {
    const id = req.params.id;
    if (typeof id !== 'string' || !SESSION_ID_RE.test(id)) throw badField('id', 'a session id (a UUID v4 such as 0f8fad5b-d9cb-469f-a165-70867728950e)', describeValue(id));
    const session = store.get(id);
    if (!session) throw notFound(`no session ${id}`);
    return session;
  };

  /** An AbortSignal that fires when the client goes away or the server shuts down. */
  const clientGone = (res: Response): AbortSignal => {
    const controller = new AbortController();
    res.on('close', () => { if (!res.writableFinished) controller.abort(); });
    const onShutdown = () => controller.abort();
    deps.shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
    res.on('close', () => deps.shutdownSignal?.removeEventListener('abort', onShutdown));
    return controller.signal;
  };

  router.route('/').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json({ sessions: store.list().map((s) => s.summary()) });
  }).post(requireJson(), json, async (req, res) => {
    negotiate(req, ['application/json']);
    const body = requireBody(req.body, 'an object {spec, strategy?, options?}');
    if (!Object.hasOwn(body, 'spec')) throw badField('spec', 'a factor spec (the body is {spec, strategy?, options?})', 'undefined');
    const fields = { ...body };
    delete fields.spec;
    const { strategy, options } = checkFields(SessionFieldsSchema, fields);
    const v = validateSpec(body.spec, 'spec.', catalog, limits);
    const session = await store.create({ rawSpec: v.raw, spec: v.spec, strategy, options });
    res.status(201).setHeader('Location', `/v1/sessions/${session.id}`);
    res.json(session.view());
  }).all(methodNotAllowed(['GET', 'POST']));

  router.route('/:id').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json(sessionOf(req).view());
  }).delete(async (req, res) => {
    negotiate(req, ['application/json']);
    const session = sessionOf(req);
    await store.delete(session.id);
    res.json({ id: session.id, deleted: true });
  }).all(methodNotAllowed(['GET', 'DELETE']));

  router.route('/:id/feedback').post(requireJson(), feedbackJson, async (req, res) => {
    negotiate(req, ['application/json']);
    const session = sessionOf(req);
    if (req.body === undefined) throw badField('body', 'an object {records: [{id, loss?, correct?}, ...]} (Content-Type: application/json)', 'no body');
    const key = idempotencyKey(req);
    const keys = feedbackKeysOf(session);
    const replay = key === null ? undefined : keys.get(key);
    if (replay !== undefined) { // a retry of an applied post: its first answer, nothing applied again
      res.setHeader('Idempotent-Replayed', 'true');
      res.json(replay);
      return;
    }
    const records = validateFeedback(req.body);
    const result = session.ingest(records);
    if (key !== null) keys.set(key, result);
    await store.save(session);
    res.json(result);
  }).all(methodNotAllowed(['POST']));

  router.route('/:id/batches').post(requireJson(), json, async (req, res) => {
    const { as } = req.query;
    if (as !== undefined && as !== 'job') throw badField('as', '"job" (a batch job under /v1/datasets) or nothing (a streamed tar)', describeValue(as));
    const asJob = as === 'job';
    negotiate(req, asJob ? ['application/json'] : ['application/x-tar']);
    const session = sessionOf(req);
    const body = requireBody(req.body, 'an object {n, strategy?}');
    const { n, strategy: asked } = checkFields(BatchRequestSchema, body);
    const strategy: Strategy = asked ?? session.strategy;
    const renders = strategy === 'pruned' ? n * session.options.candidates : n;
    const [cap, capName] = asJob ? [limits.maxDatasetCount, 'maxDatasetCount'] : [limits.maxStreamCount, 'maxStreamCount'];
    if (renders > cap) {
      throw badField('n', `at most ${cap} samples rendered per batch${asJob ? ' job' : ''} (cap ${capName}${strategy === 'pruned' ? `; pruned renders n × ${session.options.candidates} candidates` : ''})`, String(n), 'limit_exceeded');
    }
    if (asJob) {
      if (!deps.jobs) throw new HttpError(503, 'internal', 'this server runs no jobs');
      const missing = missingClassifier(session, strategy);
      if (missing) throw missing;
      const job = await deps.jobs.manager.submit({ kind: 'batch', request: { session: session.id, n, strategy }, name: `${session.spec.name}-batch`, total: n });
      res.status(202).setHeader('Location', `/v1/datasets/${job.id}`);
      res.json(deps.jobs.view(job));
      return;
    }
    const { classifier, guided, release } = await batchResources(session, strategy, store, deps.models);
    const signal = clientGone(res);
    const stats = deps.stats;
    if (stats) stats.streams++;
    try {
      let batch;
      try {
        batch = await prepareBatch(session, { n, strategy, renderer, classifier, signal });
      } catch (err) {
        if ((err as Error).name === 'AbortError') return void res.destroy();
        throw err;
      }
      await store.save(session);
      res.status(200).type('application/x-tar');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Disposition', `attachment; filename="${session.spec.name}-batch-${batch.batch}.tar"`);
      res.setHeader('X-Synth-Count', String(batch.items.length));
      res.setHeader('X-Synth-Batch', String(batch.batch));
      res.setHeader('X-Synth-Session', session.id);
      res.flushHeaders();
      try {
        for await (const { fragment } of batchFragments(session, batch, { renderer, guided, signal })) {
          if (!res.write(fragment)) {
            await new Promise<void>((resolve) => {
              const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
              res.on('drain', done);
              res.on('close', done);
            });
          }
          if (signal.aborted) break;
        }
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
      // A batch cut short (client gone, shutdown) ends without the tar end marker: a truncated archive.
      if (signal.aborted) res.destroy();
      else res.end(TAR_END);
    } finally {
      if (stats) stats.streams--;
      release();
    }
  }).all(methodNotAllowed(['POST']));

  router.route('/:id/classifier').post(requireJson(), classifierJson, async (req, res) => {
    negotiate(req, ['application/json']);
    const session = sessionOf(req);
    const body = requireBody(req.body, 'an object {manifest, model} or {classifierId}');
    if (Object.hasOwn(body, 'classifierId')) {
      const extra = Object.keys(body).filter((k) => k !== 'classifierId');
      if (extra.length > 0) throw badField('body', '{classifierId} alone, or {manifest, model}', `also ${describeValue(extra)}`);
      const id = body.classifierId;
      if (typeof id !== 'string' || !CLASSIFIER_ID_RE.test(id)) throw badField('classifierId', 'the id of a classifier uploaded with POST /v1/classifiers', describeValue(id));
      const dir = join(deps.dataDir, CLASSIFIERS_DIR, id);
      if (!await exists(join(dir, 'model.json'))) throw notFound(`no classifier ${id} (upload one with POST /v1/classifiers)`);
      await store.installClassifier(session, { dir }, `classifier:${id}`);
    } else {
      // the body of POST /v1/classifiers, parsed the same way (base64, size cap, the optional forward graph)
      const upload = parseClassifierUpload(body, limits);
      await store.installClassifier(session, upload, 'upload');
    }
    res.json(session.view());
  }).all(methodNotAllowed(['POST']));

  return router;
}
