import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { fileTree } from '../helpers.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');

function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function specFile(dir: string, spec: unknown): Promise<string> {
  const path = join(dir, 'spec.json');
  await writeFile(path, JSON.stringify(spec));
  return path;
}

const TINY = { name: 'cli', seed: 2, count: 6, resolution: [40, 40], classes: ['cube', 'torus'] };

test('export renders a tiny spec end to end', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-cli-'));
  const spec = await specFile(dir, TINY);
  const r = await synth(['export', '--spec', spec, '--out', join(dir, 'out'), '--count', '4', '--seed', '9', '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote 4 samples/);
  const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
  t.is(manifest.count, 4, '--count overrides the spec');
  t.is(manifest.seed, 9, '--seed overrides the spec');
  const again = await synth(['export', '--spec', spec, '--out', join(dir, 'out'), '--quiet']);
  t.is(again.code, 2, 'a non-empty output folder is refused');
  t.regex(again.stderr, /not empty/);
  // --writers sets the writer threads, which change no byte of the dataset.
  const two = await synth(['export', '--spec', spec, '--out', join(dir, 'two'), '--count', '4', '--seed', '9', '--writers', '2', '--quiet']);
  t.is(two.code, 0, two.stderr);
  const tree = async (d: string) => Object.fromEntries(Object.entries(await fileTree(d)).filter(([f]) => f !== 'manifest.json'));
  t.deepEqual(await tree(join(dir, 'two')), await tree(join(dir, 'out')));
});

test('an invalid spec exits 2 with the JSON path and writes nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-cli-'));
  const spec = await specFile(dir, { ...TINY, factors: { yaw: { uniform: [90, 10] } } });
  const out = join(dir, 'never');
  const r = await synth(['export', '--spec', spec, '--out', out]);
  t.is(r.code, 2);
  t.regex(r.stderr, /factors\.yaw\.uniform: expected \[min, max\] with min <= max, got \[90,10\]/);
  t.false(existsSync(out), 'no output folder created');
  const bad = await synth(['export', '--spec', await specFile(dir, { ...TINY, classes: ['cube', 'dragon'] }), '--out', out]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /classes\[1\]: expected a known class \(one of: cube, sphere/);
  await writeFile(join(dir, 'broken.json'), '{"count": 3,');
  const broken = await synth(['export', '--spec', join(dir, 'broken.json'), '--out', out]);
  t.is(broken.code, 2);
  t.regex(broken.stderr, /invalid JSON/);
  const flag = await synth(['export', '--spec', spec, '--out', out, '--backend', 'metal']);
  t.is(flag.code, 2);
  t.regex(flag.stderr, /--backend: expected one of auto, opengles, vulkan, got "metal"/);
  const workers = await synth(['export', '--spec', await specFile(await mkdtemp(join(tmpdir(), 'synth-cli-')), TINY), '--out', out, '--workers', '0']);
  t.is(workers.code, 2);
  t.regex(workers.stderr, /--workers: expected auto or an integer in \[1, 8\], got "?0/);
  const writers = await synth(['export', '--spec', spec, '--out', out, '--writers', '17']);
  t.is(writers.code, 2);
  t.regex(writers.stderr, /--writers/);
  t.regex(writers.stderr, /17/);
  const unknown = await synth(['export', '--bogus']);
  t.is(unknown.code, 2);
  t.false(existsSync(out));
});

test('preview writes a contact sheet of the requested grid', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-cli-'));
  const spec = await specFile(dir, TINY);
  const out = join(dir, 'sheet.png');
  const r = await synth(['preview', '--spec', spec, '--out', out, '--columns', '3', '--rows', '2', '--tile', '32']);
  t.is(r.code, 0, r.stderr);
  const meta = await sharp(out).metadata();
  t.is(meta.width, 96);
  t.is(meta.height, 64);
  t.true((await stat(out)).size > 500);
});

test('catalog lists classes, factors, textures and environments', async (t) => {
  const r = await synth(['catalog']);
  t.is(r.code, 0);
  for (const word of ['cube', 'camera.fov', 'light.temperature', 'checker', 'meadow']) t.true(r.stdout.includes(word), `catalog mentions ${word}`);
  const j = await synth(['catalog', '--json']);
  const parsed = JSON.parse(j.stdout);
  t.true(parsed.classes.length >= 5);
  t.true(parsed.factors.some((f: { name: string }) => f.name === 'camera.elevation'));
});

test('unknown command and help', async (t) => {
  const r = await synth(['render-all']);
  t.is(r.code, 2);
  t.regex(r.stderr, /command: expected one of export, preview, catalog/);
  const h = await synth(['--help']);
  t.is(h.code, 0);
  t.regex(h.stdout, /synth export/);
});

test('Ctrl-C stops an export with exit code 130 and a resumable folder; --resume finishes it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-cli-'));
  const spec = await specFile(dir, { ...TINY, count: 300 });
  const out = join(dir, 'out');
  const journal = join(out, '.synth-progress', 'journal.jsonl');
  const child = spawn(process.execPath, [BIN, 'export', '--spec', spec, '--out', out, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let sent = false;
  while (!sent && child.exitCode === null) {
    const lines = (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    if (lines >= 5) { child.kill('SIGINT'); sent = true; } else await new Promise((r) => setTimeout(r, 15));
  }
  t.true(sent, `the export finished before it could be interrupted: ${stderr}`);
  t.is(await exited, 130, stderr);
  t.regex(stderr, /cancelled after \d+ of 300 samples; --resume finishes it/);
  t.false(existsSync(join(out, 'manifest.json')), 'no manifest for an unfinished dataset');
  const resumed = await synth(['export', '--spec', spec, '--out', out, '--resume', '--quiet']);
  t.is(resumed.code, 0, resumed.stderr);
  t.is(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')).count, 300);
});
