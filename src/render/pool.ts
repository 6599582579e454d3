/**
 * A pool of renderers on worker threads, behind the SceneRenderer interface: each thread owns its own
 * GPU device, asset library and three.js renderer (pool-worker.ts). Renders wait in one queue, in the
 * order asked, and go to a thread when it has fewer than threadDepth(batch) in flight (the one with
 * fewest), so a slow render holds up only those handed to its thread, never a backlog that another,
 * idle thread could have taken (the server's tail latency); the pixels come back without a copy.
 * On the CPU path one renderer leaves a third of two cores idle: its thread and llvmpipe's rasteriser take turns (llvmpipe finishes
 * each pass before the thread goes on), so a second renderer fills the gaps; on more cores N renderers
 * render close to N times as fast. Callers must keep several samples in flight (see `parallelism`).
 * A frame depends only on its description, never on what a renderer drew before, so which thread draws
 * it does not change the image.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { RenderError, inputError } from '../core/errors.js';
import { siblingModule, startThread } from '../core/threads.js';
import type { AssetLibrary } from '../assets/library.js';
import { registeredBackgroundImages } from '../assets/environments.js';
import type { SceneDescription } from '../spec/sample.js';
import { likelyHardwareGpu, llvmpipeThreads, pinGpuDrivers } from './gpu.js';
import { createRenderer, RENDER_DEFAULTS, MAX_BATCH, type Frame, type FrameOptions, type RenderOptions, type SceneRenderer } from './renderer.js';
import type { PoolRequest, PoolReply, PoolWorkerData } from './pool-worker.js';

/** Most workers a pool starts (each holds a device, a library and pipelines: ~150 MB). */
export const MAX_WORKERS = 8;

/**
 * `--workers auto`: renderer threads by cores and backend; one for short jobs (a thread costs a second
 * or two to start and compiles its own pipelines). On the CPU path (llvmpipe) one per core, at least
 * two, at most MAX_WORKERS: a renderer leaves a third of two cores idle while its thread and llvmpipe
 * take turns, and a second renderer fills the gaps (measured on 2 cores, alternating in one process,
 * bench/render.ts: two threads render 224² one object 12% faster than one renderer, five objects 31%,
 * 64² 14%). On a hardware GPU a frame's cost is the thread's own JavaScript, so threads scale with
 * cores, but the writer threads (pipeline/writer-pool.ts) need the other half of them: half the cores,
 * at least two, at most MAX_WORKERS (measured on 16 cores and an H200: 224² one object render-only
 * 1,004 img/s on 4 threads, 1,154 on 8).
 * @param gpu 'hardware' or 'software' (default: what likelyHardwareGpu() expects of the `auto` backend)
 */
export function autoWorkers(samples: number = Infinity, cores = availableParallelism(), gpu: 'hardware' | 'software' = likelyHardwareGpu() ? 'hardware' : 'software'): number {
  if (samples < 200) return 1;
  const wanted = gpu === 'hardware' ? Math.ceil(cores / 2) : cores;
  return Math.max(2, Math.min(MAX_WORKERS, wanted));
}

/**
 * Renders handed to one thread at a time, for a renderer reading `batch` frames back together: the
 * batch whose pixels are coming back, the one it draws meanwhile (renderer.ts) and the next render, so
 * it starts that without waiting for a message from the pool; the rest wait in the pool's queue.
 * Batch 1: three.
 */
export function threadDepth(batch: number): number {
  return 2 * batch + 1;
}

/**
 * Samples a caller should keep in flight on `renderer`: threadDepth per pool worker, so each has its
 * next one while its last answers travel back; two batches for a single renderer, which draws the
 * second while the first one's pixels come back (renderer.ts).
 */
export function samplesInFlight(renderer: Pick<SceneRenderer, 'parallelism' | 'batch'>): number {
  const workers = renderer.parallelism ?? 1;
  const batch = renderer.batch ?? 1;
  return workers > 1 ? threadDepth(batch) * workers : 2 * batch;
}

/**
 * Old-generation cap of each renderer thread's V8 heap, in MB (env SYNTH_RENDERER_HEAP_MB overrides).
 * Without a cap V8 keeps raising a busy thread's heap limit: committed heap 93 → 136 MB per thread over
 * 14,000 renders at 224² (live about 50-60 MB), the whole of the export's RSS growth; capped at 128 MB
 * it stayed at 92-97 MB over 18,000. A thread that needs more (a very large --assets folder) fails with
 * a message naming the variable.
 */
export const THREAD_HEAP_MB = 128;

/** The renderer threads' heap cap: SYNTH_RENDERER_HEAP_MB when set (an integer of at least 64), else THREAD_HEAP_MB. */
export function threadHeapMb(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SYNTH_RENDERER_HEAP_MB;
  if (raw === undefined || raw === '') return THREAD_HEAP_MB;
  const mb = Number(raw);
  if (!Number.isInteger(mb) || mb < 64) throw inputError('SYNTH_RENDERER_HEAP_MB', 'an integer number of MB, at least 64', raw);
  return mb;
}

/** Options of createRendererPool. */
export interface RendererPoolOptions extends RenderOptions {
  workers: number;
  /** The `--assets` folder the workers load their user classes from (the same the main library came from). */
  assetsDir?: string;
  /**
   * The largest frame (width x height) the pool is expected to render, which picks llvmpipe's
   * rasteriser threads on the CPU path (llvmpipeThreads); unknown (default): as for large frames.
   */
  framePixels?: number;
}

interface WorkerSlot {
  worker: Worker;
  inFlight: number;
  /** False once the thread failed or ended: renders go to the others. */
  alive: boolean;
  exited: Promise<void>;
}

/**
 * Start `workers` renderer threads (resolves when all are ready). Background images registered in this
 * thread before the call are registered in every worker.
 * @throws RenderError when a worker cannot open the GPU or build its renderer
 */
export async function createRendererPool(library: AssetLibrary, opts: RendererPoolOptions): Promise<SceneRenderer> {
  const n = opts.workers;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new RangeError(`workers: expected an integer in [1, ${MAX_WORKERS}], got ${n}`);
  const { workers: _n, assetsDir, framePixels, ...render } = opts;
  const data: PoolWorkerData = {
    render, assetsDir: assetsDir ?? null,
    backgrounds: registeredBackgroundImages().map((b) => ({ name: b.name, width: b.width, height: b.height, rgba: b.rgba })),
  };
  const heapMb = threadHeapMb();
  const batch = render.batch ?? RENDER_DEFAULTS.batch;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new RangeError(`batch: expected an integer from 1 to ${MAX_BATCH}, got ${batch}`);
  const depth = threadDepth(batch);
  await pinGpuDrivers(render.backend, llvmpipeThreads(availableParallelism(), n, framePixels));
  interface Job { request: Extract<PoolRequest, { type: 'render' }>; resolve: (f: Frame) => void; reject: (e: Error) => void }
  /** Renders not yet handed to a thread, oldest first. */
  const waiting: Job[] = [];
  /** Renders a thread has, by request id. */
  const pending = new Map<number, Job & { slot: WorkerSlot }>();
  let nextId = 0;
  let disposed = false;
  const slots: WorkerSlot[] = [];
  const ready: Promise<Extract<PoolReply, { type: 'ready' }>>[] = [];
  /** Hand waiting renders to the live threads with room, fewest in flight first (none alive: reject them). */
  const dispatch = () => {
    while (waiting.length > 0) {
      const live = slots.filter((s) => s.alive);
      if (live.length === 0) {
        for (const job of waiting.splice(0)) job.reject(new RenderError('every renderer worker has failed or exited'));
        return;
      }
      const slot = live.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (slot.inFlight >= depth) return;
      const job = waiting.shift()!;
      slot.inFlight++;
      pending.set(job.request.id, { ...job, slot });
      slot.worker.postMessage(job.request);
    }
  };
  const failSlot = (slot: WorkerSlot, why: string) => {
    slot.alive = false;
    for (const [id, job] of pending) {
      if (job.slot === slot) { pending.delete(id); job.reject(new RenderError(why)); }
    }
    dispatch();
  };
  for (let i = 0; i < n; i++) {
    const worker = startThread(siblingModule('pool-worker', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    let exit!: () => void;
    const slot: WorkerSlot = { worker, inFlight: 0, alive: true, exited: new Promise<void>((resolve) => { exit = resolve; }) };
    slots.push(slot);
    ready.push(new Promise((resolve, reject) => {
      worker.on('message', (m: PoolReply) => {
        if (m.type === 'ready') return resolve(m);
        if (m.type === 'failed') return reject(new RenderError(`renderer worker ${i}: ${m.message}`));
        const job = pending.get(m.id);
        if (!job) return;
        pending.delete(m.id);
        slot.inFlight--;
        if (m.type === 'frame') job.resolve(m.frame);
        else job.reject(Object.assign(new RenderError(m.message), { name: m.name }));
        dispatch();
      });
      worker.on('error', (err) => {
        const why = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `${err.message} (its heap is capped at ${heapMb} MB: raise SYNTH_RENDERER_HEAP_MB)` : err.message;
        reject(new RenderError(`renderer worker ${i}: ${why}`));
        failSlot(slot, `renderer worker ${i} failed: ${why}`);
      });
      worker.on('exit', (code) => {
        exit();
        reject(new RenderError(`renderer worker ${i} exited (code ${code}) before it was ready`));
        failSlot(slot, `renderer worker ${i} exited (code ${code})`); // nothing pending once disposed
      });
    }));
  }
  const closeAll = async () => {
    for (const s of slots) s.worker.postMessage({ type: 'close' } satisfies PoolRequest);
    await Promise.all(slots.map((s) => s.exited));
  };
  let info: Extract<PoolReply, { type: 'ready' }>;
  try {
    [info] = await Promise.all(ready);
  } catch (err) {
    disposed = true;
    await closeAll();
    throw err;
  }
  return {
    backend: info.backend,
    adapter: info.adapter,
    threeRevision: info.threeRevision,
    library,
    parallelism: n,
    batch,
    render(desc: SceneDescription, options?: FrameOptions): Promise<Frame> {
      if (disposed) return Promise.reject(new RenderError('the renderer pool is disposed'));
      const request: Extract<PoolRequest, { type: 'render' }> = { type: 'render', id: nextId++, desc, labels: options?.labels ? [...options.labels] : null, instanceAreas: options?.instanceAreas === true };
      return new Promise<Frame>((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        dispatch();
      });
    },
    /**
     * Each worker finishes the renders it was handed (at most threadDepth), frees its device and ends;
     * resolves when all have (renders still pending are rejected at once).
     */
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const job of [...waiting.splice(0), ...pending.values()]) job.reject(new RenderError('the renderer pool was disposed'));
      pending.clear();
      await closeAll();
    },
  };
}

/**
 * One renderer, or a pool of `workers` when more than one.
 * @throws RenderError as createRenderer / createRendererPool
 */
export async function createRenderers(library: AssetLibrary, opts: RendererPoolOptions): Promise<SceneRenderer> {
  if (opts.workers <= 1) {
    const { workers: _n, assetsDir: _a, framePixels: _f, ...render } = opts;
    return createRenderer(library, render);
  }
  return createRendererPool(library, opts);
}
