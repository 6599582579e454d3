import test from 'ava';
import { spawn } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { call, disposeRenderer, isError, serve, tempDir, until } from './helpers.js';
import type { RunningServer } from '../../src/server/main.js';

test.after.always(disposeRenderer);

// Hostile graphs: test/diffusion/fixtures/hostile/make_hostile.py, installed here as committed models.
const HOSTILE = join(process.cwd(), 'test', 'diffusion', 'fixtures', 'hostile');
const MAIN = pathToFileURL(join(process.cwd(), 'src', 'server', 'main.ts')).href;

/** A models folder holding the hostile denoiser and the input-tied classifier. */
async function hostileModels(): Promise<string> {
  const dir = await tempDir('synth-hostile-models-');
  await cp(join(HOSTILE, 'loop-denoiser'), join(dir, 'loop-denoiser'), { recursive: true });
  await cp(join(HOSTILE, 'loop-input'), join(dir, 'loop-input'), { recursive: true });
  return dir;
}

/**
 * The server as `synth serve` runs it (startServer, then shutdown and exit 0 on SIGTERM) in a process
 * of its own, on `modelsDir`, with `env` (the model budget); resolves with its URL once listening.
 */
function startProcess(dataDir: string, modelsDir: string, env: Record<string, string>) {
  const code = [
    `import { startServer } from ${JSON.stringify(MAIN)};`,
    `const s = await startServer({ port: 0, dataDir: ${JSON.stringify(dataDir)}, modelsDir: ${JSON.stringify(modelsDir)}, quiet: true });`,
    `process.once('SIGTERM', () => { void s.shutdown().then(() => process.exit(0)); });`,
    `console.log('listening on ' + s.url);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((c) => reject(new Error(`server exited ${c}: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

const job = async (server: RunningServer | string, id: string) => (await call(server, `/v1/datasets/${id}`)).json;
const BODY = { model: 'loop-denoiser', classes: ['a'], count: 20, steps: 2 };

test.serial('a generate job stuck in a hostile model: /v1/health answers, SIGTERM exits, and after a restart the job fails for good', async (t) => {
  const dataDir = await tempDir();
  const modelsDir = await hostileModels();
  // a budget far longer than the test: only the shutdown can end the run
  const a = startProcess(dataDir, modelsDir, { SYNTH_MODEL_TIMEOUT_MS: '600000' });
  const url = await a.url;
  const submitted = await call(url, '/v1/generate', { body: BODY });
  t.is(submitted.status, 202, submitted.bytes.toString().slice(0, 300));
  const id = submitted.json.id;
  await until(async () => (await job(url, id)).status === 'running', 60_000, 'the job to start');
  await new Promise((r) => setTimeout(r, 500)); // inside the model's endless loop by now
  const health = await call(url, '/v1/health');
  t.is(health.status, 200, '/v1/health answers while the model runs');
  t.is((await job(url, id)).status, 'running', 'the hostile run is still in progress');
  a.child.kill('SIGTERM');
  const code = await Promise.race([a.exited, new Promise<string>((r) => setTimeout(() => r('still running 60 s after SIGTERM'), 60_000))]);
  if (code !== 0) a.child.kill('SIGKILL');
  t.is(code, 0, `SIGTERM shuts the server down during the run: ${a.stderr()}`);
  t.is(JSON.parse(await readFile(join(dataDir, 'jobs', id, 'job.json'), 'utf8')).state, 'queued', 'checkpointed for the next start');

  // the next start runs it again, under a short budget: it fails for good
  const second = await serve({ dataDir, modelsDir, modelBudget: { timeoutMs: 2000 } });
  let failed: Record<string, any>;
  try {
    await until(async () => (await job(second, id)).status === 'failed', 60_000, 'the job to fail');
    failed = await job(second, id);
    t.is(failed.error.code, 'model_failed');
    t.regex(failed.error.message, /model loop-denoiser: stopped after the time budget of 2000 ms per run \(SYNTH_MODEL_TIMEOUT_MS\)/);
    t.false(failed.error.message.includes(modelsDir), 'no server paths in the error');
    t.is(failed.restarts, 1);

    // a synchronous request with the same model fails the same way, as a 422
    const sync = await call(second, '/v1/generate', { body: { ...BODY, count: 1 } });
    isError(t, sync, 422, 'model_failed');
    t.like(sync.json.error.details, { budget: 'time', limit: 2000 });
    // a committed classifier that loops on real images is refused when guidance first loads it
    const guided = await call(second, '/v1/generate', { body: { ...BODY, count: 1, scheduler: 'ddim', eta: 1, guidance: { criterion: 'entropy', mode: 'svdd', classifier: 'loop-input' } } });
    isError(t, guided, 400);
    t.regex(guided.json.error.message, /guidance\.classifier: .*loop-input: test inference on 3 images .*stopped after the time budget of 2000 ms/);
    t.is((await call(second, '/v1/health')).status, 200);
  } finally {
    await second.shutdown();
  }

  const third = await serve({ dataDir, modelsDir });
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const after = await job(third, id);
    t.is(after.status, 'failed', 'not queued again at the next start');
    t.is(after.restarts, 1, 'not run again');
    t.deepEqual(after.error, failed!.error);
    t.is(third.jobs.runningCount, 0);
  } finally {
    await third.shutdown();
  }
});
