/**
 * Dataset jobs: an in-process queue that runs one job at a time (the renderer is one GPU device; the
 * generator's sessions share the CPU), with each job's state on disk so jobs survive restarts. Three
 * kinds: `export` (a spec rendered by exportDataset, POST /v1/datasets), `generate` (a diffusion
 * request run by a GenerateRunner, POST /v1/generate) and `batch` (a feedback session's next batch
 * as one WebDataset tar, run by a BatchRunner, POST /v1/sessions/:id/batches?as=job). Layout under
 * the data dir:
 *
 *   jobs/<id>/job.json   the job (kind, request, state, progress, error), written atomically
 *   jobs/<id>/out/       the dataset, written by exportDataset or generateDataset
 *
 * A job found `queued` or `running` at startup is queued again: an export resumes with exportDataset's
 * `resume: true` (its journal keeps finished samples); a generate job starts again from scratch in an
 * emptied folder (generateDataset keeps no journal; its images are deterministic, so the result is the
 * same); a batch job starts again with a new batch of its session. Finished jobs stay listed and
 * downloadable.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, removeTempFiles } from '../core/fs.js';
import { InputError, OutputError, RenderError } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import type { Catalog } from '../spec/catalog.js';
import { parseSpec } from '../spec/schema.js';
import { planSampling } from '../spec/sample.js';
import type { SceneRenderer } from '../render/renderer.js';
import { exportDataset, type WriterFormat } from '../export/export.js';
import { HttpError, modelFailed } from './errors.js';
import { ModelRunError } from '../diffusion/model-limits.js';
import { JOB_ID_RE } from './paths.js';
import type { Logger } from './logger.js';
import type { JOB_KINDS, JOB_STATES } from './schemas.js';
import type { GenerateRunner } from './generation.js';
import type { GenerateBody } from './requests.js';
import type { BatchJobBody, BatchRunner } from './session-batches.js';

/** A job's state. */
export type JobState = (typeof JOB_STATES)[number];

/** A job's kind. */
export type JobKind = (typeof JOB_KINDS)[number];

/** Format tag of job.json. */
export const JOB_FORMAT = 'synth.job/1';

/** job.json: everything needed to show, resume or download a job. */
export interface JobRecord {
  format: typeof JOB_FORMAT;
  id: string;
  /** Absent in job files written before generate jobs: export. */
  kind: JobKind;
  state: JobState;
  name: string;
  /** export: the spec as the client sent it (parsed again when the job starts, so a restart re-validates); generate: null. */
  spec: Record<string, unknown> | null;
  /** generate: the POST /v1/generate body (validated again when the job starts); batch: {session, n, strategy}; export: null. */
  request: Record<string, unknown> | null;
  formats: WriterFormat[];
  /** export: samples per WebDataset shard; generate: null. */
  shardSize: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: Progress;
  restarts: number;
  /** Times the job was run again after a transient resource error (absent in older job files: 0). */
  retries?: number;
  error: { code: string; message: string } | null;
}

/**
 * Error codes of the operating system that say a resource ran out for a while, not that the job is
 * wrong: a job failing on one is queued again after a delay (JOB_RETRY_DELAYS_MS), an export
 * resuming from its journal.
 */
export const TRANSIENT_ERROR_CODES: readonly string[] = ['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'EBUSY', 'ENOSPC'];

/** Delays before each retry of a job that failed on a transient error; after the last, it fails for good. */
export const JOB_RETRY_DELAYS_MS: readonly number[] = [2_000, 10_000, 60_000, 300_000];

/** The transient resource error code of `err` (its own code, a cause's, or one named in its message), or null. */
export function transientErrorCode(err: unknown): string | null {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_ERROR_CODES.includes(code)) return code;
    const message = (e as { message?: unknown }).message;
    const named = typeof message === 'string' ? /\b(E[A-Z]+)\b/.exec(message)?.[1] : undefined;
    if (named && TRANSIENT_ERROR_CODES.includes(named)) return named;
  }
  return null;
}

/** Options of JobManager.open. */
export interface JobManagerOptions {
  dataDir: string;
  renderer: SceneRenderer;
  catalog: Catalog;
  logger: Logger;
  /** Jobs allowed to wait behind the running one. */
  maxQueued: number;
  /** How often progress is written to job.json while a job runs (ms). */
  persistIntervalMs?: number;
  /** Runs generate jobs (without it they fail with a message saying generation is not configured). */
  generator?: GenerateRunner;
  /** Runs session batch jobs (POST /v1/sessions/:id/batches?as=job). */
  batcher?: BatchRunner;
  /** Delays before each retry after a transient resource error (default JOB_RETRY_DELAYS_MS). */
  retryDelaysMs?: readonly number[];
}

/** What a client asks for when submitting a job: an export of a spec, or a generation. */
export type JobRequest =
  | { kind?: 'export'; spec: Record<string, unknown>; name: string; total: number; formats: WriterFormat[]; shardSize: number }
  | { kind: 'generate'; request: GenerateBody; name: string; total: number }
  | { kind: 'batch'; request: BatchJobBody; name: string; total: number };

const FINISHED: readonly JobState[] = ['done', 'failed', 'cancelled'];

/** True for done, failed and cancelled jobs. */
export function isFinished(state: JobState): boolean {
  return FINISHED.includes(state);
}

/** The dataset jobs of one data dir, run one at a time. */
export class JobManager {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: string[] = [];
  private readonly writes = new Map<string, Promise<void>>();
  /** Jobs waiting out a retry delay (queued, not yet in `queue`). */
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private running: { id: string; controller: AbortController; done: Promise<void> } | null = null;
  private closing = false;
  private started = false;

  private constructor(private readonly opts: JobManagerOptions) {}

  /**
   * Load the jobs under `<dataDir>/jobs` (unreadable job files are logged and skipped); unfinished
   * ones are queued again in creation order. Call start() to begin running them.
   */
  static async open(opts: JobManagerOptions): Promise<JobManager> {
    const m = new JobManager(opts);
    const root = m.jobsDir();
    await mkdir(root, { recursive: true });
    await removeTempFiles(root).catch(() => 0);
    const loaded: JobRecord[] = [];
    for (const name of await readdir(root)) {
      if (!JOB_ID_RE.test(name)) continue;
      try {
        const job = JSON.parse(await readFile(join(root, name, 'job.json'), 'utf8')) as JobRecord;
        if (job.format !== JOB_FORMAT || job.id !== name) throw new Error('not a synth job file');
        job.kind ??= 'export';
        job.request ??= null;
        loaded.push(job);
      } catch (err) {
        opts.logger.error(`jobs: skipping ${name}: ${(err as Error).message}`);
      }
    }
    loaded.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    for (const job of loaded) {
      m.jobs.set(job.id, job);
      if (!isFinished(job.state)) {
        job.state = 'queued'; // 'running' means the process died mid-job: resume it all the same
        m.queue.push(job.id);
        void m.persist(job);
      }
    }
    if (m.queue.length > 0) opts.logger.info(`jobs: ${m.queue.length} unfinished job(s) queued to resume`);
    return m;
  }

  /** `<dataDir>/jobs`. */
  jobsDir(): string {
    return join(this.opts.dataDir, 'jobs');
  }

  /** Folder of job `id`'s dataset. */
  outDir(id: string): string {
    return join(this.jobsDir(), id, 'out');
  }

  /** Jobs waiting to run. */
  get queued(): number {
    return this.queue.length;
  }

  /** 1 while a job runs, else 0. */
  get runningCount(): number {
    return this.running ? 1 : 0;
  }

  /** The job, or undefined. */
  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** Every job, oldest first. */
  list(): JobRecord[] {
    return [...this.jobs.values()];
  }

  /** Seconds a client should wait before submitting again when the queue is full. */
  retryAfterSeconds(): number {
    const eta = this.running ? this.jobs.get(this.running.id)?.progress.etaSeconds : null;
    return Math.max(1, Math.min(3600, Math.ceil(eta ?? 10)));
  }

  /**
   * Queue a job and persist it before answering.
   * @throws HttpError 429 (with Retry-After) when maxQueued jobs wait already, 503 while closing.
   */
  async submit(req: JobRequest): Promise<JobRecord> {
    if (this.closing) throw new HttpError(503, 'shutting_down', 'the server is shutting down; submit again after it restarts', null, { 'Retry-After': '5' });
    // A job waits unless it can start right away (nothing running, nothing ahead of it).
    const waitingAfter = this.queue.length + (this.running || !this.started ? 1 : 0);
    if (waitingAfter > this.opts.maxQueued) {
      const retry = this.retryAfterSeconds();
      throw new HttpError(429, 'queue_full', `the job queue is full (${this.queue.length} waiting, cap maxQueuedJobs ${this.opts.maxQueued}); retry in ${retry} s`, { retryAfterSeconds: retry, queued: this.queue.length }, { 'Retry-After': String(retry) });
    }
    const now = new Date().toISOString();
    const what = req.kind === 'generate'
      ? { kind: 'generate' as const, spec: null, request: req.request as Record<string, unknown>, formats: ['imagefolder' as const], shardSize: null }
      : req.kind === 'batch'
        ? { kind: 'batch' as const, spec: null, request: { ...req.request } as Record<string, unknown>, formats: [], shardSize: null }
        : { kind: 'export' as const, spec: req.spec, request: null, formats: req.formats, shardSize: req.shardSize };
    const job: JobRecord = {
      format: JOB_FORMAT, id: randomUUID(), ...what, state: 'queued', name: req.name,
      createdAt: now, startedAt: null, finishedAt: null, restarts: 0, error: null,
      progress: { done: 0, total: req.total, rate: 0, etaSeconds: null, elapsedSeconds: 0 },
    };
    this.jobs.set(job.id, job);
    this.queue.push(job.id);
    await this.persist(job);
    this.pump();
    return job;
  }

  /**
   * Cancel a queued or running job; a running one stops after the samples in flight (its files stay).
   * @throws HttpError 404 for an unknown job, 409 for a finished one.
   */
  async cancel(id: string): Promise<JobRecord> {
    const job = this.jobs.get(id);
    if (!job) throw new HttpError(404, 'not_found', `no dataset job ${id}`);
    if (isFinished(job.state)) throw new HttpError(409, 'conflict', `dataset job ${id} is already ${job.state}`, { status: job.state });
    if (this.running?.id === id) {
      this.running.controller.abort('cancel');
      await this.running.done;
      return job;
    }
    const timer = this.retryTimers.get(id);
    if (timer) {
      clearTimeout(timer);
      this.retryTimers.delete(id);
    } else this.queue.splice(this.queue.indexOf(id), 1);
    this.finish(job, 'cancelled', null);
    await this.persist(job);
    return job;
  }

  /** Start running queued jobs (one at a time). */
  start(): void {
    this.started = true;
    this.pump();
  }

  /**
   * Stop: refuse new jobs, abort the running one (exportDataset keeps a resumable journal) and mark it
   * `queued` on disk so the next start resumes it; resolves once its state is written.
   */
  async close(): Promise<void> {
    this.closing = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer); // still queued on disk: run at the next start
    this.retryTimers.clear();
    if (this.running) {
      this.running.controller.abort('shutdown');
      await this.running.done;
    }
    await Promise.all(this.writes.values());
  }

  /**
   * Queue a job that failed on a transient resource error again after the next delay of
   * retryDelaysMs; false when the error is not transient or the retries are spent.
   */
  private retryLater(job: JobRecord, err: unknown): boolean {
    const code = transientErrorCode(err);
    const delays = this.opts.retryDelaysMs ?? JOB_RETRY_DELAYS_MS;
    const retries = job.retries ?? 0;
    if (!code || this.closing) return false;
    if (retries >= delays.length) return false;
    const delay = delays[retries];
    job.retries = retries + 1;
    job.state = 'queued';
    job.error = { code: 'retrying', message: `${code} (a resource ran out for a while): retry ${retries + 1} of ${delays.length} in ${Math.ceil(delay / 1000)} s` };
    this.opts.logger.error(`jobs: ${job.id} hit ${code}: ${(err as Error).message}; retry ${retries + 1} of ${delays.length} in ${delay} ms`);
    this.retryTimers.set(job.id, setTimeout(() => {
      this.retryTimers.delete(job.id);
      if (this.closing || job.state !== 'queued') return;
      this.queue.push(job.id);
      this.pump();
    }, delay));
    return true;
  }

  /** Write job.json atomically; writes of one job are chained so the last state always wins. */
  private persist(job: JobRecord): Promise<void> {
    const path = join(this.jobsDir(), job.id, 'job.json');
    const previous = this.writes.get(job.id) ?? Promise.resolve();
    const next = previous.then(() => writeFileAtomic(path, `${JSON.stringify(job, null, 2)}\n`)).catch((err) => {
      this.opts.logger.error(`jobs: could not write ${path}: ${(err as Error).message}`);
    });
    this.writes.set(job.id, next);
    return next;
  }

  private finish(job: JobRecord, state: JobState, error: JobRecord['error']): void {
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

  private async run(job: JobRecord, signal: AbortSignal): Promise<void> {
    const { logger, renderer, catalog } = this.opts;
    job.state = 'running';
    if (job.startedAt && job.error?.code !== 'retrying') job.restarts += 1; // started before, in an earlier process
    job.startedAt ??= new Date().toISOString();
    await this.persist(job);
    const again = job.kind !== 'export' ? `, restarting from scratch after ${job.restarts} restart(s)` : `, resuming after ${job.restarts} restart(s)`;
    logger.info(`jobs: ${job.id} (${job.kind} ${job.name}) started${job.restarts > 0 ? again : ''}`);
    let lastWrite = Date.now();
    const interval = this.opts.persistIntervalMs ?? 1000;
    const onProgress = (p: Progress) => {
      job.progress = { ...p, done: Math.floor(p.done) }; // the generator reports fractions of a batch
      if (Date.now() - lastWrite >= interval) {
        lastWrite = Date.now();
        void this.persist(job);
      }
    };
    try {
      let result: { count: number; summary: string };
      if (job.kind === 'export') {
        const spec = parseSpec(job.spec, catalog);
        job.progress.total = planSampling(spec, catalog).count;
        const r = await exportDataset({
          spec, catalog, renderer, out: this.outDir(job.id), formats: job.formats, shardSize: job.shardSize ?? undefined, resume: true, signal, onProgress,
        });
        result = { count: r.count, summary: `${r.count} samples (${r.rendered} rendered, ${r.skipped} resumed) in ${r.seconds.toFixed(1)} s` };
      } else {
        // generate and batch jobs keep no journal to resume from: they start again in an emptied folder
        // (a batch job with a new batch of its session)
        const out = this.outDir(job.id);
        await rm(out, { recursive: true, force: true });
        job.progress = { done: 0, total: job.progress.total, rate: 0, etaSeconds: null, elapsedSeconds: 0 };
        if (job.kind === 'batch') {
          const { batcher } = this.opts;
          if (!batcher) throw new HttpError(503, 'internal', 'this server runs no session batch jobs');
          const body = job.request as unknown as BatchJobBody;
          const r = await batcher.run(body, out, { signal, onProgress });
          result = { count: r.count, summary: `batch ${r.batch} of session ${body.session}, ${r.count} samples in ${r.seconds.toFixed(1)} s` };
        } else {
          const { generator } = this.opts;
          if (!generator) throw new HttpError(503, 'internal', 'this server has no diffusion generator configured');
          const r = await generator.run(job.request as GenerateBody, out, { signal, onProgress });
          result = { count: r.count, summary: `${r.count} images generated in ${r.seconds.toFixed(1)} s` };
        }
      }
      job.progress = { ...job.progress, done: result.count, total: result.count, etaSeconds: 0 };
      this.finish(job, 'done', null);
      logger.info(`jobs: ${job.id} done: ${result.summary}`);
    } catch (caught) {
      // a model over its budget fails the job for good, naming the budget (batch jobs' classifiers too)
      const err = caught instanceof ModelRunError ? modelFailed(caught) : caught;
      // Stopped by cancel or shutdown: whatever the work threw on the way out (an AbortError, or the
      // abort's reason from a throwIfAborted) is the stop, not a failure.
      if (signal.aborted) {
        if (signal.reason === 'cancel') {
          this.finish(job, 'cancelled', null);
          logger.info(`jobs: ${job.id} cancelled at ${job.progress.done}/${job.progress.total}`);
        } else {
          job.state = 'queued'; // shutdown: resume (export) or start again (generate) at the next start
          logger.info(`jobs: ${job.id} stopped at ${job.progress.done}/${job.progress.total}; ${job.kind === 'export' ? 'resumes' : 'restarts from scratch'} at the next start`);
        }
      } else if (this.retryLater(job, err)) {
        // queued again after a delay: persisted below
      } else {
        const failed = `${job.kind}_failed`;
        const transient = transientErrorCode(err);
        const code = transient ? 'resource_exhausted' : err instanceof HttpError ? err.code : err instanceof InputError ? (job.kind === 'generate' ? 'invalid_request' : 'invalid_spec') : err instanceof OutputError ? 'output_conflict' : err instanceof RenderError ? 'render_failed' : failed;
        const known = transient !== null || err instanceof HttpError || err instanceof InputError || err instanceof OutputError || err instanceof RenderError || err instanceof RangeError;
        const message = transient ? `${transient} after ${job.retries ?? 0} retries (a resource of the server ran out): ${(err as Error).message}`
          : known ? (err as Error).message : `the ${job.kind} failed unexpectedly; the server log has the details`;
        this.finish(job, 'failed', { code, message });
        logger.error(`jobs: ${job.id} failed: ${known ? message : (err as Error)?.stack ?? String(err)}`);
      }
    }
    await this.persist(job);
  }
}
