/**
 * Settings of the HTTP service: one defaults constant that the CLI (`synth serve`), the app factory
 * and the OpenAPI document all read.
 */

/** Request caps enforced by the HTTP layer (each configurable; `synth serve --max-*`). */
export interface ServerLimits {
  /** Largest accepted request body in bytes (larger: 413). */
  bodyLimit: number;
  /** Most samples one synchronous POST /v1/render may ask for. */
  maxSyncBatch: number;
  /** Largest image side (width or height) any request may ask for. */
  maxResolution: number;
  /** Dataset jobs waiting behind the running one before POST /v1/datasets answers 429. */
  maxQueuedJobs: number;
  /** Most samples one dataset job may ask for. */
  maxDatasetCount: number;
  /** Most samples one POST /v1/stream may ask for. */
  maxStreamCount: number;
  /** Most images a POST /v1/generate answers synchronously; more become a job. */
  maxSyncGenerate: number;
  /** Most images (classes x count) one POST /v1/generate may ask for. */
  maxGenerateCount: number;
  /** Largest ONNX file POST /v1/classifiers accepts, in bytes (decoded; larger: 413). */
  maxClassifierBytes: number;
}

/** Defaults of `synth serve` and createApp. */
export const SERVER_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: './data/service',
  /** How long shutdown waits for in-flight requests before closing their connections. */
  shutdownTimeoutMs: 30_000,
  /**
   * The frame size (width x height) the renderer threads are set up for (llvmpipe's rasteriser threads
   * on the CPU path, see llvmpipeThreads in render/gpu.ts): what trainers ask of POST /v1/render is
   * small, 64² to 224², where rasterising on the renderer threads answers 64² renders half again as
   * fast. Any size renders; jobs of 512² frames or larger render 10-20% faster with LP_NUM_THREADS=4.
   */
  framePixels: 224 * 224,
  /**
   * Frames each renderer thread reads back together (RenderOptions.batch): one. POST /v1/render answers
   * come back as soon as each frame does; batches of 8 served no more renders per second on the 2-core
   * CPU path (two renderer threads) and raised p99 at concurrency 32 (bench:http). Raise it with
   * `synth serve --frames-per-readback N` for a stream-heavy server.
   */
  framesPerReadback: 1,
  /**
   * Longest a client may take to send one whole request, headers and body (then 408 and the connection
   * closes): a body trickled a byte at a time holds a socket and a file descriptor. Answers are not
   * timed: a stream or a slow render runs as long as it takes once its request has come in.
   */
  requestTimeoutMs: 60_000,
  /** Longest a client may take to send a request's headers. */
  headersTimeoutMs: 20_000,
  /**
   * Open connections beyond which new ones are refused (closed at once), so idle or slow clients cannot
   * take every file descriptor a running job needs (1,050 trickling connections once failed a job with EMFILE).
   */
  maxConnections: 512,
  limits: {
    bodyLimit: 1024 * 1024,
    maxSyncBatch: 16,
    maxResolution: 1024,
    maxQueuedJobs: 16,
    maxDatasetCount: 1_000_000,
    maxStreamCount: 1_000_000,
    maxSyncGenerate: 16,
    maxGenerateCount: 100_000,
    maxClassifierBytes: 64 * 1024 * 1024,
  } satisfies ServerLimits as ServerLimits,
};

/** Environment variable with the accepted bearer tokens, comma-separated (unset or empty: no auth). */
export const API_KEYS_ENV = 'SYNTH_API_KEYS';

/** The bearer tokens configured in `value` (the content of SYNTH_API_KEYS). */
export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0);
}
