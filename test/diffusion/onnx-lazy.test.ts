import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The CLI from its sources (no build needed), under NODE_OPTIONS that make resolving onnxruntime-node
// throw: a command that never opens a model must not notice; one that does must fail on it (proof
// that the block works, in the model's runner process, which inherits NODE_OPTIONS).
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const TINY_MODEL = fileURLToPath(new URL('./fixtures/tiny', import.meta.url));

async function blockingNodeOptions(dir: string): Promise<string> {
  const hooks = join(dir, 'block-onnxruntime.mjs');
  await writeFile(hooks, [
    'export async function resolve(specifier, context, next) {',
    "  if (specifier === 'onnxruntime-node' || specifier.startsWith('onnxruntime-node/')) throw new Error('onnxruntime-node is blocked by this test');",
    '  return next(specifier, context);',
    '}',
  ].join('\n'));
  const register = join(dir, 'register.mjs');
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return `--import=${pathToFileURL(register).href}`;
}

function synth(args: string[], nodeOptions: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout: 240_000, env: { ...process.env, NODE_OPTIONS: nodeOptions } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test.serial('synth export and catalog never load onnxruntime-node; synth generate loads it to open its model', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-lazy-'));
  const nodeOptions = await blockingNodeOptions(dir);
  const spec = join(dir, 'spec.json');
  await writeFile(spec, JSON.stringify({ name: 'lazy', seed: 1, count: 2, resolution: [32, 32], classes: ['cube'] }));
  const exported = await synth(['export', '--spec', spec, '--out', join(dir, 'out'), '--quiet'], nodeOptions);
  t.is(exported.code, 0, exported.stderr);
  t.true(existsSync(join(dir, 'out', 'manifest.json')), 'the export was written');
  t.notRegex(exported.stderr, /onnxruntime/);
  const catalog = await synth(['catalog', '--json'], nodeOptions);
  t.is(catalog.code, 0, catalog.stderr);

  const generated = await synth(['generate', '--model', TINY_MODEL, '--class', 'a', '--count', '1', '--steps', '2', '--out', join(dir, 'gen')], nodeOptions);
  t.not(generated.code, 0, 'opening a model needs onnxruntime-node');
  t.regex(generated.stderr, /onnxruntime-node is blocked by this test/);
});

test.serial('synth generate with a model over its time budget exits 1 naming the budget, not as a bug', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-budget-'));
  const hostile = fileURLToPath(new URL('./fixtures/hostile/loop-denoiser', import.meta.url));
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, 'generate', '--model', hostile, '--class', 'a', '--count', '1', '--steps', '2', '--out', join(dir, 'out')],
      { timeout: 240_000, env: { ...process.env, SYNTH_MODEL_TIMEOUT_MS: '3000' } },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }));
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /synth generate: model failure: model loop-denoiser: stopped after the time budget of 3000 ms per run \(SYNTH_MODEL_TIMEOUT_MS\)/);
  t.notRegex(r.stderr, /a bug/);
});
