import test from 'ava';
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(process.cwd(), 'src/cli/main.ts');
const JUDGE = join(process.cwd(), 'models/synth-classifier-32');
const dirs: string[] = [];
test.after.always(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'synth-eval-cli-'));
  dirs.push(d);
  return d;
}

/** Run `synth evaluate ...args` from source; resolves with its exit code and output. */
function synth(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'evaluate', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const GRID = { name: 'cli-grid', seed: 2, mode: 'grid', resolution: [32, 32], classes: ['cube', 'torus'], factors: { yaw: { values: [0, 120] }, 'camera.distance': { const: 2.3 } } };

async function specFile(dir: string, spec: unknown, name = 'spec.json'): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(spec));
  return path;
}

test.serial('synth evaluate writes the report of a spec and prints the accuracy', async (t) => {
  const dir = await tempDir();
  const spec = await specFile(dir, GRID);
  const r = await synth(['--spec', spec, '--out', join(dir, 'out'), '--map', 'cube=cube,torus=torus', '--threads', '1', '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^accuracy \d+\.\d% \(95% CI .*\) on 4 samples/);
  const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8'));
  t.is(report.count, 4);
  t.is(report.model.name, 'synth-classifier-32');
  t.regex(report.model.sha256, /^[0-9a-f]{64}$/);
  t.true(existsSync(join(dir, 'out', 'plots', 'accuracy-yaw.png')));
});

test.serial('synth evaluate --help lists every option with its default', async (t) => {
  const r = await synth(['--help']);
  t.is(r.code, 0);
  for (const flag of ['--spec', '--export', '--out', '--model', '--map', '--batch', '--top-k', '--save-images', '--overwrite', '--workers']) t.true(r.stdout.includes(flag), flag);
  t.regex(r.stdout, /default: synth-classifier-32/);
});

/** Bad input: exit 2, the message names the field, nothing is written. */
async function refused(t: import('ava').ExecutionContext, args: (dir: string) => Promise<string[]>, field: RegExp) {
  const dir = await tempDir();
  const r = await synth([...await args(dir), '--out', join(dir, 'out'), '--quiet']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, field);
  t.false(existsSync(join(dir, 'out')), 'nothing written');
  t.false((await readdir(dir)).some((n) => n.startsWith('.out')), 'no staging folder');
}

test.serial('a model whose manifest and graph disagree: exit 2 naming the input', async (t) => {
  await refused(t, async (dir) => {
    const model = join(dir, 'model');
    await mkdir(model);
    await copyFile(join(JUDGE, 'model.onnx'), join(model, 'model.onnx'));
    const manifest = JSON.parse(await readFile(join(JUDGE, 'model.json'), 'utf8'));
    manifest.input.name = 'pixels';
    await writeFile(join(model, 'model.json'), JSON.stringify(manifest));
    return ['--spec', await specFile(dir, GRID), '--model', model];
  }, /input names: expected \[pixels\] \(from model\.json\)/);
});

test.serial('a mapping naming a class the spec does not have: exit 2 naming it', async (t) => {
  await refused(t, async (dir) => ['--spec', await specFile(dir, GRID), '--map', 'dog=car'], /--map\.dog: expected a class of the spec \(one of: cube, torus\), got "dog"/);
});

test.serial('a mapping naming an output the model does not have: exit 2 naming it', async (t) => {
  await refused(t, async (dir) => ['--spec', await specFile(dir, GRID), '--map', 'cube=12'], /--map\.cube\[0\]: expected a model output index in \[0, 9\], got 12/);
  await refused(t, async (dir) => ['--spec', await specFile(dir, GRID), '--map', 'torus=donut'], /--map\.torus\[0\]: expected a class of the model/);
});

test.serial('a spec class the model does not know, unmapped: exit 2 naming --map', async (t) => {
  await refused(t, async (dir) => ['--spec', await specFile(dir, { ...GRID, classes: ['cube', 'cone'] })], /--map: expected a model class for every spec class; cone is not among the model's classes/);
});

test.serial('a spec with no samples: exit 2 naming the field', async (t) => {
  await refused(t, async (dir) => ['--spec', await specFile(dir, { ...GRID, mode: 'random', count: 0 })], /count: /);
  await refused(t, async (dir) => ['--spec', await specFile(dir, { ...GRID, holdout: [{ yaw: 0 }, { yaw: 120 }] })], /split: expected a split with at least one grid cell/);
  await refused(t, async (dir) => {
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'empty', 'metadata.jsonl'), '');
    return ['--export', join(dir, 'empty')];
  }, /export: expected an export folder with at least one sample/);
});

test.serial('--spec and --export together, or neither, or --export with a sampling flag: exit 2', async (t) => {
  await refused(t, async (dir) => ['--spec', await specFile(dir, GRID), '--export', dir], /--spec\/--export: expected exactly one of them/);
  await refused(t, async () => [], /--spec\/--export: expected exactly one of them/);
  await refused(t, async (dir) => ['--export', dir, '--search', '10'], /--search: expected --spec alongside it/);
});

test.serial('synth evaluate --export reads an export folder; --save-images writes the images', async (t) => {
  const { createAssetLibrary } = await import('../../src/assets/library.js');
  const { createRenderer } = await import('../../src/render/renderer.js');
  const { parseSpec } = await import('../../src/spec/schema.js');
  const { exportDataset } = await import('../../src/export/export.js');
  const library = createAssetLibrary();
  const catalog = library.catalog();
  const renderer = await createRenderer(library);
  const dir = await tempDir();
  try {
    await exportDataset({ spec: parseSpec(GRID, catalog), catalog, renderer, out: join(dir, 'export'), formats: ['imagefolder'] });
  } finally {
    renderer.dispose();
  }
  const r = await synth(['--export', join(dir, 'export'), '--out', join(dir, 'out'), '--save-images', '--threads', '1', '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /on 4 samples/);
  const report = JSON.parse(await readFile(join(dir, 'out', 'report.json'), 'utf8'));
  t.is(report.source.kind, 'export');
  t.is(report.source.name, 'cli-grid', 'named by its manifest');
  t.deepEqual(report.factors.map((f: { factor: string }) => f.factor), ['yaw'], 'the factors its spec lists');
  t.is((await readdir(join(dir, 'out', 'images', 'cube'))).length, 2);
});
