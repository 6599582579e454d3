/**
 * The express app factory: createApp(deps) wires the renderer, catalog, job manager and limits into
 * the /v1 routes. It never listens; main.ts (or a test) does.
 *
 * Order of middleware: request id + log line, shutdown gate, CORS, health (no auth), bearer auth,
 * routes (JSON bodies parsed per route, after auth), 404, error shape.
 */
import express, { type Express, type Request, type Response } from 'express';
import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AssetLibrary } from '../assets/library.js';
import type { SceneRenderer } from '../render/renderer.js';
import type { Catalog } from '../spec/catalog.js';
import { FACTORS } from '../spec/factors.js';
import { TEXTURES } from '../assets/textures.js';
import { ENVIRONMENTS } from '../assets/environments.js';
import { NAMED_COLORS } from '../core/color.js';
import { SYNTH_VERSION } from '../core/version.js';
import { TEMP_FILE_RE } from '../core/fs.js';
import { LABEL_PASSES } from '../spec/schema.js';
import { WRITER_FORMATS } from '../export/manifest.js';
import { TAR_END } from '../pipeline/tar.js';
import { tarShardPath } from '../export/webdataset.js';
import type { ImageFormat } from '../pipeline/encode.js';
import { SERVER_DEFAULTS, type ServerLimits } from './config.js';
import { HttpError, errorHandler, notFound, badField } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { bearerAuth, cors, methodNotAllowed, negotiate, requestLog, requireJson } from './middleware.js';
import { checkJobId, relativeFilePath, resolveInside } from './paths.js';
import { parseDatasetRequest, parseRenderRequest, parseStreamRequest } from './requests.js';
import { IMAGE_MIME, indexRange, renderInOrder, sampleHeader, sampleJson, sampleTar, type EncodedSample } from './samples.js';
import { isFinished, type JobManager, type JobRecord } from './jobs.js';
import { buildOpenApi } from './openapi.js';
import type { ModelRegistry } from './models.js';
import type { GenerationService } from './generation.js';
import { diffusionRoutes } from './diffusion-routes.js';
import type { SessionStore } from '../feedback/store.js';
import { sessionsRouter } from './sessions.js';

/** What createApp wires together. */
export interface AppDeps {
  renderer: SceneRenderer;
  library: AssetLibrary;
  /** Default: library.catalog(). */
  catalog?: Catalog;
  jobs: JobManager;
  limits?: Partial<ServerLimits>;
  logger?: Logger;
  /** Accepted bearer tokens; empty or absent: no auth. */
  apiKeys?: readonly string[];
  /** Origin allowed by CORS; absent: no CORS headers. */
  corsOrigin?: string | null;
  /** Fires when the server shuts down: new requests get 503, streams stop. */
  shutdownSignal?: AbortSignal;
  /** Diffusion models (committed and uploaded); with `generation`, enables /v1/generate and /v1/classifiers. */
  models?: ModelRegistry;
  generation?: GenerationService;
  /** Feedback sessions and the data dir they (and uploaded classifiers) live in; enables /v1/sessions. */
  sessions?: { store: SessionStore; dataDir: string };
}

/** Counters the app keeps (health, graceful shutdown). */
export interface AppStats {
  requests: number;
  streams: number;
}

/** Answers of POST /v1/render, in order of preference when Accept allows several. */
const RENDER_TYPES = ['application/json', 'image/png', 'image/jpeg', 'image/webp', 'application/x-tar'] as const;
const IMAGE_FORMAT_OF: Readonly<Record<string, ImageFormat>> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' };

/** The catalog document of GET /v1/catalog. */
export function catalogDocument(catalog: Catalog, limits: ServerLimits): Record<string, unknown> {
  return {
    classes: catalog.classes.map((c) => ({ name: c.name, family: c.family, variants: [...c.variants], params: c.params })),
    factors: FACTORS.map((f) => ({ name: f.name, kind: f.kind, unit: f.unit ?? null, range: f.range ?? null, domain: f.domain ?? null, perObject: f.perObject, default: f.default, doc: f.doc })),
    textures: [{ name: 'default', doc: 'the asset\'s own surface' }, ...TEXTURES.map((t) => ({ name: t.name, doc: t.doc }))]
      .filter((t) => catalog.textures.includes(t.name)),
    environments: ENVIRONMENTS.filter((e) => catalog.environments.includes(e.name)).map((e) => ({ name: e.name, doc: e.doc })),
    colors: NAMED_COLORS,
    labelPasses: [...LABEL_PASSES],
    imageFormats: ['png', 'jpeg', 'webp'],
    writerFormats: [...WRITER_FORMATS],
    models: [],
    limits,
  };
}

/** A job as the API shows it (see JobSchema). */
export function jobView(job: JobRecord): Record<string, unknown> {
  const self = `/v1/datasets/${job.id}`;
  const p = job.progress;
  return {
    id: job.id, kind: job.kind, status: job.state, name: job.name, formats: job.formats, shardSize: job.shardSize,
    createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: job.finishedAt,
    progress: { done: p.done, total: p.total, rate: p.rate, etaSeconds: isFinished(job.state) ? null : p.etaSeconds, elapsedSeconds: p.elapsedSeconds },
    restarts: job.restarts, error: job.error,
    ...(job.kind === 'batch' ? { session: String(job.request?.session) } : {}),
    links: { self, files: `${self}/files`, manifest: job.kind === 'batch' ? null : `${self}/files/manifest.json`, shards: job.formats.includes('webdataset') ? `${self}/shards/{n}` : null },
  };
}

/** Files of a dataset folder (relative paths, sorted), skipping the resume journal and temp files. */
async function listFiles(root: string, rel = ''): Promise<{ path: string; bytes: number }[]> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: { path: string; bytes: number }[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.') || TEMP_FILE_RE.test(e.name)) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(root, path));
    else if (e.isFile()) out.push({ path, bytes: (await stat(join(root, path))).size });
  }
  return out;
}

/** Send a file of a job's dataset (Range and HEAD supported), after the confinement checks. */
async function sendDatasetFile(res: Response, root: string, rel: string): Promise<void> {
  if (rel.split('/').some((s) => s.startsWith('.'))) throw notFound(`no file ${rel}`);
  const real = await resolveInside(root, rel);
  const info = await stat(real).catch(() => null);
  if (!info?.isFile()) throw notFound(`no file ${rel}`);
  await new Promise<void>((resolve, reject) => {
    res.sendFile(real, { dotfiles: 'allow', headers: { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' } }, (err) => (err && !res.headersSent ? reject(err) : resolve()));
  });
}

/**
 * Build the express app. Throws nothing; every request error is answered in the one error shape.
 * @example const app = createApp({ renderer, library, jobs }); app.listen(0);
 */
export function createApp(deps: AppDeps): Express & { stats: AppStats } {
  const limits: ServerLimits = { ...SERVER_DEFAULTS.limits, ...deps.limits };
  const logger = deps.logger ?? createLogger();
  const catalog = deps.catalog ?? deps.library.catalog();
  const { renderer, jobs } = deps;
  const stats: AppStats = { requests: 0, streams: 0 };
  const started = Date.now();
  const catalogDoc = catalogDocument(catalog, limits);
  const openapi = buildOpenApi(limits, { auth: (deps.apiKeys?.length ?? 0) > 0 });
  const json = express.json({ limit: limits.bodyLimit, strict: false, type: ['application/json', 'application/*+json'] });
  const app = express() as Express & { stats: AppStats };
  app.stats = stats;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestLog(logger));
  app.use((req, res, next) => {
    if (deps.shutdownSignal?.aborted) {
      res.setHeader('Connection', 'close');
      return next(new HttpError(503, 'shutting_down', 'the server is shutting down', null, { 'Retry-After': '5' }));
    }
    stats.requests++;
    res.on('close', () => { stats.requests--; });
    next();
  });
  app.use(cors(deps.corsOrigin ?? null));

  const v1 = express.Router({ strict: false });
  app.use('/v1', v1);

  v1.route('/health').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json({
      status: 'ok', version: SYNTH_VERSION,
      renderer: { backend: renderer.backend, adapter: renderer.adapter.device || renderer.adapter.description },
      queue: { queued: jobs.queued, max: limits.maxQueuedJobs }, jobs: { running: jobs.runningCount },
      inFlight: { requests: stats.requests, streams: stats.streams }, uptimeSeconds: (Date.now() - started) / 1000,
    });
  }).all(methodNotAllowed(['GET']));

  v1.use(bearerAuth(deps.apiKeys ?? []));

  if (deps.sessions) {
    v1.use('/sessions', sessionsRouter({ ...deps.sessions, renderer, catalog, limits, stats, shutdownSignal: deps.shutdownSignal, models: deps.models, jobs: { manager: jobs, view: jobView } }));
  }

  v1.route('/catalog').get(async (req, res) => {
    negotiate(req, ['application/json']);
    res.json(deps.models ? { ...catalogDoc, models: await deps.models.list() } : catalogDoc);
  }).all(methodNotAllowed(['GET']));

  v1.route('/openapi.json').get((req, res) => {
    negotiate(req, ['application/json', 'application/vnd.oai.openapi+json']);
    res.json(openapi);
  }).all(methodNotAllowed(['GET']));

  /** An AbortSignal that fires when the client goes away (and, for streams, when the server shuts down). */
  const clientGone = (res: Response, alsoOnShutdown: boolean) => {
    const controller = new AbortController();
    const onClose = () => { if (!res.writableFinished) controller.abort(); };
    res.on('close', onClose);
    if (!alsoOnShutdown) return controller.signal; // in-flight sync requests finish during a shutdown
    const onShutdown = () => controller.abort();
    deps.shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
    res.on('close', () => deps.shutdownSignal?.removeEventListener('abort', onShutdown));
    return controller.signal;
  };

  v1.route('/render').post(requireJson(), json, async (req: Request, res: Response) => {
    const type = negotiate(req, RENDER_TYPES);
    const r = parseRenderRequest(req.body, catalog, limits);
    const signal = clientGone(res, false);
    const format = IMAGE_FORMAT_OF[type];
    const indices = format ? r.indices.slice(0, 1) : r.indices;
    const samples: EncodedSample[] = [];
    try {
      for await (const s of renderInOrder({ renderer, plan: r.plan, spec: r.spec, format, signal }, indices)) samples.push(s);
    } catch (err) {
      // A render failing after the client left (a shutdown may free the renderer under it) has no one to answer.
      if (!signal.aborted) throw err;
    }
    if (signal.aborted) return void res.destroy();
    res.setHeader('Cache-Control', 'no-store');
    if (format) {
      const s = samples[0];
      res.setHeader('X-Synth-Sample', sampleHeader(s));
      res.setHeader('X-Synth-Id', s.record.id);
      res.setHeader('X-Synth-Class', encodeURIComponent(s.record.class));
      res.setHeader('X-Synth-Label', String(s.record.label));
      res.type(IMAGE_MIME[format]).send(s.image);
    } else if (type === 'application/x-tar') {
      res.setHeader('Content-Disposition', `attachment; filename="${r.spec.name}.tar"`);
      res.setHeader('X-Synth-Count', String(samples.length));
      res.type('application/x-tar').send(Buffer.concat([...samples.map(sampleTar), TAR_END]));
    } else {
      res.json({ samples: samples.map(sampleJson) });
    }
  }).all(methodNotAllowed(['POST']));

  v1.route('/stream').post(requireJson(), json, async (req: Request, res: Response) => {
    negotiate(req, ['application/x-tar']);
    const r = parseStreamRequest(req.body, catalog, limits);
    const signal = clientGone(res, true);
    stats.streams++;
    try {
      res.status(200).type('application/x-tar');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Disposition', `attachment; filename="${r.spec.name}-${r.start}-${r.end}.tar"`);
      res.setHeader('X-Synth-Count', String(r.end - r.start));
      res.flushHeaders();
      for await (const s of renderInOrder({ renderer, plan: r.plan, spec: r.spec, signal }, indexRange(r.start, r.end))) {
        if (!res.write(sampleTar(s))) {
          await new Promise<void>((resolve) => {
            const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
            res.on('drain', done);
            res.on('close', done);
          });
        }
        if (signal.aborted) break;
      }
      // A stream cut short (client gone, shutdown) ends without the tar end marker: a truncated archive.
      if (signal.aborted) res.destroy();
      else res.end(TAR_END);
    } finally {
      stats.streams--;
    }
  }).all(methodNotAllowed(['POST']));

  v1.route('/datasets').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json({ datasets: jobs.list().map(jobView) });
  }).post(requireJson(), json, async (req, res) => {
    negotiate(req, ['application/json']);
    const r = parseDatasetRequest(req.body, catalog, limits);
    const job = await jobs.submit({ spec: r.raw, name: r.spec.name, total: r.plan.count, formats: r.formats, shardSize: r.shardSize });
    res.status(202).setHeader('Location', `/v1/datasets/${job.id}`);
    res.json(jobView(job));
  }).all(methodNotAllowed(['GET', 'POST']));

  const jobOf = (req: Request): JobRecord => {
    const id = checkJobId(req.params.id);
    const job = jobs.get(id);
    if (!job) throw notFound(`no dataset job ${id}`);
    return job;
  };

  v1.route('/datasets/:id').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json(jobView(jobOf(req)));
  }).delete(async (req, res) => {
    negotiate(req, ['application/json']);
    const job = await jobs.cancel(jobOf(req).id);
    res.json(jobView(job));
  }).all(methodNotAllowed(['GET', 'DELETE']));

  v1.route('/datasets/:id/files').get(async (req, res) => {
    negotiate(req, ['application/json']);
    const job = jobOf(req);
    res.json({ files: await listFiles(jobs.outDir(job.id)) });
  }).all(methodNotAllowed(['GET']));

  v1.route('/datasets/:id/files/*path').get(async (req, res) => {
    const job = jobOf(req);
    const segments = (req.params as unknown as { path: string[] | string }).path;
    const rel = relativeFilePath(Array.isArray(segments) ? segments : [segments]);
    await sendDatasetFile(res, jobs.outDir(job.id), rel);
  }).all(methodNotAllowed(['GET']));

  v1.route('/datasets/:id/shards/:n').get(async (req, res) => {
    const job = jobOf(req);
    const n = req.params.n;
    if (!/^\d{1,9}$/.test(n)) throw badField('n', 'a shard number (0, 1, ...)', JSON.stringify(n));
    if (!job.formats.includes('webdataset')) throw notFound(`dataset job ${job.id} writes no WebDataset shards (formats: ${job.formats.join(', ')})`);
    const path = tarShardPath(Number(n));
    await sendDatasetFile(res, jobs.outDir(job.id), path).catch((err) => {
      if (err instanceof HttpError && err.status === 404) throw notFound(`shard ${Number(n)} of dataset job ${job.id} is not written${isFinished(job.state) ? '' : ' yet'}`);
      throw err;
    });
  }).all(methodNotAllowed(['GET']));

  if (deps.models && deps.generation) {
    diffusionRoutes(v1, { models: deps.models, generation: deps.generation, jobs, limits, json, jobView, clientGone: (res) => clientGone(res, false) });
  }

  app.use((req, _res, next) => next(notFound(`no route ${req.method} ${req.originalUrl.split('?')[0]}; see GET /v1/openapi.json`)));
  app.use(errorHandler(logger));
  return app;
}
