/**
 * A renderer pool's worker thread (see pool.ts): builds its own asset library (the built-in classes
 * and the `--assets` folder's), registers the parent's background images, opens its own GPU device and
 * renders the descriptions it is sent, answering with frames whose pixels move to the parent without
 * a copy.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createAssetLibrary } from '../assets/library.js';
import { loadAssetFolder } from '../assets/gltf-import.js';
import { registerBackgroundImage } from '../assets/environments.js';
import type { LabelPass } from '../spec/schema.js';
import type { SceneDescription } from '../spec/sample.js';
import { createRenderer, type Frame, type RenderOptions, type SceneRenderer } from './renderer.js';

/** What a worker starts from (its workerData). */
export interface PoolWorkerData {
  render: RenderOptions;
  assetsDir: string | null;
  backgrounds: { name: string; width: number; height: number; rgba: Uint8Array }[];
}

/** A render request. */
export type PoolRequest =
  | { type: 'render'; id: number; desc: SceneDescription; labels: LabelPass[] | null; instanceAreas?: boolean }
  /** Finish the renders asked so far (at most threadDepth), free the device and end the thread. */
  | { type: 'close' };

/** What a worker answers. */
export type PoolReply =
  | { type: 'ready'; backend: SceneRenderer['backend']; adapter: SceneRenderer['adapter']; threeRevision: string }
  | { type: 'failed'; message: string }
  | { type: 'frame'; id: number; frame: Frame }
  | { type: 'error'; id: number; name: string; message: string };

/** The pixel buffers of `frame` that can move to the parent (whole buffers only). */
function transferables(frame: Frame): ArrayBuffer[] {
  const arrays = [frame.rgba, frame.labels?.depth, frame.labels?.instanceMask, frame.labels?.semanticMask, frame.labels?.normals];
  const out = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a && a.byteOffset === 0 && a.buffer instanceof ArrayBuffer && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  }
  return [...out];
}

/**
 * Serve render requests until `close`. The thread ends by itself once its port is closed and the
 * device freed: a worker thread stopped from outside while inside Dawn aborts the whole process, so
 * the pool never terminates one.
 */
async function serve(port: NonNullable<typeof parentPort>, data: PoolWorkerData): Promise<void> {
  const send = (m: PoolReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  let renderer: SceneRenderer;
  try {
    for (const b of data.backgrounds) registerBackgroundImage(b.name, b.rgba, b.width, b.height);
    const library = createAssetLibrary(data.assetsDir ? await loadAssetFolder(data.assetsDir) : []);
    renderer = await createRenderer(library, data.render);
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    port.close();
    return;
  }
  // Requests go to the renderer as they come: it draws them one at a time, in order, reads them back
  // in batches, and draws the next batch while the last one's pixels come back (renderer.ts). `close`
  // waits for those already asked.
  let active = 0;
  let closing = false;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    void Promise.resolve(renderer.dispose()).finally(() => port.close());
  };
  const start = (m: Extract<PoolRequest, { type: 'render' }>) => {
    const options = m.labels ? { labels: m.labels } : m.instanceAreas ? { instanceAreas: true } : undefined;
    active++;
    renderer.render(m.desc, options).then(
      (frame) => send({ type: 'frame', id: m.id, frame }, transferables(frame)),
      (err: Error) => send({ type: 'error', id: m.id, name: err.name, message: err.message }),
    ).finally(() => {
      active--;
      if (closing && active === 0) finish();
    });
  };
  port.on('message', (m: PoolRequest) => {
    if (closing) return;
    if (m.type === 'close') {
      closing = true;
      if (active === 0) finish();
      return;
    }
    start(m);
  });
  send({ type: 'ready', backend: renderer.backend, adapter: renderer.adapter, threeRevision: renderer.threeRevision });
}

if (parentPort) void serve(parentPort, workerData as PoolWorkerData);
