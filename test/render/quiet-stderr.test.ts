// Dawn's notices (limits clamped on llvmpipe, once per renderer thread) never reach the user's stderr;
// real errors do. Runs the built `synth` executable (npx tsc -p . builds dist/).
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAWN_NOTICES } from '../../src/render/gpu.js';
import { filterChunk } from '../../src/core/filtered-stderr.js';

const SYNTH = join(process.cwd(), 'dist/cli/synth.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SYNTH, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the filter drops exactly Dawn\'s notices, holds back only what may become one, and keeps the rest at once', (t) => {
  const notice = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.';
  const storage = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 80 to 16 to fit dynamic offset allocation limit.';
  t.deepEqual(filterChunk(`${notice}\nreal error\n${storage}\n`, DAWN_NOTICES), { keep: 'real error\n', hold: '' });
  t.deepEqual(filterChunk('Warning: maxDyn', DAWN_NOTICES), { keep: '', hold: 'Warning: maxDyn' }, 'the start of a notice waits for its end');
  t.deepEqual(filterChunk('\rexport [###---] 3/12', DAWN_NOTICES), { keep: '\rexport [###---] 3/12', hold: '' }, 'a progress line is not held back');
  t.deepEqual(filterChunk('Warning: the spec asks for labels\n', DAWN_NOTICES), { keep: 'Warning: the spec asks for labels\n', hold: '' }, 'other warnings pass');
  t.false(DAWN_NOTICES.drop('Error: RenderError: backend opengles: no adapter answered'));
  t.true(DAWN_NOTICES.drop('While trying to discover a BackendType::OpenGLES adapter.'));
});

test('synth export --quiet writes nothing to stderr on a tiny spec with two renderer threads; a real error still shows', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-quiet-'));
  try {
    const spec = join(dir, 'spec.json');
    await writeFile(spec, JSON.stringify({ name: 'quiet', seed: 1, count: 3, resolution: [32, 32], classes: ['cube'] }));
    const ok = await run(['export', '--spec', spec, '--out', join(dir, 'out'), '--quiet', '--workers', '2']);
    t.is(ok.code, 0, ok.stderr);
    t.is(ok.stderr, '', 'stderr is empty');
    t.regex(ok.stdout, /wrote 3 samples/);
    t.true((await readdir(join(dir, 'out', 'images', 'cube'))).length === 3);
    const unfiltered = await run(['export', '--spec', spec, '--out', join(dir, 'raw-out'), '--quiet', '--workers', '2'], { SYNTH_STDERR_FILTER: '0' });
    t.is(unfiltered.code, 0);
    t.regex(unfiltered.stderr, /artificially reduced/, 'without the filter Dawn\'s notices are there (so the first run\'s empty stderr means something)');
    const bad = await run(['export', '--spec', join(dir, 'missing.json'), '--out', join(dir, 'bad'), '--quiet']);
    t.is(bad.code, 2);
    t.regex(bad.stderr, /missing\.json/, 'the error names the file');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
