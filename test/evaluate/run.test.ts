import test from 'ava';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer, type SceneRenderer } from '../../src/render/renderer.js';
import { parseSpec } from '../../src/spec/schema.js';
import { planSampling } from '../../src/spec/sample.js';
import { exportDataset } from '../../src/export/export.js';
import { loadClassifier, type LoadedClassifier } from '../../src/diffusion/load.js';
import { evaluate } from '../../src/evaluate/run.js';
import { InputError, OutputError } from '../../src/core/errors.js';

const library = createAssetLibrary();
const catalog = library.catalog();
let renderer: SceneRenderer;
let model: LoadedClassifier;
const dirs: string[] = [];

test.before(async () => {
  renderer = await createRenderer(library);
  model = await loadClassifier('synth-classifier-32', { threads: 1 });
});
test.after.always(async () => {
  renderer?.dispose();
  await model?.session.release();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'synth-eval-'));
  dirs.push(d);
  return d;
}

/** A 2 × 2 × 2 grid at the model's 32². */
const SPEC = {
  name: 'eval-grid', seed: 5, mode: 'grid', resolution: [32, 32], classes: ['cube', 'torus'],
  factors: { yaw: { values: [0, 90] }, environment: { values: ['studio', 'meadow'] }, 'camera.distance': { const: 2.3 } },
};

async function filesOf(dir: string, rel = ''): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await filesOf(dir, p));
    else out[p] = await readFile(join(dir, p));
  }
  return out;
}

test.serial('an evaluation of a grid spec writes its report, tables and plots, byte for byte the same twice', async (t) => {
  const plan = planSampling(parseSpec(SPEC, catalog), catalog);
  const root = await tempDir();
  const a = await evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(root, 'a'), batch: 3 });
  const b = await evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(root, 'b'), batch: 5 });
  t.is(a.count, 8);
  t.deepEqual(b.report, a.report, 'the same report from another batch size');
  const fa = await filesOf(join(root, 'a'));
  const fb = await filesOf(join(root, 'b'));
  t.deepEqual(Object.keys(fa).sort(), Object.keys(fb).sort());
  for (const name of Object.keys(fa)) t.true(fa[name].equals(fb[name]), `${name} is the same bytes (batch sizes 3 and 5)`);
  for (const f of ['report.json', 'report.md', 'predictions.jsonl', 'tables/per-factor.csv', 'tables/pairs.csv', 'tables/class-factor.csv', 'plots/accuracy-yaw.png', 'plots/pair-yaw--environment.png']) {
    t.truthy(fa[f], `${f} written`);
  }
  t.false(Object.keys(fa).some((f) => f.startsWith('images/')), 'no images without saveImages');
  t.deepEqual((await readdir(root)).sort(), ['a', 'b'], 'no staging folder left');

  const report = JSON.parse(fa['report.json'].toString('utf8'));
  t.is(report.count, 8);
  t.deepEqual(report.factors.map((f: { factor: string }) => f.factor), ['yaw', 'environment'], 'the factors that vary, in canonical order');
  t.deepEqual(report.mapping, { cube: ['cube'], torus: ['torus'] });
  const lines = fa['predictions.jsonl'].toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.is(lines.length, 8);
  t.is(report.overall.correct, lines.filter((l) => l.correct).length, 'overall counts the lines');
  t.true(report.overall.accuracy >= 0.75, `the judge recognises most clean 32² renders (${report.overall.accuracy})`);
  for (const l of lines) {
    t.is(l.top.length, 5);
    t.true(l.loss >= 0 && l.entropy >= 0 && l.confidence > 0 && l.confidence <= 1);
    t.is(l.correct, l.top[0].label === l.class);
  }
  const png = await sharp(fa['plots/accuracy-yaw.png']).metadata();
  t.is(png.format, 'png');
  t.true((png.width ?? 0) >= 300, 'a real plot');
  t.regex(fa['report.md'].toString('utf8'), /!\[accuracy vs yaw\]\(plots\/accuracy-yaw\.png\)/);
});

test.serial('an export folder evaluates like the spec it came from; saveImages writes the images', async (t) => {
  const spec = parseSpec(SPEC, catalog);
  const root = await tempDir();
  await exportDataset({ spec, catalog, renderer, out: join(root, 'export'), formats: ['imagefolder'] });
  const fromExport = await evaluate({ input: { kind: 'export', dir: join(root, 'export') }, classifier: model.classifier, out: join(root, 'e') });
  const fromSpec = await evaluate({ input: { kind: 'spec', plan: planSampling(spec, catalog), renderer }, classifier: model.classifier, out: join(root, 's'), saveImages: true });
  const strip = (r: typeof fromSpec.report) => ({ ...r, source: null });
  t.deepEqual(strip(fromExport.report), strip(fromSpec.report), 'the same predictions from the exported PNGs');
  const rawSpec = parseSpec({ ...SPEC, format: 'raw' }, catalog);
  await exportDataset({ spec: rawSpec, catalog, renderer, out: join(root, 'export-raw'), formats: ['imagefolder'] });
  const fromRaw = await evaluate({ input: { kind: 'export', dir: join(root, 'export-raw') }, classifier: model.classifier, out: join(root, 'r') });
  t.deepEqual(strip(fromRaw.report), strip(fromSpec.report), 'the same predictions from .npy arrays');
  const line = JSON.parse((await readFile(join(root, 's', 'predictions.jsonl'), 'utf8')).split('\n')[0]);
  t.regex(line.image, /^images\/(cube|torus)\/\d+\.png$/);
  t.true(existsSync(join(root, 's', line.image)), 'the image is there');
});

test.serial('a sweep spec: consistency per swept factor, from the predictions', async (t) => {
  const spec = parseSpec({ ...SPEC, mode: 'sweep', factors: { yaw: { values: [0, 90, 180] }, environment: { values: ['studio', 'night'] }, 'camera.distance': { const: 2.3 } } }, catalog);
  const plan = planSampling(spec, catalog);
  t.is(plan.count, 8, 'per class: canonical, two yaws, one environment');
  const root = await tempDir();
  const r = await evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(root, 'sweep') });
  const lines = (await readFile(join(root, 'sweep', 'predictions.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  // by hand from the lines: each class's canonical sample opens its sweeps
  const expected: Record<string, [number, number]> = {};
  let canonical: string | null = null;
  const groups: Record<string, boolean>[] = [];
  for (const l of lines) {
    if (l.factors.sweep === 'canonical') { canonical = l.top[0].label; groups.push({}); continue; }
    const g = groups[groups.length - 1];
    g[l.factors.sweep] = (g[l.factors.sweep] ?? true) && l.top[0].label === canonical;
  }
  for (const g of groups) for (const [f, same] of Object.entries(g)) { expected[f] ??= [0, 0]; expected[f][0] += same ? 1 : 0; expected[f][1]++; }
  t.deepEqual(r.report.consistency.map((c) => [c.factor, c.consistent, c.sweeps]), Object.entries(expected).map(([f, [k, n]]) => [f, k, n]));
  t.deepEqual(r.report.consistency.map((c) => c.factor), ['yaw', 'environment']);
  t.true((await readFile(join(root, 'sweep', 'tables', 'consistency.csv'), 'utf8')).startsWith('factor,sweeps,consistent,share'));
  t.false(r.report.factors.some((f) => f.factor === 'sweep'), 'the sweep marker is no table');
});

test.serial('bad input: nothing is written', async (t) => {
  const root = await tempDir();
  const plan = planSampling(parseSpec({ ...SPEC, classes: ['cube', 'cone'] }, catalog), catalog);
  const err = await t.throwsAsync(evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(root, 'x'), mapField: '--map' }), { instanceOf: InputError });
  t.regex(err!.message, /^--map: expected a model class for every spec class; cone is not among the model's classes/);
  t.false(existsSync(join(root, 'x')));
  await mkdir(join(root, 'full'));
  await writeFile(join(root, 'full', 'keep.txt'), 'x');
  await t.throwsAsync(evaluate({ input: { kind: 'spec', plan: planSampling(parseSpec(SPEC, catalog), catalog), renderer }, classifier: model.classifier, out: join(root, 'full') }), { instanceOf: OutputError, message: /is not empty/ });
  await mkdir(join(root, 'empty-export'));
  await writeFile(join(root, 'empty-export', 'metadata.jsonl'), '');
  await t.throwsAsync(evaluate({ input: { kind: 'export', dir: join(root, 'empty-export') }, classifier: model.classifier, out: join(root, 'y') }), { instanceOf: InputError, message: /^export: expected an export folder with at least one sample/ });
  t.deepEqual((await readdir(root)).sort(), ['empty-export', 'full'], 'nothing new');
  t.deepEqual(await readdir(join(root, 'full')), ['keep.txt']);
});

test.serial('a stopped evaluation leaves nothing at the output path', async (t) => {
  const root = await tempDir();
  const controller = new AbortController();
  const plan = planSampling(parseSpec({ ...SPEC, mode: 'random', count: 40 }, catalog), catalog);
  const run = evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(root, 'z'), batch: 4, signal: controller.signal, onProgress: (p) => { if (p.done >= 8) controller.abort(); } });
  await t.throwsAsync(run, { any: true });
  t.deepEqual(await readdir(root), [], 'no output, no staging folder');
});

test.serial('the worst-case search reports per class the setting of highest loss it rendered, with its image', async (t) => {
  const { worstCaseSearch, searchSpace } = await import('../../src/evaluate/search.js');
  const { scoreLogits, resolveClassMapping } = await import('../../src/evaluate/scoring.js');
  const { resizeToRgb } = await import('../../src/feedback/strategy.js');
  const spec = parseSpec({ ...SPEC, mode: 'random', count: 4, factors: { yaw: { uniform: [0, 360] }, 'camera.distance': { values: [2, 3] }, environment: { const: 'studio' } } }, catalog);
  t.deepEqual(searchSpace(spec), [{ name: 'yaw', range: [0, 360] }, { name: 'camera.distance', range: [2, 3] }]);
  const plan = planSampling(spec, catalog);
  const root = await tempDir();
  const run = () => evaluate({ input: { kind: 'spec', plan, renderer }, classifier: model.classifier, out: join(root, `s${dirs.length}-${Math.random()}`), search: worstCaseSearch({ plan, renderer, classes: ['cube', 'torus'], budget: 12 }), searchBudget: 12 });
  const r = await run();
  const s = r.report.search!;
  t.is(s.renders, 12);
  t.deepEqual(s.worst.map((w) => w.class), ['cube', 'torus']);
  for (const w of s.worst) {
    t.true(w.loss >= w.randomLoss, 'the refinement keeps the best of the random phase at least');
    t.true(Number(w.factors.yaw) >= 0 && Number(w.factors.yaw) <= 360 && Number(w.factors['camera.distance']) >= 2 && Number(w.factors['camera.distance']) <= 3, JSON.stringify(w.factors));
    // the image is the setting: the model scores it at the reported loss
    const { data, info } = await sharp(join(r.out, w.image)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const out = await model.classifier.classify(resizeToRgb(new Uint8Array(data), info.width, info.height, 32, 32), 1);
    const again = scoreLogits(out.logits, 0, model.manifest.classes, resolveClassMapping(['cube', 'torus'], model.manifest.classes, undefined), w.class);
    t.true(Math.abs(again.loss - w.loss) < 1e-5, `${w.class}: ${again.loss} vs ${w.loss}`);
  }
  const md = await readFile(join(r.out, 'report.md'), 'utf8');
  t.regex(md, /## Worst-case search/);
  const r2 = await run();
  t.deepEqual(r2.report.search, s, 'the same search twice');
});
