// format "raw": images and label maps as NumPy .npy arrays, in the ImageFolder layout and in WebDataset shards.
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalog, spec as makeSpec, fileTree } from '../helpers.js';
import { exportDataset } from '../../src/export/export.js';
import { parseTar } from '../../src/pipeline/tar.js';
import { decodeNpy } from '../../src/pipeline/npy.js';
import { fakeRenderer, objectRect, objectDepth } from './fake-renderer.js';

const spec = makeSpec({
  name: 'raw', seed: 4, count: 6, resolution: [48, 48], classes: ['cube', 'sphere', 'cone'], format: 'raw',
  factors: { objects: { const: 2 } }, labels: ['segmentation', 'depth', 'normals', 'boxes'],
});

test('raw ImageFolder: images/<class>/<id>.npy uint8 [H, W, 3], label maps as .npy of their natural dtype, recorded like PNGs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-raw-'));
  try {
    const out = join(dir, 'ds');
    await exportDataset({ spec, catalog, renderer: fakeRenderer(), out, formats: ['imagefolder', 'webdataset'], shardSize: 4 });
    const records = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const files = await fileTree(out);
    const rec = records[3];
    t.is(rec.file, `images/${rec.class}/${rec.id}.npy`);
    t.is(files[rec.file], rec.sha256, 'the record carries the array file\'s sha256');
    const image = decodeNpy(await readFile(join(out, rec.file)));
    t.deepEqual([image.dtype, image.shape], ['uint8', [48, 48, 3]]);
    const [x0, y0] = objectRect(3, 2);
    t.deepEqual([...image.data.subarray((y0 * 48 + x0) * 3, (y0 * 48 + x0) * 3 + 3)], [200, 80, 30], 'the pixel the renderer drew, alpha dropped');
    t.deepEqual([...image.data.subarray(0, 3)], [(3 * 37) % 256, 90, 140], 'background pixel');
    t.deepEqual(Object.fromEntries(Object.entries<any>(rec.labels.files).map(([k, f]) => [k, f.file])), {
      seg: `labels/${rec.id}.seg.npy`, sem: `labels/${rec.id}.sem.npy`, depth: `labels/${rec.id}.depth.npy`, normals: `labels/${rec.id}.normals.npy`,
    });
    const map = async (kind: string) => decodeNpy(await readFile(join(out, rec.labels.files[kind].file)));
    const seg = await map('seg');
    t.deepEqual([seg.dtype, seg.shape, seg.data[y0 * 48 + x0]], ['uint8', [48, 48], 2], 'instance ids, uint8 [H, W]');
    const sem = await map('sem');
    t.is(sem.data[y0 * 48 + x0], rec.objects[1].classIndex + 1);
    const depth = await map('depth');
    t.deepEqual([depth.dtype, depth.shape, depth.data[y0 * 48 + x0], depth.data[0]], ['uint16', [48, 48], Math.round(objectDepth(3, 2) * 1000), 0], 'depth: uint16 counts of depth_scale');
    t.is(rec.labels.depth_scale, 0.001);
    const normals = await map('normals');
    t.deepEqual([normals.dtype, normals.shape], ['uint8', [48, 48, 3]]);

    const members = parseTar(await readFile(join(out, 'shards', 'shard-000000.tar')));
    const key = records[0].id;
    t.deepEqual(members.filter((m) => m.name.startsWith(key)).map((m) => m.name), [
      `${key}.cls`, `${key}.depth.npy`, `${key}.json`, `${key}.normals.npy`, `${key}.npy`, `${key}.seg.npy`, `${key}.sem.npy`,
    ], 'WebDataset members <key>.npy and <key>.<kind>.npy');
    const json = JSON.parse(members.find((m) => m.name === `${key}.json`)!.data.toString());
    t.is(json.file, `${key}.npy`);
    t.deepEqual(members.find((m) => m.name === `${key}.npy`)!.data, await readFile(join(out, records[0].file)), 'the same array in the shard and the folder');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
