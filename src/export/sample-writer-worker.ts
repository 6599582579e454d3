/**
 * The worker thread of SampleWriter (sample-writer.ts): encodes PNG images and writes files
 * atomically (temp file + rename) off the main thread, one request at a time, in arrival order.
 */
import { parentPort } from 'node:worker_threads';
import { writeFileAtomicSync } from '../core/fs.js';
import { encodeRgbaAsRgbPngSync } from './png.js';
import { sha256 } from './manifest.js';

/** A request from SampleWriter. */
export type WriterRequest =
  | { id: number; op: 'png'; rgba: Uint8Array; width: number; height: number; level: number; path: string | null }
  | { id: number; op: 'file'; path: string; data: Uint8Array | string };

/** The answer to request `id`: the encoded bytes and their sha256 (png), nothing (file), or the error's message. */
export type WriterReply = { id: number; bytes?: Uint8Array; sha256?: string; error?: string };

const port = parentPort;
if (!port) throw new Error('sample-writer-worker: run as a worker thread (SampleWriter starts it)');
/** Folders already made by this worker. */
const dirs = new Set<string>();

port.on('message', (req: WriterRequest) => {
  try {
    if (req.op === 'png') {
      const bytes = encodeRgbaAsRgbPngSync(req.rgba, req.width, req.height, req.level);
      if (req.path !== null) writeFileAtomicSync(req.path, bytes, dirs);
      const out = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      port.postMessage({ id: req.id, bytes: out, sha256: sha256(bytes) } satisfies WriterReply, own ? [bytes.buffer as ArrayBuffer] : []);
    } else {
      writeFileAtomicSync(req.path, req.data, dirs);
      port.postMessage({ id: req.id } satisfies WriterReply);
    }
  } catch (err) {
    port.postMessage({ id: req.id, error: (err as Error).message } satisfies WriterReply);
  }
});
