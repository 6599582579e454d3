/**
 * A renderer pool's worker process (see pool.ts): builds its own asset library (the built-in classes
 * and the `--assets` folder's), registers the parent's background images, opens its own GPU device and
 * renders the descriptions it is sent over IPC, replying with frames.
 */
import { createAssetLibrary } from '../assets/library.js';
import { loadAssetFolder } from '../assets/gltf-import.js';
import { registerBackgroundImage } from '../assets/environments.js';
import type { LabelPass } from '../labels/types.js';
import type { SceneDescription } from '../spec/sample.js';
import { createRenderer, type Frame, type RenderOptions, type SceneRenderer } from './renderer.js';

/** What a worker starts from. */
export interface PoolWorkerData {
  render: RenderOptions;
  assetsDir: string | null;
  backgrounds: { name: string; width: number; height: number; rgba: Uint8Array }[];
}

/** A render request. */
export type PoolRequest =
  | { type: 'render'; id: number; desc: SceneDescription; labels: LabelPass[] | null; instanceAreas?: boolean }
  /** Close the port: the worker exits by itself. */
  | { type: 'close' };

/** What a worker answers. */
export type PoolReply =
  | { type: 'ready'; backend: SceneRenderer['backend']; adapter: SceneRenderer['adapter']; threeRevision: string }
  | { type: 'failed'; message: string }
  | { type: 'frame'; id: number; frame: Frame }
  | { type: 'error'; id: number; name: string; message: string };

/** The first message a worker gets. */
export interface PoolInit {
  type: 'init';
  data: PoolWorkerData;
}

/** Run as a forked worker: wait for the init message, then serve render requests until `close`. */
async function serve(data: PoolWorkerData): Promise<void> {
  const send = (m: PoolReply) => process.send!(m);
  try {
    for (const b of data.backgrounds) registerBackgroundImage(b.name, b.rgba, b.width, b.height);
    const library = createAssetLibrary(data.assetsDir ? await loadAssetFolder(data.assetsDir) : []);
    const renderer = await createRenderer(library, data.render);
    process.on('message', (m: PoolRequest) => {
      if (m.type === 'close') {
        void Promise.resolve(renderer.dispose()).finally(() => process.exit(0));
        return;
      }
      renderer.render(m.desc, m.labels ? { labels: m.labels } : m.instanceAreas ? { instanceAreas: true } : undefined).then(
        (frame) => send({ type: 'frame', id: m.id, frame }),
        (err: Error) => send({ type: 'error', id: m.id, name: err.name, message: err.message }),
      );
    });
    send({ type: 'ready', backend: renderer.backend, adapter: renderer.adapter, threeRevision: renderer.threeRevision });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    process.exit(1);
  }
}

if (process.send) {
  process.once('message', (m: PoolInit) => void serve(m.data));
  // the parent gone (killed, crashed): nothing left to render for
  process.on('disconnect', () => process.exit(0));
}
