// The writer threads change only how fast a dataset is written, never a byte of it.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer, type SceneRenderer } from '../../src/render/renderer.js';
import { parseSpec } from '../../src/spec/schema.js';
import { exportDataset } from '../../src/export/export.js';
import { WriterPool } from '../../src/pipeline/writer-pool.js';
import { fileTree } from '../helpers.js';

const library = createAssetLibrary();
const catalog = library.catalog();
let renderer: SceneRenderer;
test.before(async () => { renderer = await createRenderer(library); });
test.after.always(() => renderer?.dispose());

test('an export on 1 and on 3 writer threads is the same, file for file and byte for byte, in every format', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-writer-threads-'));
  const one = new WriterPool({ threads: 1 });
  const three = new WriterPool({ threads: 3 });
  try {
    for (const format of ['png', 'raw'] as const) {
      const spec = parseSpec({
        name: 'threads', seed: 11, count: 10, resolution: [40, 32], classes: ['cube', 'sphere', 'torus'], format,
        factors: { objects: { choice: [1, 2] }, environment: { choice: ['studio', 'meadow'] } }, labels: ['segmentation', 'depth', 'boxes'],
      }, catalog);
      const formats = ['imagefolder', 'coco', 'webdataset'] as const;
      await exportDataset({ spec, catalog, renderer, out: join(dir, `${format}-1`), formats, shardSize: 4, writers: one });
      await exportDataset({ spec, catalog, renderer, out: join(dir, `${format}-3`), formats, shardSize: 4, writers: three });
      const a = await fileTree(join(dir, `${format}-1`));
      const b = await fileTree(join(dir, `${format}-3`));
      t.true(Object.keys(a).length >= 10 + 10 * 2 + 3 + 4, `${format}: images, label maps, shards and index files (${Object.keys(a).length} files)`);
      t.deepEqual(b, a, `${format}: the same files with the same bytes`);
    }
    t.true(three.threads >= 2, `the 3-thread pool ran its requests on more than one thread (${three.threads})`);
  } finally {
    await Promise.all([one.close(), three.close()]);
    await rm(dir, { recursive: true, force: true });
  }
});
