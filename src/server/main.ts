/**
 * Starting and stopping the HTTP service: builds the dependencies (asset library, renderer, job
 * manager, diffusion models), listens, and shuts down gracefully: stop accepting, checkpoint the
 * running job (it resumes at the next start), let in-flight requests finish, release the ONNX
 * sessions, dispose the renderer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createAssetLibrary, type AssetLibrary } from '../assets/library.js';
import type { SceneRenderer } from '../render/renderer.js';
import { createRenderers } from '../render/pool.js';
import type { Backend } from '../render/gpu.js';
import { SERVER_DEFAULTS, type ServerLimits } from './config.js';
import { createApp, type AppStats } from './app.js';
import { JobManager } from './jobs.js';
import { createLogger, type Logger } from './logger.js';
import { ClassifierStore } from './classifiers.js';
import { ModelRegistry } from './models.js';
import type { ModelBudget } from '../diffusion/model-limits.js';
import { GenerationService } from './generation.js';
import { SessionStore } from '../feedback/store.js';
import { sessionBatchRunner } from './session-batches.js';
import { EvaluationJobs, datasetLookup } from './evaluations.js';

/** Options of startServer; every one has a default (SERVER_DEFAULTS). */
export interface ServeOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  backend?: Backend;
  limits?: Partial<ServerLimits>;
  apiKeys?: readonly string[];
  corsOrigin?: string | null;
  /** Only errors in the log (tests). */
  quiet?: boolean;
  logger?: Logger;
  /** Injected renderer (tests, benchmarks); not disposed at shutdown. Default: a new one on `backend`. */
  renderer?: SceneRenderer;
  library?: AssetLibrary;
  /** Renderer threads (render/pool.ts; default 1: one renderer on this thread). */
  workers?: number;
  /** Frames each renderer thread reads back together (RenderOptions.batch; default SERVER_DEFAULTS.framesPerReadback). */
  batch?: number;
  /** The `--assets` folder of `library`, for the workers to load the same user classes. */
  assetsDir?: string;
  shutdownTimeoutMs?: number;
  /** How often a running job's progress is written to disk (ms). */
  persistIntervalMs?: number;
  /** Where committed diffusion models are found (default: the package's models/). */
  modelsDir?: string;
  /** onnxruntime threads per session (default 0: all cores; runs are serialised). */
  onnxThreads?: number;
  /** Time and memory budget of each model run (default: SYNTH_MODEL_TIMEOUT_MS / SYNTH_MODEL_MEMORY_MB, else MODEL_LIMITS). */
  modelBudget?: Partial<ModelBudget>;
  /** Longest a client may take to send a whole request (SERVER_DEFAULTS.requestTimeoutMs). */
  requestTimeoutMs?: number;
  /** Longest a client may take to send a request's headers (SERVER_DEFAULTS.headersTimeoutMs, at most requestTimeoutMs). */
  headersTimeoutMs?: number;
  /** Open connections beyond which new ones are closed at once (SERVER_DEFAULTS.maxConnections). */
  maxConnections?: number;
  /** Delays before each retry of a job failed by a transient resource error (jobs.ts JOB_RETRY_DELAYS_MS). */
  retryDelaysMs?: readonly number[];
}

/** A listening server. */
export interface RunningServer {
  url: string;
  port: number;
  host: string;
  dataDir: string;
  server: Server;
  jobs: JobManager;
  /** Diffusion models in use (cached sessions) and the uploaded classifiers. */
  models: ModelRegistry;
  stats: AppStats;
  renderer: SceneRenderer;
  /** Graceful shutdown (idempotent): resolves when everything is closed. */
  shutdown(): Promise<void>;
}

/**
 * Build everything and listen. Port 0 picks a free port (see `port` of the result).
 * @throws RenderError when no GPU backend works; the listen error when the port is taken.
 */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger({ quiet: opts.quiet });
  const dataDir = resolve(opts.dataDir ?? SERVER_DEFAULTS.dataDir);
  await mkdir(dataDir, { recursive: true });
  const library = opts.library ?? createAssetLibrary();
  const catalog = library.catalog();
  const ownsRenderer = !opts.renderer;
  const renderer = opts.renderer ?? await createRenderers(library, { backend: opts.backend, workers: opts.workers ?? 1, batch: opts.batch ?? SERVER_DEFAULTS.framesPerReadback, assetsDir: opts.assetsDir, framePixels: SERVER_DEFAULTS.framePixels });
  const limits: ServerLimits = { ...SERVER_DEFAULTS.limits, ...opts.limits };
  const store = await ClassifierStore.open(dataDir, logger);
  const models = new ModelRegistry({ store, logger, modelsDir: opts.modelsDir, threads: opts.onnxThreads, budget: opts.modelBudget });
  const tmpDir = join(dataDir, 'tmp'); // synchronous generations; leftovers of a killed process go at start
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir, { recursive: true });
  const generation = new GenerationService({ registry: models, tmpDir, limits, logger });
  const sessions = await SessionStore.open({ dataDir, catalog, logger, classifierThreads: opts.onnxThreads });
  const jobs = await JobManager.open({
    dataDir, renderer, catalog, logger, maxQueued: limits.maxQueuedJobs, persistIntervalMs: opts.persistIntervalMs, generator: generation, retryDelaysMs: opts.retryDelaysMs,
    batcher: sessionBatchRunner({ store: sessions, renderer, models }),
  });
  const evaluations = await EvaluationJobs.open({ dataDir, renderer, catalog, models, logger, limits, datasets: datasetLookup(jobs), persistIntervalMs: opts.persistIntervalMs });
  const shutdownController = new AbortController();
  const app = createApp({
    renderer, library, catalog, jobs, limits, logger, apiKeys: opts.apiKeys, corsOrigin: opts.corsOrigin, shutdownSignal: shutdownController.signal,
    models, generation, sessions: { store: sessions, dataDir }, evaluations,
  });
  const host = opts.host ?? SERVER_DEFAULTS.host;
  // Receiving a request is timed (a trickled body is cut with 408); answering it is not: long streams
  // and slow renders are legitimate. Node checks the timeouts every connectionsCheckingInterval.
  const requestTimeout = opts.requestTimeoutMs ?? SERVER_DEFAULTS.requestTimeoutMs;
  const headersTimeout = Math.min(requestTimeout, opts.headersTimeoutMs ?? SERVER_DEFAULTS.headersTimeoutMs);
  const server = createServer({ requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))) }, app);
  server.maxConnections = opts.maxConnections ?? SERVER_DEFAULTS.maxConnections;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? SERVER_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  jobs.start();
  evaluations.start();
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | null = null;
  const shutdown = () => {
    closing ??= (async () => {
      logger.info('shutting down: no new connections; checkpointing the running job');
      const closed = new Promise<void>((r) => server.close(() => r()));
      shutdownController.abort();
      models.stopChecks(); // an uploaded classifier's check may run until its budget: not waited for
      await jobs.close();
      await evaluations.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), opts.shutdownTimeoutMs ?? SERVER_DEFAULTS.shutdownTimeoutMs);
      // In-flight requests finish; their keep-alive sockets close as they go idle.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      await closed;
      clearTimeout(timer);
      clearInterval(idle);
      await models.close();
      await sessions.close();
      if (ownsRenderer) await renderer.dispose();
      logger.info('shut down');
    })();
    return closing;
  };
  return { url: `http://${urlHost}:${port}`, port, host, dataDir, server, jobs, models, stats: app.stats, renderer, shutdown };
}
