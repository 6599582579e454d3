/**
 * The express app factory: createApp(deps) wires the renderer, catalog, job manager and limits into
 * the /v1 routers. It never listens; main.ts (or a test) does.
 *
 * Order of middleware: request id + log line, shutdown gate, CORS, health (no auth), bearer auth,
 * routes (JSON bodies parsed per route, after auth), 404, error shape. Each group of routes lives in
 * its own module: service-routes.ts (health, catalog, OpenAPI), render-routes.ts, stream-routes.ts,
 * dataset-routes.ts, sessions.ts, diffusion-routes.ts.
 */
import express, { type Express } from 'express';
import type { AssetLibrary } from '../assets/library.js';
import type { SceneRenderer } from '../render/renderer.js';
import type { Catalog } from '../spec/catalog.js';
import { SERVER_DEFAULTS, type ServerLimits } from './config.js';
import { HttpError, errorHandler, notFound } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { bearerAuth, cors, requestLog } from './middleware.js';
import type { JobManager } from './jobs.js';
import { buildOpenApi } from './openapi.js';
import type { ModelRegistry } from './models.js';
import type { GenerationService } from './generation.js';
import { diffusionRoutes } from './diffusion-routes.js';
import type { SessionStore } from '../feedback/store.js';
import { sessionsRouter } from './sessions.js';
import { catalogRouter, healthRouter } from './service-routes.js';
import { renderRouter } from './render-routes.js';
import { streamRouter } from './stream-routes.js';
import { datasetsRouter, jobView } from './dataset-routes.js';
import { clientGone } from './client-gone.js';
import { evaluationsRouter, type EvaluationJobs } from './evaluations.js';

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
  /** Evaluation jobs (a classifier along each factor); enables /v1/evaluations. */
  evaluations?: EvaluationJobs;
}

/** Counters the app keeps (health, graceful shutdown). */
export interface AppStats {
  requests: number;
  streams: number;
}

/**
 * Build the express app. Throws nothing; every request error is answered in the one error shape.
 * @example const app = createApp({ renderer, library, jobs }); app.listen(0);
 */
export function createApp(deps: AppDeps): Express & { stats: AppStats } {
  const limits: ServerLimits = { ...SERVER_DEFAULTS.limits, ...deps.limits };
  const logger = deps.logger ?? createLogger();
  const catalog = deps.catalog ?? deps.library.catalog();
  const { renderer, jobs, shutdownSignal } = deps;
  const stats: AppStats = { requests: 0, streams: 0 };
  const openapi = buildOpenApi(limits, { auth: (deps.apiKeys?.length ?? 0) > 0 });
  const json = express.json({ limit: limits.bodyLimit, strict: false, type: ['application/json', 'application/*+json'] });
  const app = express() as Express & { stats: AppStats };
  app.stats = stats;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(requestLog(logger));
  app.use((req, res, next) => {
    if (shutdownSignal?.aborted) {
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
  v1.use(healthRouter({ renderer, jobs, limits, stats, started: Date.now() }));
  v1.use(bearerAuth(deps.apiKeys ?? []));
  if (deps.sessions) {
    v1.use('/sessions', sessionsRouter({ ...deps.sessions, renderer, catalog, limits, stats, shutdownSignal, models: deps.models, jobs: { manager: jobs, view: jobView } }));
  }
  if (deps.evaluations) v1.use('/evaluations', evaluationsRouter({ evaluations: deps.evaluations, limits }));
  v1.use(catalogRouter({ catalog, limits, openapi, models: deps.models }));
  v1.use(renderRouter({ renderer, catalog, limits, json }));
  v1.use(streamRouter({ renderer, catalog, limits, json, stats, shutdownSignal }));
  v1.use(datasetsRouter({ jobs, catalog, limits, json }));
  if (deps.models && deps.generation) {
    diffusionRoutes(v1, { models: deps.models, generation: deps.generation, jobs, limits, json, jobView, clientGone: (res) => clientGone(res) });
  }

  app.use((req, _res, next) => next(notFound(`no route ${req.method} ${req.originalUrl.split('?')[0]}; see GET /v1/openapi.json`)));
  app.use(errorHandler(logger));
  return app;
}
