import test from 'ava';
import { mkdtemp, readFile, readdir, writeFile, mkdir, symlink } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { catalog, spec as makeSpec, fileTree } from '../helpers.js';
import { exportDataset, type WriterFormat } from '../../src/export/export.js';
import { parseTar, TAR_BLOCK } from '../../src/pipeline/tar.js';
import { verifyDataset } from '../../src/export/verify.js';
import { mergeDatasets } from '../../src/export/merge.js';
import { resolveOutput } from '../../src/export/output-root.js';
import { parseFormats } from '../../src/export/manifest.js';
import { rleDecode } from '../../src/labels/mask.js';
import { InputError, OutputError } from '../../src/core/errors.js';
import { fakeRenderer, objectRect, objectDepth, type FakeLabels } from './fake-renderer.js';

const ALL: FakeLabels = { segmentation: true, depth: true, normals: true };
const spec = makeSpec({
  name: 'writers', seed: 4, count: 10, resolution: [48, 48], classes: ['cube', 'sphere', 'cone'],
  factors: { objects: { const: 2 } }, labels: ['segmentation', 'depth', 'normals', 'boxes'],
});

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'synth-writers-'));
}

async function run(out: string, formats: WriterFormat[], labels: FakeLabels = ALL, extra: Partial<Parameters<typeof exportDataset>[0]> = {}) {
  return exportDataset({ spec, catalog, renderer: fakeRenderer(labels), out, formats, shardSize: 4, ...extra });
}

async function jsonl(path: string): Promise<any[]> {
  return (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

async function flipByte(path: string, at = 100): Promise<void> {
  const b = await readFile(path);
  b[Math.min(at, b.length - 1)] ^= 0xff;
  await writeFile(path, b);
}

test('formats parse: comma-separated, deduplicated, canonical order; unknown names list the valid ones', (t) => {
  t.deepEqual(parseFormats('webdataset,imagefolder,webdataset'), ['imagefolder', 'webdataset']);
  t.throws(() => parseFormats('coco,tfrecord'), { instanceOf: InputError, message: '--format: expected a comma-separated list of imagefolder, coco, webdataset, got "tfrecord"' });
});

test('spec labels: known pass names only, each once', (t) => {
  t.deepEqual(spec.labels, ['segmentation', 'depth', 'normals', 'boxes']);
  t.deepEqual(makeSpec({ classes: ['cube'] }).labels, [], 'default: no labels');
  const err = t.throws(() => makeSpec({ classes: ['cube'], labels: ['depth', 'masks', 'depth'] }), { instanceOf: InputError });
  t.is(err?.issues[0].path, 'labels[1]');
  t.regex(err!.message, /labels\[1\]: expected a known label pass \(one of: segmentation, depth, normals, boxes, visibility, pose\), got "masks"/);
  t.regex(err!.message, /labels\[2\]: expected each label pass listed once/);
});

test('imagefolder with labels: label maps as PNG, labels in the metadata record', async (t) => {
  const out = join(await tmp(), 'ds');
  const r = await run(out, ['imagefolder']);
  t.is(r.labelled, 10);
  const records = await jsonl(join(out, 'metadata.jsonl'));
  const files = await fileTree(out);
  const rec = records[3];
  t.deepEqual(Object.keys(rec.labels.files), ['seg', 'sem', 'depth', 'normals'], 'one file per map, in a fixed order');
  for (const [kind, ref] of Object.entries<any>(rec.labels.files)) {
    t.is(ref.file, `labels/${rec.id}.${kind}.png`);
    t.is(files[ref.file], ref.sha256, `${kind} sha256 recorded`);
  }
  t.is(rec.labels.depth_scale, 0.001);
  t.deepEqual(rec.labels.objects.map((o: any) => o.bbox), [objectRect(3, 1), objectRect(3, 2)], 'boxes in the record');
  t.is(rec.labels.objects[0].visibility, 1);
  t.is(rec.labels.objects[1].objectToWorld.length, 16, 'pose recorded');
  t.is(rec.labels.camera.fx, 50, 'camera recorded');

  const metaOf = async (kind: string) => sharp(join(out, rec.labels.files[kind].file)).metadata();
  t.like(await metaOf('seg'), { format: 'png', channels: 1, depth: 'uchar' }, 'instance mask: 8-bit grey PNG');
  t.like(await metaOf('sem'), { format: 'png', channels: 1, depth: 'uchar' }, 'semantic mask: 8-bit grey PNG');
  t.like(await metaOf('depth'), { format: 'png', channels: 1, depth: 'ushort' }, 'depth: 16-bit grey PNG');
  t.like(await metaOf('normals'), { format: 'png', channels: 3, depth: 'uchar' }, 'normals: RGB PNG');
  const seg = await sharp(join(out, rec.labels.files.seg.file)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  const [x0, y0, bw, bh] = objectRect(3, 2);
  t.is(seg.data[y0 * 48 + x0], 2, 'instance id at a pixel of object 2');
  t.is(seg.data[(y0 + bh) * 48 + x0 + bw], 0, 'background outside it');
  const sem = await sharp(join(out, rec.labels.files.sem.file)).toColourspace('b-w').raw().toBuffer();
  t.is(sem[y0 * 48 + x0], rec.objects[1].classIndex + 1, 'semantic mask holds class index + 1');
  const depth = await sharp(join(out, rec.labels.files.depth.file)).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const d16 = new Uint16Array(depth.data.buffer, depth.data.byteOffset, depth.data.length / 2);
  t.is(d16[y0 * 48 + x0], Math.round(objectDepth(3, 2) * 1000), 'depth in millimetres');
  t.is(d16[0], 0, 'background depth 0');
  const normals = await sharp(join(out, rec.labels.files.normals.file)).raw().toBuffer({ resolveWithObject: true });
  t.deepEqual([...normals.data.subarray((y0 * 48 + x0) * 3, (y0 * 48 + x0) * 3 + 3)], [128, 128, 255]);
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.labels, { passes: ['segmentation', 'depth', 'normals', 'boxes'], samples: 10 });
  t.deepEqual(manifest.formats, ['imagefolder']);
});

test('COCO JSON, field by field, with RLE masks', async (t) => {
  const out = join(await tmp(), 'ds');
  await run(out, ['coco']);
  const coco = JSON.parse(await readFile(join(out, 'coco.json'), 'utf8'));
  const records = await jsonl(join(out, 'metadata.jsonl'));
  t.deepEqual(Object.keys(coco), ['info', 'licenses', 'images', 'annotations', 'categories']);
  t.deepEqual(coco.categories, [
    { id: 1, name: 'cone', supercategory: 'shape' }, { id: 2, name: 'cube', supercategory: 'shape' }, { id: 3, name: 'sphere', supercategory: 'shape' },
  ]);
  t.is(coco.images.length, 10);
  coco.images.forEach((img: any, i: number) => {
    t.deepEqual(img, { id: i + 1, file_name: records[i].file, width: 48, height: 48 }, `image ${i}`);
  });
  t.is(coco.annotations.length, 20, 'one annotation per object');
  for (const a of coco.annotations) {
    const index = a.image_id - 1;
    const k = a.id - index * 256;
    t.true(k === 1 || k === 2, `annotation id ${a.id} = index * 256 + instance`);
    const [x, y, w, h] = objectRect(index, k);
    t.deepEqual(Object.keys(a), ['id', 'image_id', 'category_id', 'bbox', 'area', 'segmentation', 'iscrowd']);
    t.is(a.category_id, records[index].objects[k - 1].classIndex + 1, 'category id = class index + 1');
    t.deepEqual(a.bbox, [x, y, w, h], 'bbox [x, y, w, h]');
    t.is(a.area, w * h, 'area = mask pixels');
    t.is(typeof a.area, 'number');
    t.is(a.iscrowd, 0);
    t.deepEqual(a.segmentation.size, [48, 48], 'size [h, w]');
    t.true(Array.isArray(a.segmentation.counts) && a.segmentation.counts.every(Number.isInteger), 'uncompressed counts');
    const mask = rleDecode(a.segmentation);
    let inside = 0;
    for (let py = 0; py < 48; py++) for (let px = 0; px < 48; px++) {
      const expected = px >= x && px < x + w && py >= y && py < y + h ? 1 : 0;
      if (mask[py * 48 + px] !== expected) { t.fail(`mask pixel (${px}, ${py}) of annotation ${a.id}`); return; }
      inside += expected;
    }
    t.is(inside, a.area);
    // Column-major: the first run is the background before column x's row y.
    t.is(a.segmentation.counts[0], x * 48 + y);
  }
});

test('COCO with boxes only, and with no labels at all', async (t) => {
  const dir = await tmp();
  await run(join(dir, 'boxes'), ['coco'], { depth: true });
  const boxes = JSON.parse(await readFile(join(dir, 'boxes', 'coco.json'), 'utf8'));
  t.is(boxes.annotations.length, 20);
  t.deepEqual(boxes.annotations[0], { id: 1, image_id: 1, category_id: boxes.annotations[0].category_id, bbox: objectRect(0, 1), area: objectRect(0, 1)[2] * objectRect(0, 1)[3], iscrowd: 0 }, 'bbox from the boxes pass, no segmentation');
  const r = await run(join(dir, 'none'), ['coco'], { none: true });
  t.is(r.labelled, 0);
  const none = JSON.parse(await readFile(join(dir, 'none', 'coco.json'), 'utf8'));
  t.is(none.images.length, 10, 'images are listed');
  t.is(none.categories.length, 3, 'categories are listed');
  t.deepEqual(none.annotations, [], 'no annotations without labels');
  t.deepEqual(JSON.parse(await readFile(join(dir, 'none', 'manifest.json'), 'utf8')).labels, { passes: spec.labels, samples: 0 });
});

test('WebDataset shards: ustar members grouped by key, deterministic, readable by Python tarfile', async (t) => {
  const dir = await tmp();
  const out = join(dir, 'wds');
  await run(out, ['webdataset']);
  const files = await fileTree(out);
  t.deepEqual(Object.keys(files), ['classes.txt', 'manifest.json', 'shards/shard-000000.tar', 'shards/shard-000001.tar', 'shards/shard-000002.tar'], 'no image folder, no journal');
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  t.is(manifest.shardSize, 4);
  for (const [name, sha] of Object.entries(files)) if (name.startsWith('shards/')) t.is(manifest.files[name].sha256, sha, `${name} sha256 in the manifest`);

  const keysOf: string[][] = [];
  for (const [n, expected] of [[0, 4], [1, 4], [2, 2]]) {
    const bytes = await readFile(join(out, `shards/shard-00000${n}.tar`));
    t.is(bytes.length % TAR_BLOCK, 0, 'whole blocks');
    t.true(bytes.subarray(bytes.length - 1024).every((b) => b === 0), 'two zero blocks at the end');
    const members = parseTar(bytes);
    const groups = new Map<string, string[]>();
    for (const m of members) {
      const key = m.name.slice(0, m.name.indexOf('.'));
      groups.set(key, [...(groups.get(key) ?? []), m.name.slice(key.length)]);
    }
    t.is(groups.size, expected, `shard ${n} holds ${expected} samples`);
    keysOf.push([...groups.keys()]);
    for (const [key, suffixes] of groups) {
      t.deepEqual(suffixes, ['.cls', '.depth.png', '.json', '.normals.png', '.png', '.seg.png', '.sem.png'], `members of ${key}, sorted`);
      const json = JSON.parse(members.find((m) => m.name === `${key}.json`)!.data.toString());
      t.is(json.id, key);
      t.is(json.file, `${key}.png`, 'record names the member');
      t.is(json.labels.files.seg.file, `${key}.seg.png`);
      t.is(members.find((m) => m.name === `${key}.cls`)!.data.toString(), String(json.label), '.cls holds the class index');
      const png = members.find((m) => m.name === `${key}.png`)!.data;
      t.is(createHash('sha256').update(png).digest('hex'), json.sha256, 'image sha256 in the record');
    }
  }
  t.deepEqual(keysOf, [['00000000', '00000001', '00000002', '00000003'], ['00000004', '00000005', '00000006', '00000007'], ['00000008', '00000009']], 'shard n holds indices [4n, 4n + 4)');

  const script = `
import json, sys, tarfile
out = {}
for path in sys.argv[1:]:
    with tarfile.open(path) as tf:
        ms = tf.getmembers()
        groups = {}
        for m in ms:
            key, _, ext = m.name.partition('.')
            groups.setdefault(key, []).append(ext)
        out[path.split('/')[-1]] = {
            'names': [m.name for m in ms], 'groups': groups,
            'meta': sorted({(m.mtime, m.uid, m.gid, oct(m.mode), m.type.decode()) for m in ms}),
            'cls': tf.extractfile(ms[0]).read().decode(),
        }
print(json.dumps(out))`;
  const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, ...[0, 1, 2].map((n) => join(out, `shards/shard-00000${n}.tar`))], { encoding: 'utf8' }));
  const first = py['shard-000000.tar'];
  t.deepEqual(Object.keys(first.groups), keysOf[0], 'Python groups the same keys');
  t.deepEqual(first.groups['00000000'], ['cls', 'depth.png', 'json', 'normals.png', 'png', 'seg.png', 'sem.png'], 'grouping by key up to the first dot');
  t.deepEqual(first.meta, [[0, 0, 0, '0o644', '0']], 'mtime 0, uid/gid 0, mode 0644, regular files');
  t.is(first.names.length, 28);
  t.is(Object.keys(py['shard-000002.tar'].groups).length, 2);

  await run(join(dir, 'again'), ['webdataset']);
  t.deepEqual(await fileTree(join(dir, 'again')), files, 'a second export gives the same bytes');
});

test('WebDataset with COCO: annotations point into the shards', async (t) => {
  const out = join(await tmp(), 'ds');
  await run(out, ['coco', 'webdataset']);
  const files = await fileTree(out);
  t.false(Object.keys(files).some((f) => f.startsWith('images/') || f.startsWith('labels/')), 'images live only in the shards');
  const coco = JSON.parse(await readFile(join(out, 'coco.json'), 'utf8'));
  t.deepEqual(coco.images[5], { id: 6, file_name: '00000005.png', width: 48, height: 48, shard: 'shards/shard-000001.tar' });
  t.is(coco.annotations.length, 20);
});

test('process slices write whole, globally numbered tar shards; merge rebuilds the single run', async (t) => {
  const dir = await tmp();
  const formats: WriterFormat[] = ['imagefolder', 'coco', 'webdataset'];
  await run(join(dir, 'whole'), formats);
  const whole = await fileTree(join(dir, 'whole'));
  const slices: string[] = [];
  const ranges: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const out = join(dir, `slice-${k}`);
    const r = await run(out, formats, ALL, { shardIndex: k, numShards: 4 });
    ranges.push([r.manifest.shard.start, r.manifest.shard.end]);
    slices.push(out);
  }
  t.deepEqual(ranges, [[0, 0], [0, 4], [4, 8], [8, 10]], '3 tar shards over 4 processes: slices take whole tar shards; one is empty');
  for (let k = 1; k < 4; k++) {
    const part = await fileTree(slices[k]);
    const name = `shards/shard-00000${k - 1}.tar`;
    t.is(part[name], whole[name], `${name} of slice ${k} equals the single run's`);
  }
  const merged = join(dir, 'merged');
  const m = await mergeDatasets({ out: merged, inputs: [slices[3], slices[1], slices[0], slices[2]] });
  t.is(m.count, 10);
  const mergedTree = await fileTree(merged);
  const strip = (x: Record<string, string>) => Object.fromEntries(Object.entries(x).filter(([f]) => f !== 'manifest.json'));
  t.deepEqual(strip(mergedTree), strip(whole), 'every file but the manifest equals the single run (coco.json ids included)');
  const mm = JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8'));
  const wm = JSON.parse(await readFile(join(dir, 'whole', 'manifest.json'), 'utf8'));
  t.deepEqual(mm.files, wm.files);
  t.deepEqual(mm.counts, wm.counts);
  t.deepEqual(mm.shard, wm.shard);
  t.is(mm.mergedFrom.length, 4);
  t.deepEqual((await verifyDataset(merged)).problems, [], 'the merged dataset verifies');

  await t.throwsAsync(mergeDatasets({ out: join(dir, 'gap'), inputs: [slices[1], slices[3]] }), { instanceOf: InputError, message: /samples \[4, 8\) are in no slice/ });
  await t.throwsAsync(mergeDatasets({ out: join(dir, 'dup'), inputs: [slices[1], slices[1], slices[2], slices[3]] }), { instanceOf: InputError, message: /overlaps/ });
  await t.throwsAsync(mergeDatasets({ out: merged, inputs: slices }), { instanceOf: OutputError, message: /not empty/ });
  const other = join(dir, 'other');
  await exportDataset({ spec: makeSpec({ ...spec, seed: 5 }), catalog, renderer: fakeRenderer(ALL), out: other, formats, shardSize: 4, shardIndex: 1, numShards: 4 });
  await t.throwsAsync(mergeDatasets({ out: join(dir, 'mixed'), inputs: [slices[0], other, slices[2], slices[3]] }), { instanceOf: InputError, message: /different spec \(field seed: 5 vs 4\)/ });
});

test('verify finds missing and corrupt images, label maps and shards', async (t) => {
  const out = join(await tmp(), 'ds');
  await run(out, ['imagefolder', 'coco', 'webdataset']);
  const ok = await verifyDataset(out);
  t.deepEqual(ok.problems, []);
  t.is(ok.checked, 4 + 3 + 10 * 5, 'classes.txt, metadata, csv, coco, 3 shards, and 10 x (image + 4 maps)');
  const rec = (await jsonl(join(out, 'metadata.jsonl')))[2];
  await flipByte(join(out, rec.file));
  await flipByte(join(out, rec.labels.files.depth.file), 60);
  await flipByte(join(out, 'shards/shard-000001.tar'), 5000);
  const { rm } = await import('node:fs/promises');
  await rm(join(out, 'labels', '00000007.seg.png'));
  const bad = await verifyDataset(out);
  t.is(bad.problems.length, 4, bad.problems.join('\n'));
  t.regex(bad.problems.join('\n'), new RegExp(`corrupt: ${rec.file} \\(sha256`));
  t.regex(bad.problems.join('\n'), new RegExp(`corrupt: ${rec.labels.files.depth.file}`));
  t.regex(bad.problems.join('\n'), /corrupt: shards\/shard-000001\.tar/);
  t.regex(bad.problems.join('\n'), /missing: labels\/00000007\.seg\.png/);
  await t.throwsAsync(verifyDataset(join(out, 'images')), { instanceOf: InputError, message: /not a synth dataset/ });
});

test('resume after a cancel finishes tar shards and COCO with the same bytes', async (t) => {
  const dir = await tmp();
  const formats: WriterFormat[] = ['coco', 'webdataset'];
  await run(join(dir, 'clean'), formats);
  const controller = new AbortController();
  await t.throwsAsync(run(join(dir, 'cut'), formats, ALL, {
    signal: controller.signal, pipelineDepth: 1, onProgress: (p) => { if (p.done >= 6) controller.abort(); },
  }), { name: 'AbortError' });
  const partial = await readdir(join(dir, 'cut', 'shards'));
  t.deepEqual(partial, ['shard-000000.tar'], 'the first tar shard was completed before the cancel');
  const renderer = fakeRenderer(ALL);
  const r = await exportDataset({ spec, catalog, renderer, out: join(dir, 'cut'), formats, shardSize: 4, resume: true });
  t.is(r.skipped, 6);
  t.is(renderer.calls, 4, 'only unfinished samples are rendered again');
  t.deepEqual(await fileTree(join(dir, 'cut')), await fileTree(join(dir, 'clean')));
  await t.throwsAsync(run(join(dir, 'cut'), ['imagefolder'], ALL, { resume: true }), { instanceOf: OutputError, message: /different spec, shard or format/ });
});

test('an output root refuses paths that escape it through .. or symlinks', async (t) => {
  const dir = await tmp();
  const root = join(dir, 'root');
  await mkdir(join(root, 'inside'), { recursive: true });
  await mkdir(join(dir, 'elsewhere'));
  await symlink(join(dir, 'elsewhere'), join(root, 'link'));
  t.is(await resolveOutput(join(root, 'inside', 'new', 'deeper'), root), join(root, 'inside', 'new', 'deeper'));
  t.is(await resolveOutput(join(root, 'a', '..', 'b'), root), join(root, 'b'));
  await t.throwsAsync(resolveOutput(join(root, '..', 'elsewhere', 'x'), root), { instanceOf: OutputError, message: /outside the output root/ });
  await t.throwsAsync(resolveOutput(join(root, 'link', 'x'), root), { instanceOf: OutputError, message: /resolves to .*elsewhere\/x, outside the output root/ });
  await symlink(join(dir, 'nowhere'), join(root, 'dangling'));
  await t.throwsAsync(resolveOutput(join(root, 'dangling', 'x'), root), { instanceOf: OutputError, message: /dangling symlink/ });
  await t.throwsAsync(resolveOutput(join(root, 'x'), join(dir, 'no-root')), { instanceOf: InputError, message: /--root: expected an existing folder/ });
});
