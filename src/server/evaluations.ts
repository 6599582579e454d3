/**
 * Evaluation jobs over HTTP (mounted at /v1/evaluations): a classifier (committed by name, or uploaded
 * by id) evaluated on a spec's renders, or on a finished dataset job's images, as a job like the
 * dataset jobs: queued, run one at a time, with progress, cancel, its files downloadable, and its state
 * on disk so it survives a restart (an unfinished evaluation runs again from the start: its report is
 * deterministic, so the result is the same).
 *
 *   POST   /v1/evaluations               {spec | dataset, classifier, map?, batch?, topK?, minCellCount?, saveImages?, search?} -> 202 the job
 *   GET    /v1/evaluations               list
 *   GET    /v1/evaluations/:id           status and progress (and the overall accuracy once done)
 *   DELETE /v1/evaluations/:id           cancel
 *   GET    /v1/evaluations/:id/files     the files written (report.json, report.md, predictions.jsonl, tables/, plots/)
 *   GET    /v1/evaluations/:id/files/*   one file
 *
 * Layout under the data dir: evaluations/<id>/evaluation.json (written atomically), evaluations/<id>/out/.
 */
import express, { type Request, type Response, type Router } from 'express';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, OutputError, RenderError, describeValue, inputError } from '../core/errors.js';
import { TEMP_FILE_RE, removeTempFiles, writeFileAtomic } from '../core/fs.js';
import type { Progress } from '../core/progress.js';
import type { Catalog } from '../spec/catalog.js';
import { SpecSchema, zodIssues } from '../spec/schema.js';
import type { SamplingPlan } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { EVALUATE_DEFAULTS, evaluate, readExportFolder, specClassesOf, type EvaluationInput } from '../evaluate/run.js';
import { resolveClassMapping } from '../evaluate/scoring.js';
import { checkSearch, worstCaseSearch } from '../evaluate/search.js';
import type { ServerLimits } from './config.js';
import { HttpError, badField, badInput, notFound } from './errors.js';
import { ModelRunError } from '../diffusion/model-limits.js';
import { methodNotAllowed, negotiate, requireJson } from './middleware.js';
import { checkJobId, JOB_ID_RE, relativeFilePath, resolveInside } from './paths.js';
import { jsonDepth, MAX_BODY_DEPTH, validateSpec } from './requests.js';
import type { ModelRegistry } from './models.js';
import type { Logger } from './logger.js';
import type { JobManager } from './jobs.js';
import type { OpenApiHelpers } from './session-schemas.js';

/** Format tag of evaluation.json. */
export const EVALUATION_FORMAT = 'synth.evaluation-job/1';

/** States of an evaluation job (those of the dataset jobs). */
export type EvaluationState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** The body fields besides the spec. */
export const EvaluationFieldsSchema = z.strictObject({
  classifier: z.string().min(1).describe('a classifier name under models/ or an uploaded classifier id'),
  dataset: z.string().optional().describe('a finished dataset job (with the imagefolder format) to evaluate instead of a spec'),
  map: z.record(z.string(), z.union([z.string(), z.number().int(), z.array(z.union([z.string(), z.number().int()]))])).optional()
    .describe('spec class -> model class name(s) or output index(es); classes left out map by name'),
  batch: z.number().int().min(1).max(4096).default(EVALUATE_DEFAULTS.batch),
  topK: z.number().int().min(1).max(1000).default(EVALUATE_DEFAULTS.topK),
  minCellCount: z.number().int().min(1).max(1_000_000).default(EVALUATE_DEFAULTS.minCellCount),
  saveImages: z.boolean().default(false),
  search: z.number().int().min(0).max(100_000).default(0).describe('renders for a worst-case search over the spec\'s continuous factors (0: none)'),
});

/** evaluation.json. */
export interface EvaluationRecord {
  format: typeof EVALUATION_FORMAT;
  id: string;
  state: EvaluationState;
  name: string;
  /** The body as the client sent it (validated again when the job starts). */
  request: Record<string, unknown>;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: Progress;
  restarts: number;
  error: { code: string; message: string } | null;
  /** Once done: the overall numbers of report.json. */
  summary: { count: number; accuracy: number; ci: [number, number]; meanLoss: number; ece: number } | null;
}

/** A finished dataset job's folder, as the evaluations see the dataset jobs. */
export interface DatasetLookup {
  /** The output folder of dataset job `id` when it is done and wrote an image folder; else a reason. */
  folderOf(id: string): { dir: string } | { why: string };
}

/** Options of EvaluationJobs.open. */
export interface EvaluationJobsOptions {
  dataDir: string;
  renderer: SceneRenderer;
  catalog: Catalog;
  models: ModelRegistry;
  logger: Logger;
  limits: ServerLimits;
  datasets?: DatasetLookup;
  /** How often progress is written to evaluation.json while a job runs (ms). */
  persistIntervalMs?: number;
}

const FINISHED: readonly EvaluationState[] = ['done', 'failed', 'cancelled'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A validated POST body: what to run and how many samples. */
interface CheckedRequest {
  name: string;
  total: number;
  input: { kind: 'spec'; plan: SamplingPlan } | { kind: 'export'; dir: string };
  fields: z.infer<typeof EvaluationFieldsSchema>;
  /** The classes evaluated (the mapping's keys). */
  classes: string[];
}

/** The evaluation jobs of one data dir, run one at a time. */
export class EvaluationJobs {
  private readonly jobs = new Map<string, EvaluationRecord>();
  private readonly queue: string[] = [];
  private readonly writes = new Map<string, Promise<void>>();
  private running: { id: string; controller: AbortController; done: Promise<void> } | null = null;
  private closing = false;
  private started = false;

  private constructor(private readonly opts: EvaluationJobsOptions) {}

  /** Load the jobs under `<dataDir>/evaluations`; unfinished ones are queued again. Call start() to run them. */
  static async open(opts: EvaluationJobsOptions): Promise<EvaluationJobs> {
    const m = new EvaluationJobs(opts);
    await mkdir(m.root, { recursive: true });
    await removeTempFiles(m.root).catch(() => 0);
    const loaded: EvaluationRecord[] = [];
    for (const name of await readdir(m.root)) {
      if (!JOB_ID_RE.test(name)) continue;
      try {
        const job = JSON.parse(await readFile(join(m.root, name, 'evaluation.json'), 'utf8')) as EvaluationRecord;
        if (job.format !== EVALUATION_FORMAT || job.id !== name) throw new Error('not a synth evaluation file');
        loaded.push(job);
      } catch (err) {
        opts.logger.error(`evaluations: skipping ${name}: ${(err as Error).message}`);
      }
    }
    loaded.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    for (const job of loaded) {
      m.jobs.set(job.id, job);
      if (!FINISHED.includes(job.state)) {
        job.state = 'queued';
        m.queue.push(job.id);
        void m.persist(job);
      }
    }
    if (m.queue.length > 0) opts.logger.info(`evaluations: ${m.queue.length} unfinished evaluation(s) queued to run again`);
    return m;
  }

  /** `<dataDir>/evaluations`. */
  get root(): string {
    return join(this.opts.dataDir, 'evaluations');
  }

  /** Folder of job `id`'s files. */
  outDir(id: string): string {
    return join(this.root, id, 'out');
  }

  /** The job, or undefined. */
  get(id: string): EvaluationRecord | undefined {
    return this.jobs.get(id);
  }

  /** Every job, oldest first. */
  list(): EvaluationRecord[] {
    return [...this.jobs.values()];
  }

  /**
   * Check a POST body: the fields, the spec (or dataset job), the classifier (loaded: a graph that does
   * not fit its manifest is refused here) and the class mapping.
   * @throws HttpError 400 naming the field
   */
  async check(body: unknown): Promise<CheckedRequest> {
    const { catalog, limits, models } = this.opts;
    if (body === undefined) throw badField('body', 'an object {spec | dataset, classifier, map?, ...} (Content-Type: application/json)', 'no body');
    if (!isObject(body)) throw badField('body', 'an object {spec | dataset, classifier, map?, ...}', describeValue(body));
    if (jsonDepth(body) > MAX_BODY_DEPTH) throw badField('body', `JSON nested at most ${MAX_BODY_DEPTH} levels deep`, 'deeper nesting');
    const { spec: rawSpec, ...rest } = body;
    const parsed = EvaluationFieldsSchema.safeParse(rest);
    if (!parsed.success) throw badInput(new InputError(zodIssues(parsed.error, [], rest, 'body')));
    const fields = parsed.data;
    if ((rawSpec === undefined) === (fields.dataset === undefined)) {
      throw badField('spec', 'a factor spec, or `dataset` (a finished dataset job id), but not both', rawSpec === undefined ? 'neither' : 'both');
    }
    const located = await models.locate(fields.classifier, 'classifier', 'classifier');
    const lease = await models.acquire(located);
    const modelClasses = lease.value.manifest.classes;
    lease.release();
    let input: CheckedRequest['input'];
    let classes: string[];
    let name: string;
    let total: number;
    if (rawSpec !== undefined) {
      const v = validateSpec(rawSpec, 'spec.', catalog, limits);
      if (v.plan.count > limits.maxDatasetCount) throw badField('spec.count', `at most ${limits.maxDatasetCount} (cap maxDatasetCount)`, String(v.plan.count), 'limit_exceeded');
      input = { kind: 'spec', plan: v.plan };
      classes = specClassesOf(v.spec);
      name = v.spec.name;
      total = v.plan.count;
    } else {
      const id = checkJobId(fields.dataset);
      const found = this.opts.datasets?.folderOf(id) ?? { why: 'this server runs no dataset jobs' };
      if ('why' in found) throw badField('dataset', `a finished dataset job with the imagefolder format (${found.why})`, describeValue(id));
      try {
        const folder = await readExportFolder(found.dir, 'dataset');
        classes = folder.classes;
        name = folder.name;
        total = folder.lines.length;
      } catch (err) {
        if (err instanceof InputError) throw badInput(new InputError(err.issues.map((i) => ({ ...i, message: i.message.split(found.dir).join(`dataset job ${id}`), received: i.received.split(found.dir).join(`dataset job ${id}`) }))));
        throw err;
      }
      input = { kind: 'export', dir: found.dir };
    }
    try {
      resolveClassMapping(classes, modelClasses, fields.map, 'map');
      if (fields.search > 0) {
        if (input.kind !== 'spec') throw inputError('search', '0 with `dataset` (the search renders from a spec)', fields.search);
        checkSearch(input.plan.spec, classes, fields.search);
      }
    } catch (err) {
      if (err instanceof InputError) throw badInput(err);
      throw err;
    }
    return { name, total: total + fields.search, input, fields, classes };
  }

  /**
   * Check and queue an evaluation, persisted before answering.
   * @throws HttpError 400 for bad input, 429 when the queue is full, 503 while closing
   */
  async submit(body: Record<string, unknown>): Promise<EvaluationRecord> {
    if (this.closing) throw new HttpError(503, 'shutting_down', 'the server is shutting down; submit again after it restarts', null, { 'Retry-After': '5' });
    const checked = await this.check(body);
    const waiting = this.queue.length + (this.running || !this.started ? 1 : 0);
    if (waiting > this.opts.limits.maxQueuedJobs) {
      throw new HttpError(429, 'queue_full', `the evaluation queue is full (${this.queue.length} waiting, cap maxQueuedJobs ${this.opts.limits.maxQueuedJobs}); retry in 10 s`, { queued: this.queue.length }, { 'Retry-After': '10' });
    }
    const job: EvaluationRecord = {
      format: EVALUATION_FORMAT, id: randomUUID(), state: 'queued', name: checked.name, request: body,
      createdAt: new Date().toISOString(), startedAt: null, finishedAt: null, restarts: 0, error: null, summary: null,
      progress: { done: 0, total: checked.total, rate: 0, etaSeconds: null, elapsedSeconds: 0 },
    };
    this.jobs.set(job.id, job);
    this.queue.push(job.id);
    await this.persist(job);
    this.pump();
    return job;
  }

  /**
   * Cancel a queued or running evaluation (a running one stops after its batch in flight; nothing is written).
   * @throws HttpError 404 for an unknown job, 409 for a finished one
   */
  async cancel(id: string): Promise<EvaluationRecord> {
    const job = this.jobs.get(id);
    if (!job) throw notFound(`no evaluation ${id}`);
    if (FINISHED.includes(job.state)) throw new HttpError(409, 'conflict', `evaluation ${id} is already ${job.state}`, { status: job.state });
    if (this.running?.id === id) {
      this.running.controller.abort('cancel');
      await this.running.done;
      return job;
    }
    this.queue.splice(this.queue.indexOf(id), 1);
    this.finish(job, 'cancelled', null);
    await this.persist(job);
    return job;
  }

  /** Start running queued evaluations (one at a time). */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** Refuse new jobs, stop the running one (queued again on disk for the next start); resolves once written. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.running) {
      this.running.controller.abort('shutdown');
      await this.running.done;
    }
    await Promise.all(this.writes.values());
  }

  private persist(job: EvaluationRecord): Promise<void> {
    const path = join(this.root, job.id, 'evaluation.json');
    const next = (this.writes.get(job.id) ?? Promise.resolve())
      .then(() => writeFileAtomic(path, `${JSON.stringify(job, null, 2)}\n`))
      .catch((err) => this.opts.logger.error(`evaluations: could not write ${path}: ${(err as Error).message}`));
    this.writes.set(job.id, next);
    return next;
  }

  private finish(job: EvaluationRecord, state: EvaluationState, error: EvaluationRecord['error']): void {
    job.state = state;
    job.error = error;
    job.finishedAt = new Date().toISOString();
  }

  private pump(): void {
    if (!this.started || this.closing || this.running) return;
    const id = this.queue.shift();
    if (!id) return;
    const job = this.jobs.get(id)!;
    const controller = new AbortController();
    const done = this.run(job, controller.signal).finally(() => {
      this.running = null;
      this.pump();
    });
    this.running = { id, controller, done };
  }

  private async run(job: EvaluationRecord, signal: AbortSignal): Promise<void> {
    const { logger, renderer, models } = this.opts;
    job.state = 'running';
    if (job.startedAt) job.restarts += 1;
    job.startedAt ??= new Date().toISOString();
    job.progress = { ...job.progress, done: 0, rate: 0, etaSeconds: null, elapsedSeconds: 0 };
    await this.persist(job);
    logger.info(`evaluations: ${job.id} (${job.name}) started${job.restarts > 0 ? `, from the start after ${job.restarts} restart(s)` : ''}`);
    let lastWrite = Date.now();
    const interval = this.opts.persistIntervalMs ?? 1000;
    let lease: { release(): void } | null = null;
    try {
      const checked = await this.check(job.request);
      const located = await models.locate(checked.fields.classifier, 'classifier', 'classifier');
      const acquired = await models.acquire(located);
      lease = acquired;
      const input: EvaluationInput = checked.input.kind === 'spec' ? { kind: 'spec', plan: checked.input.plan, renderer } : checked.input;
      const search = checked.input.kind === 'spec' && checked.fields.search > 0
        ? worstCaseSearch({ plan: checked.input.plan, renderer, classes: checked.classes, budget: checked.fields.search }) : undefined;
      const result = await evaluate({
        input, classifier: acquired.value.classifier, map: checked.fields.map, mapField: 'map', out: this.outDir(job.id), overwrite: true,
        search, searchBudget: checked.fields.search, batch: checked.fields.batch, topK: checked.fields.topK, minCellCount: checked.fields.minCellCount, saveImages: checked.fields.saveImages,
        signal,
        onProgress: (p) => {
          job.progress = p;
          if (Date.now() - lastWrite >= interval) {
            lastWrite = Date.now();
            void this.persist(job);
          }
        },
      });
      const o = result.report.overall;
      job.summary = { count: result.count, accuracy: o.accuracy, ci: o.ci, meanLoss: o.meanLoss, ece: o.ece };
      job.progress = { ...job.progress, done: result.count, total: result.count, etaSeconds: 0 };
      this.finish(job, 'done', null);
      logger.info(`evaluations: ${job.id} done: accuracy ${o.accuracy} on ${result.count} samples in ${result.seconds.toFixed(1)} s`);
    } catch (err) {
      if (signal.aborted) {
        if (signal.reason === 'cancel') {
          this.finish(job, 'cancelled', null);
          logger.info(`evaluations: ${job.id} cancelled at ${job.progress.done}/${job.progress.total}`);
        } else {
          job.state = 'queued';
          logger.info(`evaluations: ${job.id} stopped at ${job.progress.done}/${job.progress.total}; runs again at the next start`);
        }
      } else {
        // a model over its budget fails the evaluation for good (model_failed), as it fails other jobs
        const known = err instanceof HttpError || err instanceof InputError || err instanceof OutputError || err instanceof RenderError || err instanceof ModelRunError;
        const code = err instanceof HttpError ? err.code : err instanceof InputError ? 'invalid_request' : err instanceof RenderError ? 'render_failed'
          : err instanceof ModelRunError ? 'model_failed' : 'evaluation_failed';
        this.finish(job, 'failed', { code, message: known ? (err as Error).message : 'the evaluation failed unexpectedly; the server log has the details' });
        logger.error(`evaluations: ${job.id} failed: ${known ? (err as Error).message : (err as Error)?.stack ?? String(err)}`);
      }
    } finally {
      lease?.release();
    }
    await this.persist(job);
  }
}

/** An evaluation job as the API shows it. */
export function evaluationView(job: EvaluationRecord): Record<string, unknown> {
  const self = `/v1/evaluations/${job.id}`;
  const p = job.progress;
  const done = job.state === 'done';
  return {
    id: job.id, status: job.state, name: job.name, classifier: job.request.classifier ?? null,
    createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: job.finishedAt,
    progress: { done: p.done, total: p.total, rate: p.rate, etaSeconds: FINISHED.includes(job.state) ? null : p.etaSeconds, elapsedSeconds: p.elapsedSeconds },
    restarts: job.restarts, error: job.error, summary: job.summary,
    links: { self, files: `${self}/files`, report: done ? `${self}/files/report.json` : null, markdown: done ? `${self}/files/report.md` : null },
  };
}

/** Files of a folder (relative paths, sorted), skipping dot files and temp files. */
async function listFiles(root: string, rel = ''): Promise<{ path: string; bytes: number }[]> {
  const entries = await readdir(join(root, rel), { withFileTypes: true }).catch(() => []);
  const out: { path: string; bytes: number }[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.') || TEMP_FILE_RE.test(e.name)) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(root, path));
    else if (e.isFile()) out.push({ path, bytes: (await stat(join(root, path))).size });
  }
  return out;
}

/** What the evaluations router needs. */
export interface EvaluationRoutesDeps {
  evaluations: EvaluationJobs;
  limits: ServerLimits;
}

/** The evaluations router (mount at /v1/evaluations, after auth). */
export function evaluationsRouter(deps: EvaluationRoutesDeps): Router {
  const { evaluations } = deps;
  const json = express.json({ limit: deps.limits.bodyLimit, strict: false, type: ['application/json', 'application/*+json'] });
  const router = express.Router({ strict: false });
  const jobOf = (req: Request): EvaluationRecord => {
    const id = checkJobId(req.params.id);
    const job = evaluations.get(id);
    if (!job) throw notFound(`no evaluation ${id}`);
    return job;
  };

  router.route('/').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json({ evaluations: evaluations.list().map(evaluationView) });
  }).post(requireJson(), json, async (req, res) => {
    negotiate(req, ['application/json']);
    const job = await evaluations.submit(req.body as Record<string, unknown>);
    res.status(202).setHeader('Location', `/v1/evaluations/${job.id}`);
    res.json(evaluationView(job));
  }).all(methodNotAllowed(['GET', 'POST']));

  router.route('/:id').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json(evaluationView(jobOf(req)));
  }).delete(async (req, res) => {
    negotiate(req, ['application/json']);
    res.json(evaluationView(await evaluations.cancel(jobOf(req).id)));
  }).all(methodNotAllowed(['GET', 'DELETE']));

  router.route('/:id/files').get(async (req, res) => {
    negotiate(req, ['application/json']);
    res.json({ files: await listFiles(evaluations.outDir(jobOf(req).id)) });
  }).all(methodNotAllowed(['GET']));

  router.route('/:id/files/*path').get(async (req: Request, res: Response) => {
    const job = jobOf(req);
    const segments = (req.params as unknown as { path: string[] | string }).path;
    const rel = relativeFilePath(Array.isArray(segments) ? segments : [segments]);
    if (rel.split('/').some((s) => s.startsWith('.'))) throw notFound(`no file ${rel}`);
    const real = await resolveInside(evaluations.outDir(job.id), rel);
    const info = await stat(real).catch(() => null);
    if (!info?.isFile()) throw notFound(`no file ${rel} in evaluation ${job.id}${job.state === 'done' ? '' : ` (it is ${job.state}; files appear when it is done)`}`);
    await new Promise<void>((resolve, reject) => {
      res.sendFile(real, { dotfiles: 'allow', headers: { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' } }, (err) => (err && !res.headersSent ? reject(err) : resolve()));
    });
  }).all(methodNotAllowed(['GET']));

  return router;
}


/** The dataset jobs as evaluation inputs: a done job that wrote an image folder. */
export function datasetLookup(jobs: Pick<JobManager, 'get' | 'outDir'>): DatasetLookup {
  return {
    folderOf(id) {
      const job = jobs.get(id);
      if (!job) return { why: 'no dataset job has this id' };
      if (job.state !== 'done') return { why: `the job is ${job.state}` };
      if (!job.formats.includes('imagefolder')) return { why: `the job wrote ${job.formats.join(', ')}, no image folder` };
      return { dir: jobs.outDir(id) };
    },
  };
}

/** The body of POST /v1/evaluations (for the OpenAPI document; the route checks it with EvaluationFieldsSchema and parseSpec). */
export const EvaluationRequestSchema = EvaluationFieldsSchema.extend({
  spec: SpecSchema.optional().describe('the factor spec to render (random, grid or sweep); or give `dataset`'),
});

const StatsSchema = z.object({ count: z.number().int(), accuracy: z.number(), ci: z.tuple([z.number(), z.number()]), meanLoss: z.number(), ece: z.number() });

/** An evaluation job as the API shows it (see evaluationView). */
export const EvaluationSchema = z.object({
  id: z.string(), status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']), name: z.string(), classifier: z.string().nullable(),
  createdAt: z.string(), startedAt: z.string().nullable(), finishedAt: z.string().nullable(),
  progress: z.object({ done: z.number(), total: z.number(), rate: z.number(), etaSeconds: z.number().nullable(), elapsedSeconds: z.number() }),
  restarts: z.number().int(), error: z.object({ code: z.string(), message: z.string() }).nullable(),
  summary: StatsSchema.nullable().describe('once done: the overall numbers of report.json (accuracy with its 95% Wilson interval)'),
  links: z.object({ self: z.string(), files: z.string(), report: z.string().nullable(), markdown: z.string().nullable() }),
});

/** Request schemas of the evaluations API, by OpenAPI component name. */
export const EVALUATION_REQUEST_SCHEMAS: Record<string, z.ZodType> = { EvaluationRequest: EvaluationRequestSchema };
/** Response schemas of the evaluations API, by OpenAPI component name. */
export const EVALUATION_RESPONSE_SCHEMAS: Record<string, z.ZodType> = { Evaluation: EvaluationSchema, EvaluationList: z.object({ evaluations: z.array(EvaluationSchema) }) };

/** The OpenAPI paths of the evaluations API (helpers as the sessions API's). */
export function evaluationPaths(h: OpenApiHelpers): Record<string, Record<string, unknown>> {
  const id = { name: 'id', in: 'path', required: true, description: 'an evaluation id', schema: { type: 'string', format: 'uuid' } };
  return {
    '/v1/evaluations': {
      get: { summary: 'evaluation jobs', responses: { 200: { description: 'oldest first', content: h.jsonContent('EvaluationList') }, ...h.errors(...h.common) } },
      post: {
        summary: 'evaluate a classifier along each factor of a spec (rendered straight into the model) or of a finished dataset job: accuracy with 95% intervals, mean loss and ECE per factor value, class × value and factor pair, sweep consistency, worst cells, an optional worst-case search',
        description: 'The classifier (a name under models/ or an uploaded classifier id) is loaded and probed and the class mapping resolved first: bad input answers 400 naming the field '
          + '(map.car[1], classifier, spec.count) and no job is made. The job writes report.json, report.md, predictions.jsonl, tables/*.csv and plots/*.png; '
          + 'one stopped by a restart runs again from the start to the same report. See docs/evaluation.md.',
        requestBody: h.body('EvaluationRequest'),
        responses: { 202: { description: 'queued; Location is the evaluation', content: h.jsonContent('Evaluation') }, ...h.errors(400, 413, 415, 429, ...h.common) },
      },
    },
    '/v1/evaluations/{id}': {
      get: { summary: 'an evaluation: status, progress, and once done its overall numbers', parameters: [id], responses: { 200: { description: 'the evaluation', content: h.jsonContent('Evaluation') }, ...h.errors(400, 404, ...h.common) } },
      delete: { summary: 'cancel an evaluation (nothing is written)', parameters: [id], responses: { 200: { description: 'cancelled', content: h.jsonContent('Evaluation') }, ...h.errors(400, 404, 409, ...h.common) } },
    },
    '/v1/evaluations/{id}/files': {
      get: { summary: 'the files an evaluation wrote', parameters: [id], responses: { 200: { description: 'relative paths and sizes', content: h.jsonContent('FileList') }, ...h.errors(400, 404, ...h.common) } },
    },
    '/v1/evaluations/{id}/files/{path}': {
      get: {
        summary: 'one file of an evaluation (report.json, report.md, predictions.jsonl, tables/*.csv, plots/*.png, search/*.png)',
        parameters: [id, { name: 'path', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'the file', content: { 'application/octet-stream': { schema: h.binary } } }, ...h.errors(400, 404, ...h.common) },
      },
    },
  };
}
