/**
 * A writer thread of WriterPool (writer-pool.ts): encodes and writes samples' files
 * (sample-files.ts) and plain files, atomically (temp file + rename), off the render loop; one request
 * at a time, in arrival order.
 */
import { parentPort } from 'node:worker_threads';
import { encodeSampleFiles, ownBuffers, writeFileRemembering, type EncodedFile, type SampleRequest } from './sample-files.js';
import type { LabelFileKind } from './records.js';

/** A request to a writer thread. */
export type WriterRequest =
  | ({ id: number; op: 'sample' } & SampleRequest)
  | { id: number; op: 'file'; path: string; data: Uint8Array | string };

/** The answer to request `id`: the encoded image and label maps (sample), nothing (file), or the error's message. */
export type WriterReply = { id: number; image?: EncodedFile; labels?: ({ kind: LabelFileKind } & EncodedFile)[]; error?: string };

const port = parentPort;
if (!port) throw new Error('writer-worker: run as a worker thread (WriterPool starts it)');
/** Folders already made by this thread. */
const dirs = new Set<string>();
port.on('message', (req: WriterRequest) => {
  try {
    if (req.op === 'sample') {
      const { image, labels } = encodeSampleFiles(req, dirs);
      port.postMessage({ id: req.id, image, labels } satisfies WriterReply, ownBuffers([image.bytes, ...labels.map((l) => l.bytes)]));
    } else {
      writeFileRemembering(req.path, req.data, dirs);
      port.postMessage({ id: req.id } satisfies WriterReply);
    }
  } catch (err) {
    port.postMessage({ id: req.id, error: (err as Error).message } satisfies WriterReply);
  }
});
