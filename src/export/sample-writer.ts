/**
 * Encoding and writing an export's per-sample files on a worker thread. On the CPU path the render
 * loop's main thread and llvmpipe's rasteriser take turns (llvmpipe finishes each pass before the
 * main thread goes on), so work on the main thread adds to every frame, while a worker thread runs in
 * the gaps. The PNG encoder's scanline packing, zlib's stream set-up and the synchronous
 * temp-file-and-rename were about a tenth of the main thread's time in an export at 224².
 */
import type { Worker } from 'node:worker_threads';
import { siblingModule, startThread } from '../core/threads.js';
import type { WriterReply, WriterRequest } from './sample-writer-worker.js';
import { encodeImage, ENCODE_DEFAULTS, type ImageFormat } from './encode.js';
import { sha256 } from './manifest.js';

/** A request without its id (one type per operation). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;
type Pending = { resolve: (r: WriterReply) => void; reject: (e: Error) => void };

/** A worker thread that encodes PNGs and writes files atomically, answering in request order. */
export class SampleWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  private failed: Error | null = null;

  constructor() {
    this.worker = startThread(siblingModule('sample-writer-worker', import.meta.url));
    // The thread keeps the process alive only while it has work (a long-lived shared writer must not).
    this.worker.unref();
    this.worker.on('message', (r: WriterReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.error !== undefined) p.reject(new Error(r.error));
      else p.resolve(r);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the sample writer thread exited with code ${code}`)));
  }

  /** False once the thread has exited or failed, or the writer was closed: every request then rejects. */
  get alive(): boolean {
    return this.failed === null;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private request(req: Unnumbered<WriterRequest>, transfer: ArrayBuffer[] = []): Promise<WriterReply> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  /**
   * Encode RGBA pixels as an RGB PNG at zlib `level` (the bytes encodeRgbaAsRgbPng gives) and write it
   * to `path` (null: only encode). With `handOver` (the default) the pixels move to the worker without a
   * copy and `rgba` is unusable after the call when it is the whole of its buffer; without, they are copied.
   */
  async png(rgba: Uint8Array, width: number, height: number, level: number, path: string | null, handOver = true): Promise<{ bytes: Buffer; sha256: string }> {
    const own = handOver && rgba.byteOffset === 0 && rgba.byteLength === rgba.buffer.byteLength && rgba.buffer instanceof ArrayBuffer;
    const r = await this.request({ op: 'png', rgba, width, height, level, path }, own ? [rgba.buffer as ArrayBuffer] : []);
    return { bytes: Buffer.from(r.bytes!.buffer, r.bytes!.byteOffset, r.bytes!.byteLength), sha256: r.sha256! };
  }

  /**
   * Encode RGBA pixels as `format` and write them to `path` (null: only encode): PNG on the thread (see
   * png()), JPEG and WebP by sharp (libvips' own threads), then written by the thread.
   */
  async image(rgba: Uint8Array, width: number, height: number, format: ImageFormat, quality: number, path: string | null, handOver = true): Promise<{ bytes: Buffer; sha256: string }> {
    if (format === 'png') return this.png(rgba, width, height, ENCODE_DEFAULTS.pngCompressionLevel, path, handOver);
    const bytes = await encodeImage(rgba, width, height, format, quality);
    if (path !== null) await this.file(path, bytes);
    return { bytes, sha256: sha256(bytes) };
  }

  /** Write `data` to `path` atomically (temp file + rename), making its folder when needed. */
  async file(path: string, data: Uint8Array | string): Promise<void> {
    await this.request({ op: 'file', path, data });
  }

  /** Stop the thread; requests still pending are rejected. */
  async close(): Promise<void> {
    this.failed ??= new Error('the sample writer was closed');
    await this.worker.terminate();
  }
}
