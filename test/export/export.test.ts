import test from 'ava';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer, type SceneRenderer } from '../../src/render/renderer.js';
import { parseSpec } from '../../src/spec/schema.js';
import { exportDataset, PROGRESS_DIR } from '../../src/export/export.js';
import { OutputError } from '../../src/core/errors.js';
import { fileTree } from '../helpers.js';

const library = createAssetLibrary();
const catalog = library.catalog();
let renderer: SceneRenderer;
test.before(async () => { renderer = await createRenderer(library); });
test.after.always(() => renderer?.dispose());

const tiny = parseSpec({
  name: 'tiny', seed: 3, count: 12, resolution: [48, 48], classes: ['cube', 'sphere', 'cone'],
  factors: { color: { choice: ['red', 'blue', 'green'] }, environment: { choice: ['studio', 'meadow'] }, texture: { choice: ['default', 'checker'] } },
}, catalog);

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'synth-export-'));
}

test('an export writes the ImageFolder layout, metadata, CSV and manifest', async (t) => {
  const out = join(await tmp(), 'ds');
  const r = await exportDataset({ spec: tiny, catalog, renderer, out });
  t.is(r.count, 12);
  t.is(r.rendered, 12);
  const files = await fileTree(out);
  const images = Object.keys(files).filter((f) => f.startsWith('images/'));
  t.is(images.length, 12);
  t.true(images.every((f) => /^images\/(cube|sphere|cone)\/\d{8}\.png$/.test(f)), images.join(','));
  const lines = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 12);
  t.deepEqual(lines.map((l) => l.index), [...Array(12).keys()], 'records in index order');
  for (const rec of lines) {
    t.is(rec.file, `images/${rec.class}/${rec.id}.png`);
    t.is(rec.label, [...tiny.classes].sort().indexOf(rec.class), 'the label: the position of the class in the sorted class names');
    t.is(rec.seed, 3);
    t.is(files[rec.file], rec.sha256, 'record carries the image sha256');
    for (const f of ['yaw', 'color', 'environment', 'light.azimuth', 'camera.distance']) t.not(rec.factors[f], undefined, `factor ${f} recorded`);
  }
  const csv = (await readFile(join(out, 'factors.csv'), 'utf8')).trim().split('\n');
  t.is(csv.length, 13, 'header + one row per image');
  t.true(csv[0].startsWith('id,index,file,label,seed'));
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  t.is(manifest.count, 12);
  t.is(manifest.seed, 3);
  t.is(Object.values(manifest.counts as Record<string, number>).reduce((a, b) => a + b, 0), 12);
  t.is(manifest.files['metadata.jsonl'].sha256, files['metadata.jsonl']);
  t.truthy(manifest.versions.three);
  t.false(Object.keys(files).some((f) => f.includes('.synth-progress') || f.endsWith('.tmp')), 'no journal or temp files left');
});

test('two exports of the same spec are byte-identical', async (t) => {
  const dir = await tmp();
  await exportDataset({ spec: tiny, catalog, renderer, out: join(dir, 'a') });
  await exportDataset({ spec: tiny, catalog, renderer, out: join(dir, 'b') });
  t.deepEqual(await fileTree(join(dir, 'a')), await fileTree(join(dir, 'b')));
});

test('the union of shards equals the single-run dataset', async (t) => {
  const dir = await tmp();
  await exportDataset({ spec: tiny, catalog, renderer, out: join(dir, 'whole') });
  const whole = await fileTree(join(dir, 'whole'));
  const union: Record<string, string> = {};
  const records: string[] = [];
  for (let k = 0; k < 3; k++) {
    await exportDataset({ spec: tiny, catalog, renderer, out: join(dir, `s${k}`), shardIndex: k, numShards: 3 });
    const part = await fileTree(join(dir, `s${k}`));
    for (const [f, h] of Object.entries(part)) if (f.startsWith('images/')) {
      t.false(f in union, `${f} in two shards`);
      union[f] = h;
    }
    records.push(...(await readFile(join(dir, `s${k}`, 'metadata.jsonl'), 'utf8')).trim().split('\n'));
  }
  const wholeImages = Object.fromEntries(Object.entries(whole).filter(([f]) => f.startsWith('images/')));
  t.deepEqual(Object.fromEntries(Object.entries(union).sort()), wholeImages);
  t.is(`${records.join('\n')}\n`, await readFile(join(dir, 'whole', 'metadata.jsonl'), 'utf8'), 'concatenated shard metadata equals the whole');
});

test('a non-empty folder is refused; --overwrite only replaces a synth dataset', async (t) => {
  const dir = await tmp();
  const foreign = join(dir, 'foreign');
  await mkdir(foreign);
  await writeFile(join(foreign, 'notes.txt'), 'precious');
  await t.throwsAsync(exportDataset({ spec: tiny, catalog, renderer, out: foreign }), { instanceOf: OutputError, message: /is not empty: pass --resume .* or --overwrite/ });
  await t.throwsAsync(exportDataset({ spec: tiny, catalog, renderer, out: foreign, overwrite: true }), { instanceOf: OutputError, message: /does not hold a synth dataset/ });
  t.is(await readFile(join(foreign, 'notes.txt'), 'utf8'), 'precious', 'nothing lost');
  const ds = join(dir, 'ds');
  await exportDataset({ spec: tiny, catalog, renderer, out: ds });
  const r = await exportDataset({ spec: tiny, catalog, renderer, out: ds, overwrite: true });
  t.is(r.rendered, 12);
});

test('resume after an interruption gives the same dataset', async (t) => {
  const dir = await tmp();
  // More samples than the export keeps in flight (pipelineDepth), so the cut lands midway.
  const spec = parseSpec({ ...tiny, count: 48 }, catalog);
  await exportDataset({ spec, catalog, renderer, out: join(dir, 'clean') });
  const controller = new AbortController();
  let seen = 0;
  await t.throwsAsync(exportDataset({
    spec, catalog, renderer, out: join(dir, 'cut'), signal: controller.signal,
    onProgress: (p) => { seen = p.done; if (p.done >= 5) controller.abort(); },
  }), { name: 'AbortError' });
  t.true(seen >= 5 && seen < 48, `cut after ${seen} samples`);
  const r = await exportDataset({ spec, catalog, renderer, out: join(dir, 'cut'), resume: true });
  t.true(r.skipped >= 5, `skipped ${r.skipped} finished samples`);
  t.is(r.skipped + r.rendered, 48);
  t.deepEqual(await fileTree(join(dir, 'cut')), await fileTree(join(dir, 'clean')));
  const again = await exportDataset({ spec, catalog, renderer, out: join(dir, 'cut'), resume: true });
  t.is(again.rendered, 0, 'resuming a finished export renders nothing');
  const other = parseSpec({ ...tiny, count: 48, seed: 4 }, catalog);
  await t.throwsAsync(exportDataset({ spec: other, catalog, renderer, out: join(dir, 'cut'), resume: true }), { instanceOf: OutputError, message: /different spec/ });
});

test('jpeg and webp formats', async (t) => {
  const dir = await tmp();
  for (const [format, magic] of [['jpeg', 'ffd8ff'], ['webp', '52494646']] as const) {
    const s = parseSpec({ ...tiny, count: 2, format }, catalog);
    await exportDataset({ spec: s, catalog, renderer, out: join(dir, format) });
    const rec = JSON.parse((await readFile(join(dir, format, 'metadata.jsonl'), 'utf8')).split('\n')[0]);
    const bytes = await readFile(join(dir, format, rec.file));
    t.is(bytes.subarray(0, magic.length / 2).toString('hex'), magic, `${format} file starts with its magic bytes`);
  }
});

test('a render failing mid-export: the error comes out, every image on disk is journaled, resume finishes the same dataset', async (t) => {
  const dir = await tmp();
  await exportDataset({ spec: tiny, catalog, renderer, out: join(dir, 'clean') });
  const failing: SceneRenderer = {
    ...renderer,
    render: (desc, options) => (desc.index === 8 ? Promise.reject(new Error('boom at 8')) : renderer.render(desc, options)),
  };
  await t.throwsAsync(exportDataset({ spec: tiny, catalog, renderer: failing, out: join(dir, 'cut') }), { message: 'boom at 8' });
  const journal = (await readFile(join(dir, 'cut', PROGRESS_DIR, 'journal.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const images = Object.keys(await fileTree(join(dir, 'cut'))).filter((f) => f.startsWith('images/')).sort();
  t.deepEqual(journal.map((e) => e.record.file).sort(), images, 'the journal names exactly the images written');
  const r = await exportDataset({ spec: tiny, catalog, renderer, out: join(dir, 'cut'), resume: true });
  t.is(r.skipped, images.length);
  t.deepEqual(await fileTree(join(dir, 'cut')), await fileTree(join(dir, 'clean')));
});
