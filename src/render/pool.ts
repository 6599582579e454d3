/**
 * A pool of renderers in worker processes, behind the SceneRenderer interface: each worker owns its
 * own GPU device, asset library and three.js renderer (pool-worker.ts), and a render goes to the worker
 * with the fewest renders in flight. Processes rather than worker threads: Dawn's node binding crashes
 * when a thread that held a device exits. On the CPU path one renderer keeps about one core busy (three's
 * scene and command encoding plus llvmpipe's rasterisation), so on a machine with spare cores N
 * workers render close to N times as fast; callers must keep several samples in flight (see
 * `parallelism`). A frame depends only on its description, never on what a renderer drew before, so
 * which worker draws it does not change the image.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { RenderError } from '../core/errors.js';
import type { AssetLibrary } from '../assets/library.js';
import { registeredBackgroundImages } from '../assets/environments.js';
import type { SceneDescription } from '../spec/sample.js';
import { createRenderer, type Frame, type FrameOptions, type RenderOptions, type SceneRenderer } from './renderer.js';
import type { PoolInit, PoolRequest, PoolReply, PoolWorkerData } from './pool-worker.js';

/** Most workers a pool starts (each holds a device, a library and pipelines: ~150 MB). */
export const MAX_WORKERS = 8;

/**
 * `--workers auto`: one renderer per two cores (on the CPU path a renderer with its llvmpipe threads
 * keeps about 1.5 cores busy, and encoding needs the rest), at most 4; one for short jobs (a worker
 * costs about a second to start). Measured on 2 cores at 224²: two workers raise the render-only rate
 * from 89 to 123 img/s but not the end-to-end rate (64 img/s either way: the CPU is full).
 */
export function autoWorkers(samples: number = Infinity, cores = availableParallelism()): number {
  if (samples < 200) return 1;
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

/** Options of createRendererPool. */
export interface RendererPoolOptions extends RenderOptions {
  workers: number;
  /** The `--assets` folder the workers load their user classes from (the same the main library came from). */
  assetsDir?: string;
}

interface WorkerSlot {
  worker: ChildProcess;
  inFlight: number;
}

/**
 * Start `workers` renderer workers (resolves when all are ready). Background images registered in this
 * thread before the call are registered in every worker.
 * @throws RenderError when a worker cannot open the GPU or build its renderer
 */
export async function createRendererPool(library: AssetLibrary, opts: RendererPoolOptions): Promise<SceneRenderer> {
  const n = opts.workers;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new RangeError(`workers: expected an integer in [1, ${MAX_WORKERS}], got ${n}`);
  const { workers: _n, assetsDir, ...render } = opts;
  const data: PoolWorkerData = {
    render, assetsDir: assetsDir ?? null,
    backgrounds: registeredBackgroundImages().map((b) => ({ name: b.name, width: b.width, height: b.height, rgba: b.rgba })),
  };
  // under tsx (tests, scripts) this module is TypeScript and so is its worker
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const pending = new Map<number, { resolve: (f: Frame) => void; reject: (e: Error) => void; slot: WorkerSlot }>();
  let nextId = 0;
  let disposed = false;
  const slots: WorkerSlot[] = [];
  const ready: Promise<Extract<PoolReply, { type: 'ready' }>>[] = [];
  for (let i = 0; i < n; i++) {
    const worker = fork(new URL(`./pool-worker.${ext}`, import.meta.url), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    worker.send({ type: 'init', data } satisfies PoolInit);
    const slot: WorkerSlot = { worker, inFlight: 0 };
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
      });
      worker.on('error', (err) => {
        reject(new RenderError(`renderer worker ${i}: ${err.message}`));
        for (const [id, job] of pending) {
          if (job.slot === slot) { pending.delete(id); job.reject(new RenderError(`renderer worker ${i} failed: ${err.message}`)); }
        }
      });
      worker.on('exit', (code) => {
        if (disposed) return;
        for (const [id, job] of pending) {
          if (job.slot === slot) { pending.delete(id); job.reject(new RenderError(`renderer worker ${i} exited (code ${code})`)); }
        }
      });
    }));
  }
  let info: Extract<PoolReply, { type: 'ready' }>;
  try {
    [info] = await Promise.all(ready);
  } catch (err) {
    disposed = true;
    for (const s of slots) s.worker.kill();
    throw err;
  }
  return {
    backend: info.backend,
    adapter: info.adapter,
    threeRevision: info.threeRevision,
    library,
    parallelism: n,
    render(desc: SceneDescription, options?: FrameOptions): Promise<Frame> {
      if (disposed) return Promise.reject(new RenderError('the renderer pool is disposed'));
      const slot = slots.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      const id = nextId++;
      slot.inFlight++;
      return new Promise<Frame>((resolve, reject) => {
        pending.set(id, { resolve, reject, slot });
        const request: PoolRequest = { type: 'render', id, desc, labels: options?.labels ? [...options.labels] : null, instanceAreas: options?.instanceAreas === true };
        slot.worker.send(request);
      });
    },
    /** Each worker disposes its renderer and exits; resolves when all have. */
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const job of pending.values()) job.reject(new RenderError('the renderer pool was disposed'));
      pending.clear();
      await Promise.all(slots.map((s) => new Promise<void>((resolve) => {
        if (s.worker.exitCode !== null || s.worker.signalCode !== null) return resolve();
        s.worker.once('exit', () => resolve());
        s.worker.send({ type: 'close' } satisfies PoolRequest);
      })));
    },
  };
}

/**
 * One renderer, or a pool of `workers` when more than one.
 * @throws RenderError as createRenderer / createRendererPool
 */
export async function createRenderers(library: AssetLibrary, opts: RendererPoolOptions): Promise<SceneRenderer> {
  if (opts.workers <= 1) {
    const { workers: _n, assetsDir: _a, ...render } = opts;
    return createRenderer(library, render);
  }
  return createRendererPool(library, opts);
}
