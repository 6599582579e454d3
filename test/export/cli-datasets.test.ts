/**
 * The dataset commands end to end, on the built CLI (`npx tsc -p .` first) and the real renderer:
 * kill -9 and --resume, slices from separate processes merged, verify, and bad input.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile, mkdir, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileTree } from '../helpers.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');
const SPEC = {
  name: 'kill', seed: 5, count: 150, resolution: [64, 64], classes: ['cube', 'sphere', 'cone', 'torus'],
  factors: { color: { choice: ['red', 'blue', 'green'] }, environment: { choice: ['studio', 'meadow'] } },
  labels: ['segmentation', 'depth', 'boxes'],
};
const WRITE = ['--format', 'imagefolder,coco,webdataset', '--shard-size', '16', '--quiet'];

function synth(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 240_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function journalLines(out: string): Promise<number> {
  const text = await readFile(join(out, '.synth-progress', 'journal.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).length;
}

/** Start an export and SIGKILL it once its journal holds `atLeast` lines; resolves to the lines seen. */
function exportAndKill(args: string[], out: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'ignore' });
    let seen = 0;
    let exited = false;
    child.on('exit', (code, signal) => {
      exited = true;
      if (signal === 'SIGKILL') resolve(seen);
      else reject(new Error(`export exited (code ${code}) before it could be killed at ${atLeast} journal lines (saw ${seen})`));
    });
    const poll = async () => {
      if (exited) return;
      seen = await journalLines(out);
      if (seen >= atLeast) process.kill(child.pid!, 'SIGKILL');
      else setTimeout(poll, 15);
    };
    void poll();
  });
}

let dir = '';
let specPath = '';
let clean: Promise<Record<string, string>>;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synth-cli-datasets-'));
  specPath = join(dir, 'spec.json');
  await writeFile(specPath, JSON.stringify(SPEC));
  clean = synth(['export', '--spec', specPath, '--out', join(dir, 'clean'), ...WRITE]).then((r) => {
    if (r.code !== 0) throw new Error(r.stderr);
    return fileTree(join(dir, 'clean'));
  });
});

test.serial('an export killed with SIGKILL (twice) resumes to byte-identical files', async (t) => {
  const reference = await clean;
  t.true(Object.keys(reference).filter((f) => f.startsWith('shards/')).length === 10, '150 samples in 10 tar shards of 16');
  const out = join(dir, 'cut');
  const args = ['export', '--spec', specPath, '--out', out, ...WRITE];
  const first = await exportAndKill(args, out, 25);
  t.true(first >= 25 && first < 150, `killed after ${first} journaled samples`);
  t.false(existsSync(join(out, 'manifest.json')), 'no manifest from a killed run');
  const second = await exportAndKill([...args, '--resume'], out, first + 40);
  t.true(second > first, `the first resume got further (${second}) before its own kill`);
  const shardsSoFar = (await readdir(join(out, 'shards')).catch(() => [])).filter((f) => f.endsWith('.tar'));
  t.true(shardsSoFar.length >= 1, `complete tar shards survive kills (${shardsSoFar.join(', ')})`);
  const r = await synth([...args, '--resume']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote 150 samples .*\((\d+) rendered, (\d+) already there\)/);
  t.deepEqual(await fileTree(out), reference, 'every file, manifest included, equals the uninterrupted run');
});

test.serial('two renderer threads rasterising their own frames (LP_NUM_THREADS=0) export the same bytes as one renderer on llvmpipe\'s threads', async (t) => {
  const reference = await clean; // one renderer (150 samples: --workers auto picks one), LP_NUM_THREADS unset: four threads
  const out = join(dir, 'threads');
  const r = await synth(['export', '--spec', specPath, '--out', out, ...WRITE, '--workers', '2'], { LP_NUM_THREADS: '0' });
  t.is(r.code, 0, r.stderr);
  t.deepEqual(await fileTree(out), reference, 'every file, manifest included');
});

test.serial('slices exported by separate processes merge into the single-run dataset', async (t) => {
  const reference = await clean;
  const slices = [0, 1, 2].map((k) => join(dir, `slice-${k}`));
  const runs = await Promise.all(slices.map((out, k) => synth(['export', '--spec', specPath, '--out', out, ...WRITE, '--shard-index', String(k), '--num-shards', '3'])));
  for (const r of runs) t.is(r.code, 0, r.stderr);
  const ranges = await Promise.all(slices.map(async (s) => JSON.parse(await readFile(join(s, 'manifest.json'), 'utf8')).shard));
  t.deepEqual(ranges.map((s) => [s.start, s.end]), [[0, 48], [48, 96], [96, 150]], 'slices aligned to tar shards of 16');
  const merged = join(dir, 'merged');
  const m = await synth(['merge', '--out', merged, slices[2], slices[0], slices[1]]);
  t.is(m.code, 0, m.stderr);
  t.regex(m.stdout, /merged 3 slice\(s\) .*: 150 samples/);
  const got = await fileTree(merged);
  const strip = (x: Record<string, string>) => Object.fromEntries(Object.entries(x).filter(([f]) => f !== 'manifest.json'));
  t.deepEqual(strip(got), strip(reference), 'images, shards, metadata, CSV and COCO equal the single run');
  const v = await synth(['verify', merged]);
  t.is(v.code, 0, v.stdout);
  const gap = await synth(['merge', '--out', join(dir, 'gap'), slices[0], slices[2]]);
  t.is(gap.code, 2);
  t.regex(gap.stderr, /samples \[48, 96\) are in no slice/);
  t.false(existsSync(join(dir, 'gap')), 'nothing written for a failed merge');
  const unfinished = join(dir, 'unfinished');
  await exportAndKill(['export', '--spec', specPath, '--out', unfinished, ...WRITE, '--shard-index', '1', '--num-shards', '3'], unfinished, 3);
  const bad = await synth(['merge', '--out', join(dir, 'bad'), slices[0], unfinished, slices[2]]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /got an unfinished one: finish it with synth export --resume/);
});

test.serial('verify: exit 0 when intact, 1 listing a flipped byte in an image and in a shard, 2 for a non-dataset', async (t) => {
  await clean;
  const out = join(dir, 'clean');
  const ok = await synth(['verify', out]);
  t.is(ok.code, 0, ok.stdout);
  const records = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  const perSample = 1 + Object.keys(records[0].labels?.files ?? {}).length;
  const files = 14 + 150 * perSample; // classes.txt, metadata, csv, coco, 10 shards; each image and its label maps
  t.regex(ok.stdout, new RegExp(`ok, ${files} files checked`));
  const meta = JSON.stringify(records[7]);
  const image = JSON.parse(meta).file as string;
  const flips: [string, number][] = [[image, 200], ['shards/shard-000004.tar', 30_000]];
  const saved = await Promise.all(flips.map(([f]) => readFile(join(out, f))));
  for (const [f, at] of flips) {
    const b = await readFile(join(out, f));
    b[at] ^= 0x01;
    await writeFile(join(out, f), b);
  }
  const bad = await synth(['verify', out]);
  t.is(bad.code, 1);
  t.regex(bad.stdout, new RegExp(`^corrupt: ${image} \\(sha256`, 'm'));
  t.regex(bad.stdout, /^corrupt: shards\/shard-000004\.tar \(sha256/m);
  t.regex(bad.stdout, new RegExp(`2 problem\\(s\\) in ${files} files checked`));
  await Promise.all(flips.map(([f], i) => writeFile(join(out, f), saved[i])));
  t.is((await synth(['verify', out])).code, 0, 'restored');
  const none = await synth(['verify', join(out, 'images')]);
  t.is(none.code, 2);
  t.regex(none.stderr, /not a synth dataset \(no manifest\.json\)/);
});

test('bad names and escaping output paths exit 2 and write nothing', async (t) => {
  const d = await mkdtemp(join(tmpdir(), 'synth-cli-bad-'));
  const spec = join(d, 'spec.json');
  await writeFile(spec, JSON.stringify({ ...SPEC, count: 2 }));
  const out = join(d, 'out');
  const fmt = await synth(['export', '--spec', spec, '--out', out, '--format', 'imagefolder,tfrecord']);
  t.is(fmt.code, 2);
  t.regex(fmt.stderr, /--format: expected a comma-separated list of imagefolder, coco, webdataset, got "tfrecord"/);
  await writeFile(join(d, 'labels.json'), JSON.stringify({ ...SPEC, labels: ['depth', 'masks'] }));
  const lab = await synth(['export', '--spec', join(d, 'labels.json'), '--out', out]);
  t.is(lab.code, 2);
  t.regex(lab.stderr, /labels\[1\]: expected a known label pass \(one of: segmentation, depth, normals, boxes, visibility, pose\), got "masks"/);
  const size = await synth(['export', '--spec', spec, '--out', out, '--shard-size', '0']);
  t.is(size.code, 2);
  t.regex(size.stderr, /--shard-size: expected an integer in \[1,/);

  const root = join(d, 'root');
  await mkdir(root);
  await mkdir(join(d, 'outside'));
  await symlink(join(d, 'outside'), join(root, 'link'));
  const dots = await synth(['export', '--spec', spec, '--root', root, '--out', join(root, '..', 'escaped')]);
  t.is(dots.code, 2);
  t.regex(dots.stderr, /--out: .* resolves to .*escaped, outside the output root/);
  const viaLink = await synth(['export', '--spec', spec, '--out', join(root, 'link', 'x')], { SYNTH_OUTPUT_ROOT: root });
  t.is(viaLink.code, 2, 'SYNTH_OUTPUT_ROOT applies without --root');
  t.regex(viaLink.stderr, /outside the output root/);
  const mergeOut = await synth(['merge', '--root', root, '--out', join(d, 'm'), join(d, 'whatever')]);
  t.is(mergeOut.code, 2);
  t.regex(mergeOut.stderr, /outside the output root/);
  t.false(existsSync(join(d, 'escaped')) || existsSync(join(d, 'outside', 'x')) || existsSync(out), 'nothing written');
});
