/**
 * Writer threads: a pool that encodes samples' images and label maps and writes files, off the render
 * loop, on as many threads as the machine has room for beside the renderers. On the CPU path the
 * render loop's thread and llvmpipe's rasteriser take turns, so work on the main thread adds to every
 * frame while a writer thread runs in the gaps; on a GPU machine one thread of PNG encoding was the
 * wall every export hit (a quarter to a twelfth of what the GPU rendered). Each request's bytes depend
 * only on the request, so which thread (and how many) ran it never changes an output.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { inputError } from '../core/errors.js';
import { siblingModule, startThread } from '../core/threads.js';
import { encodeImage, ENCODE_DEFAULTS, OWN_ENCODER_FORMATS } from './encode.js';
import { ownBuffers, type EncodedFile, type SampleRequest } from './sample-files.js';
import type { WriterReply, WriterRequest } from './writer-worker.js';
import type { LabelFileKind } from './records.js';

/** Most writer threads a pool starts. */
export const MAX_WRITER_THREADS = 16;
/** Environment variable setting the writer threads (an integer from 1 to MAX_WRITER_THREADS). */
export const WRITER_THREADS_ENV = 'SYNTH_WRITER_THREADS';

/**
 * Writer threads for a machine with `cores` cores and `renderers` renderer threads: SYNTH_WRITER_THREADS
 * when set, else the cores the renderers and the main thread leave, at least one and at most eight
 * (each PNG at 224² is about 2 ms of one core; eight keep up with about 4,000 images/s).
 * @throws InputError for a SYNTH_WRITER_THREADS that is not an integer in [1, MAX_WRITER_THREADS].
 */
export function writerThreads(renderers = 1, cores = availableParallelism(), env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[WRITER_THREADS_ENV];
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_WRITER_THREADS) throw inputError(WRITER_THREADS_ENV, `an integer from 1 to ${MAX_WRITER_THREADS}`, raw);
    return n;
  }
  return Math.max(1, Math.min(8, cores - renderers - 1));
}

/** Options of a WriterPool. */
export interface WriterPoolOptions {
  /** Most threads (default writerThreads()); they start as work needs them. */
  threads?: number;
}

/** An encoded sample: its image and label maps, with their sha256. */
export interface EncodedFiles {
  image: { bytes: Buffer; sha256: string };
  labels: { kind: LabelFileKind; bytes: Buffer; sha256: string }[];
}

type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;
type Pending = { resolve: (r: WriterReply) => void; reject: (e: Error) => void };
interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

const asBuffer = (f: EncodedFile) => Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);

/**
 * A pool of writer threads. A request goes to the thread with the fewest in hand; a new thread starts
 * (up to `size`) when every running one is busy. Idle threads do not keep the process alive. A thread
 * that fails takes its requests with it (they reject) and is replaced on demand.
 */
export class WriterPool {
  /** Most threads the pool runs. */
  readonly size: number;
  private readonly slots: Slot[] = [];
  private next = 0;
  private closed: Error | null = null;

  constructor(opts: WriterPoolOptions = {}) {
    const n = opts.threads ?? writerThreads();
    if (!Number.isInteger(n) || n < 1 || n > MAX_WRITER_THREADS) throw new RangeError(`writer threads: expected an integer from 1 to ${MAX_WRITER_THREADS}, got ${n}`);
    this.size = n;
  }

  /** Threads running now. */
  get threads(): number {
    return this.slots.length;
  }

  /** False once the pool is closed: every request then rejects. */
  get alive(): boolean {
    return this.closed === null;
  }

  private start(): Slot {
    const worker = startThread(siblingModule('writer-worker', import.meta.url));
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    const fail = (err: Error) => {
      const at = this.slots.indexOf(slot);
      if (at >= 0) this.slots.splice(at, 1);
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('message', (r: WriterReply) => {
      const p = slot.pending.get(r.id);
      if (!p) return;
      slot.pending.delete(r.id);
      if (slot.pending.size === 0) worker.unref();
      if (r.error !== undefined) p.reject(new Error(r.error));
      else p.resolve(r);
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => fail(this.closed ?? new Error(`a writer thread exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }

  /** The thread for the next request: the least busy, or a new one while all are busy and there is room. */
  private pick(): Slot {
    let best: Slot | null = null;
    for (const s of this.slots) if (!best || s.pending.size < best.pending.size) best = s;
    if (!best || (best.pending.size > 0 && this.slots.length < this.size)) return this.start();
    return best;
  }

  private request(req: Unnumbered<WriterRequest>, transfer: ArrayBuffer[] = []): Promise<WriterReply> {
    if (this.closed) return Promise.reject(this.closed);
    const slot = this.pick();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...req, id }, transfer);
    });
  }

  /**
   * Encode a sample's image (`rgba` as `format`) and label maps, and write them where `req` says
   * (imagePath, labelPaths; null: only encode). PNG and raw are encoded on a writer thread; JPEG and
   * WebP by sharp (libvips' own threads), then written by one. With `handOver` (the default) the pixel
   * buffers move to the thread without a copy and are unusable after the call (when each is the whole
   * of its buffer); without, they are copied.
   */
  async encodeSample(req: Omit<SampleRequest, 'encoded'> & { rgba: Uint8Array; quality?: number }, handOver = true): Promise<EncodedFiles> {
    const { quality = ENCODE_DEFAULTS.quality, ...rest } = req;
    const own = OWN_ENCODER_FORMATS.includes(req.format);
    const encoded = own ? null : await encodeImage(req.rgba, req.width, req.height, req.format, quality);
    const pixels = own ? req.rgba : null;
    const maps = req.labels;
    const transfer = handOver ? ownBuffers([pixels, maps?.instanceMask, maps?.semanticMask, maps?.depth, maps?.normals]) : [];
    const r = await this.request({ op: 'sample', ...rest, rgba: pixels, encoded }, transfer);
    return {
      image: { bytes: asBuffer(r.image!), sha256: r.image!.sha256 },
      labels: r.labels!.map((l) => ({ kind: l.kind, bytes: asBuffer(l), sha256: l.sha256 })),
    };
  }

  /** Write `data` to `path` atomically (temp file + rename), making its folder when needed; a whole-buffer Uint8Array moves to the thread. */
  async file(path: string, data: Uint8Array | string): Promise<void> {
    await this.request({ op: 'file', path, data }, typeof data === 'string' ? [] : ownBuffers([data]));
  }

  /** Stop the threads; requests still pending are rejected. */
  async close(): Promise<void> {
    this.closed ??= new Error('the writer pool was closed');
    await Promise.all([...this.slots].map((s) => s.worker.terminate()));
  }
}

let shared: WriterPool | null = null;

/**
 * The process's writer pool, started on first use, sized for `renderers` renderer threads (see
 * writerThreads; the first call decides). Exports, HTTP streams and session batches share it, so the
 * threads the machine has room for are never started twice over.
 */
export function sharedWriterPool(renderers = 1): WriterPool {
  if (!shared?.alive) shared = new WriterPool({ threads: writerThreads(renderers) });
  return shared;
}
