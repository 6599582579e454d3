/**
 * Exports as third-party tools read them: one label per class in every format (ImageFolder's folder
 * order, metadata `label`, WebDataset `.cls`, COCO category ids, classes.txt), `verify` naming files
 * no manifest lists, and `merge` writing no machine paths.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { catalog, spec as makeSpec } from '../helpers.js';
import { exportDataset } from '../../src/export/export.js';
import { verifyDataset } from '../../src/export/verify.js';
import { mergeDatasets } from '../../src/export/merge.js';
import { parseTar } from '../../src/pipeline/tar.js';
import { fakeRenderer } from './fake-renderer.js';

// The spec lists its classes out of alphabetical order on purpose.
const spec = makeSpec({ name: 'interop', seed: 11, count: 24, resolution: [32, 32], classes: ['torus', 'cube', 'cone'], labels: ['boxes'] });

/** A python3 with numpy (the client's one dependency): $SYNTH_PYTHON, Debian's, else the PATH's. */
const PYTHON = process.env.SYNTH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

async function tmp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'synth-interop-'));
  return dir;
}

/**
 * torchvision's ImageFolder numbering, in Python: torchvision.datasets.folder.find_classes is
 * `sorted(entry.name for entry in os.scandir(directory) if entry.is_dir())`, then class_to_idx by
 * position (torchvision itself is not installed here, so its rule is reproduced verbatim).
 */
function imageFolderTargets(root: string): { classes: string[]; targets: Record<string, number> } {
  const script = `
import json, os, sys
root = sys.argv[1]
classes = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
class_to_idx = {c: i for i, c in enumerate(classes)}
targets = {}
for c in classes:
    for f in sorted(os.listdir(os.path.join(root, c))):
        targets[f'images/{c}/{f}'] = class_to_idx[c]
print(json.dumps({'classes': classes, 'targets': targets}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, join(root, 'images')], { encoding: 'utf8' }));
}

test('one label per class in every format: ImageFolder order, metadata label, .cls, COCO category, classes.txt', async (t) => {
  const out = join(await tmp(), 'ds');
  t.teardown(() => rm(join(out, '..'), { recursive: true, force: true }));
  await exportDataset({ spec, catalog, renderer: fakeRenderer(), out, formats: ['imagefolder', 'coco', 'webdataset'], shardSize: 6 });
  const folder = imageFolderTargets(out);
  t.deepEqual(folder.classes, ['cone', 'cube', 'torus']);
  const classesTxt = (await readFile(join(out, 'classes.txt'), 'utf8')).split('\n').filter(Boolean);
  t.deepEqual(classesTxt, folder.classes, 'classes.txt line i is label i');
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.classes, folder.classes, 'the manifest lists the classes in label order');
  t.truthy(manifest.files['classes.txt'], 'classes.txt is hashed in the manifest');

  const records = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const cls = new Map<string, number>();
  for (const shard of (await readdir(join(out, 'shards'))).sort()) {
    for (const m of parseTar(await readFile(join(out, 'shards', shard)))) {
      if (m.name.endsWith('.cls')) cls.set(m.name.slice(0, -4), Number(Buffer.from(m.data).toString('ascii')));
    }
  }
  const coco = JSON.parse(await readFile(join(out, 'coco.json'), 'utf8'));
  t.deepEqual(coco.categories.map((c: { id: number; name: string }) => [c.id, c.name]), [[1, 'cone'], [2, 'cube'], [3, 'torus']]);
  const seen = new Set<string>();
  for (const r of records) {
    seen.add(r.class);
    t.is(r.label, folder.targets[r.file], `${r.id}: metadata label = ImageFolder target`);
    t.is(cls.get(r.id), r.label, `${r.id}: .cls = label`);
    t.is(classesTxt[r.label], r.class, `${r.id}: classes.txt names the class`);
    for (const a of coco.annotations.filter((x: { image_id: number }) => x.image_id === r.index + 1)) t.is(a.category_id, r.label + 1, `${r.id}: COCO category = label + 1`);
  }
  t.is(seen.size, 3, 'every class was drawn (so every label was checked)');
});

test('verify lists files no manifest knows (a stray image, a stray class folder) and fails', async (t) => {
  const out = join(await tmp(), 'ds');
  t.teardown(() => rm(join(out, '..'), { recursive: true, force: true }));
  await exportDataset({ spec, catalog, renderer: fakeRenderer(), out, formats: ['imagefolder'] });
  t.deepEqual((await verifyDataset(out)).problems, []);
  await writeFile(join(out, 'images', 'cube', 'stray.png'), 'not listed');
  await mkdir(join(out, 'images', 'dog'));
  await writeFile(join(out, 'images', 'dog', 'a.png'), 'not listed');
  const bad = await verifyDataset(out);
  t.deepEqual(bad.problems, [
    'unknown: images/cube/stray.png (a file no manifest or metadata.jsonl lists)',
    'unknown: images/dog (a file no manifest or metadata.jsonl lists)',
  ]);
});

test('merge writes classes.txt and a manifest without machine paths', async (t) => {
  const dir = await tmp();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const slices = [join(dir, 'slice-0'), join(dir, 'slice-1')];
  for (const [k, out] of slices.entries()) {
    await exportDataset({ spec, catalog, renderer: fakeRenderer(), out, formats: ['imagefolder', 'webdataset'], shardSize: 6, shardIndex: k, numShards: 2 });
  }
  const merged = join(dir, 'merged');
  await mergeDatasets({ out: merged, inputs: slices });
  const text = await readFile(join(merged, 'manifest.json'), 'utf8');
  t.false(text.includes(dir), 'no absolute path of this machine in the manifest');
  const m = JSON.parse(text);
  t.deepEqual(m.mergedFrom.map((s: { dir: string }) => s.dir), ['slice-0', 'slice-1']);
  t.is(await readFile(join(merged, 'classes.txt'), 'utf8'), 'cone\ncube\ntorus\n');
  t.deepEqual((await verifyDataset(merged)).problems, []);
});

test('the Python client decodes 16-bit depth and id masks from WebDataset shards with their values intact', async (t) => {
  const dir = await tmp();
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'ds');
  const labelled = makeSpec({ name: 'maps', seed: 2, count: 3, resolution: [48, 48], classes: ['cube', 'torus'], factors: { objects: { const: 2 } }, labels: ['segmentation', 'depth'] });
  await exportDataset({ spec: labelled, catalog, renderer: fakeRenderer({ segmentation: true, depth: true, normals: false }), out, formats: ['webdataset'], shardSize: 3 });
  const tarPath = join(out, 'shards', 'shard-000000.tar');
  const expected: Record<string, number[]> = {};
  for (const m of parseTar(await readFile(tarPath))) {
    if (!/\.(seg|sem|depth)\.png$/.test(m.name)) continue;
    const sharp = (await import('sharp')).default;
    const img = sharp(Buffer.from(m.data));
    const raw = m.name.endsWith('.depth.png')
      ? await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer()
      : await img.toColourspace('b-w').raw().toBuffer();
    expected[m.name] = m.name.endsWith('.depth.png') ? [...new Uint16Array(Uint8Array.from(raw).buffer)] : [...raw];
  }
  t.true(Object.keys(expected).length >= 6, 'seg, sem and depth of each sample');
  t.true(Object.values(expected).some((v) => v.some((x) => x > 255)), 'depth values above 255: an 8-bit decode would lose them');
  const script = `
import json, sys, tarfile
sys.path.insert(0, 'clients/python')
from synth_client.labels import webdataset_decoder
out = {}
with tarfile.open(sys.argv[1]) as tar:
    for m in tar:
        key = m.name.split('.', 1)[1]
        arr = webdataset_decoder(key, tar.extractfile(m).read())
        if arr is not None and not key.endswith('normals.png'):
            out[m.name] = [str(arr.dtype), list(arr.shape), arr.flatten().tolist()]
print(json.dumps(out))
`;
  const got = JSON.parse(execFileSync(PYTHON, ['-c', script, tarPath], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../', import.meta.url)) })) as Record<string, [string, number[], number[]]>;
  t.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
  for (const [name, [dtype, shape, values]] of Object.entries(got)) {
    t.is(dtype, name.endsWith('.depth.png') ? 'uint16' : 'uint8', name);
    t.deepEqual(shape, [48, 48], name);
    t.deepEqual(values, expected[name], `${name}: the values the service wrote`);
  }
});
