import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, OutputError } from '../../src/core/errors.js';
import { loadDenoiser } from '../../src/diffusion/load.js';
import { generateDataset, classIndices } from '../../src/diffusion/generate.js';
import { resolveSettings } from '../../src/diffusion/sampler.js';

const TINY = fileURLToPath(new URL('./fixtures/tiny', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const BIN = join(process.cwd(), 'dist/cli/main.js');

function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('generateDataset writes the ImageFolder layout with sampler labels', async (t) => {
  const model = await loadDenoiser(TINY);
  const out = join(await mkdtemp(join(tmpdir(), 'synth-gen-')), 'out');
  try {
    const settings = resolveSettings(model.manifest, { steps: 3, seed: 4 });
    const progress: number[] = [];
    const result = await generateDataset({ sampler: model.sampler, classes: ['c', 'a'], count: 3, settings, out, batch: 4, onProgress: (p) => progress.push(p.done) });
    t.is(result.count, 6);
    t.deepEqual((await readdir(join(out, 'images'))).sort(), ['a', 'c'], 'one folder per class');
    t.deepEqual(await readdir(join(out, 'images', 'c')), ['00000000.png', '00000001.png', '00000002.png']);
    const lines = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    t.is(lines.length, 6, 'one record per image');
    t.like(lines[0], { class: 'c', label: 1 }, 'labels follow the sorted class names, as ImageFolder numbers the folders');
    t.is(await readFile(join(out, 'classes.txt'), 'utf8'), 'a\nc\n');
    t.like(lines[3], { id: '00000003', class: 'a', label: 0, seed: 4, noiseIndex: 0, file: 'images/a/00000003.png', sampler: { scheduler: 'ddim', steps: 3, cfg: 2, eta: 0 } });
    const png = await readFile(join(out, lines[0].file));
    t.is(png.subarray(1, 4).toString(), 'PNG', 'a PNG file');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    t.like(manifest, { format: 'synth.generated/1', count: 6, counts: { c: 3, a: 3 }, model: { name: 'tiny' } });
    t.is(progress.at(-1), 6, 'progress reaches the total');
    await t.throwsAsync(generateDataset({ sampler: model.sampler, classes: ['a'], count: 1, settings, out }), { instanceOf: OutputError, message: /not empty/ });
    await t.notThrowsAsync(generateDataset({ sampler: model.sampler, classes: ['a'], count: 1, settings, out, overwrite: true }), '--overwrite replaces a generated dataset');
    const other = await mkdtemp(join(tmpdir(), 'synth-gen-'));
    await writeFile(join(other, 'precious.txt'), 'x');
    await t.throwsAsync(generateDataset({ sampler: model.sampler, classes: ['a'], count: 1, settings, out: other, overwrite: true }), { instanceOf: OutputError, message: /refusing to delete/ });
  } finally {
    await model.session.release();
  }
});

test('a cancelled generation leaves an empty folder and says so; the same call then fills it', async (t) => {
  const model = await loadDenoiser(TINY);
  const out = join(await mkdtemp(join(tmpdir(), 'synth-gen-')), 'out');
  try {
    const settings = resolveSettings(model.manifest, { steps: 2, seed: 1 });
    const controller = new AbortController();
    const run = generateDataset({
      sampler: model.sampler, classes: ['a', 'b'], count: 4, settings, out, batch: 2, signal: controller.signal,
      onProgress: (p) => { if (p.done >= 2) controller.abort(); },
    });
    await t.throwsAsync(run, { name: 'AbortError', message: /cancelled after 2 of 8 images; nothing was kept/ });
    t.deepEqual(await readdir(out), [], 'no partial dataset');
    const result = await generateDataset({ sampler: model.sampler, classes: ['a', 'b'], count: 4, settings, out, batch: 2 });
    t.is(result.count, 8);
  } finally {
    await model.session.release();
  }
});

test('an unknown class lists the model classes', (t) => {
  t.throws(() => classIndices(['a', 'zebra'], ['a', 'b', 'c']), { instanceOf: InputError, message: /^classes: expected a known class of this model \(one of: a, b, c\), got "zebra"/ });
  t.deepEqual(classIndices(['c', 'a'], ['a', 'b', 'c']), [2, 0]);
});

test('synth generate end to end, and bad input exits 2 with a clear message', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-gen-cli-'));
  const ok = await synth(['generate', '--model', TINY, '--class', 'a,b', '--count', '2', '--steps', '3', '--cfg', '1.5', '--scheduler', 'ddim', '--eta', '0.3', '--seed', '2', '--out', join(dir, 'ok'), '--batch', '3', '--quiet']);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /wrote 4 images .*a 2, b 2/);
  const cases: [string[], RegExp][] = [
    [['--class', 'zebra'], /--class: expected a known class of this model \(one of: a, b, c\), got "zebra"/],
    [['--class', 'a', '--model', 'no-such-model'], /--model: expected a model name/],
    [['--class', 'a', '--model', fixture('malformed')], /expected an ONNX model onnxruntime can load/],
    [['--class', 'a', '--model', fixture('wrong-names')], /input names: expected \[x, t, class\]/],
    [['--class', 'a', '--steps', '0'], /--steps: expected an integer in \[1, 100000\], got "0"/],
    [['--class', 'a', '--steps', '5000'], /--steps: expected an integer in \[1, 1000\] \(the model's training timesteps\), got 5000/],
    [['--class', 'a', '--scheduler', 'euler'], /--scheduler: expected one of ddim, ddpm, dpmpp2m/],
    [['--class', 'a', '--cfg', 'x'], /--cfg: expected a number/],
    [['--class', 'a', '--scheduler', 'dpmpp2m', '--eta', '0.5'], /--eta: expected 0 with scheduler dpmpp2m/],
  ];
  for (const [args, message] of cases) {
    const model = args.includes('--model') ? [] : ['--model', TINY];
    const r = await synth(['generate', ...model, '--out', join(dir, 'bad'), '--quiet', ...args]);
    t.is(r.code, 2, `${args.join(' ')}: exit 2 (${r.stderr})`);
    t.regex(r.stderr, message, args.join(' '));
  }
});
