import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { call, disposeRenderer, serve, sharedRenderer, slowRenderer, tempDir, until } from './helpers.js';
import type { RunningServer } from '../../src/server/main.js';

test.after.always(disposeRenderer);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const SPEC = { name: 'resume', seed: 11, count: 40, resolution: [32, 32], classes: ['cube', 'torus', 'sphere'], labels: ['segmentation'] };
const BODY = { spec: SPEC, formats: ['imagefolder', 'coco', 'webdataset'], shardSize: 8 };

async function jobOf(server: RunningServer | string, id: string) {
  return (await call(server, `/v1/datasets/${id}`)).json;
}

async function finished(server: RunningServer | string, id: string) {
  await until(async () => ['done', 'failed', 'cancelled'].includes((await jobOf(server, id)).status), 120_000, `job ${id}`);
  return jobOf(server, id);
}

/** Every file of a job's dataset, downloaded, as path -> sha256. */
async function datasetFiles(server: RunningServer | string, id: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of (await call(server, `/v1/datasets/${id}/files`)).json.files) {
    const a = await call(server, `/v1/datasets/${id}/files/${f.path}`);
    if (a.status !== 200) throw new Error(`${f.path}: ${a.status}`);
    out[f.path] = sha(a.bytes);
  }
  return out;
}

test.serial('a job stopped by a shutdown resumes after a restart and ends with the files of an uninterrupted run', async (t) => {
  const reference = await serve();
  let expected: Record<string, string>;
  try {
    const id = (await call(reference, '/v1/datasets', { body: BODY })).json.id;
    t.is((await finished(reference, id)).status, 'done');
    expected = await datasetFiles(reference, id);
  } finally {
    await reference.shutdown();
  }

  const dataDir = await tempDir();
  const first = await serve({ dataDir, renderer: slowRenderer(await sharedRenderer(), 25), persistIntervalMs: 50 });
  const id = (await call(first, '/v1/datasets', { body: BODY })).json.id;
  await until(async () => (await jobOf(first, id)).progress.done >= 12, 60_000, '12 samples done');
  await first.shutdown();
  const onDisk = JSON.parse(await readFile(join(dataDir, 'jobs', id, 'job.json'), 'utf8'));
  t.is(onDisk.state, 'queued', 'an interrupted job is queued on disk');
  t.true(onDisk.progress.done >= 12 && onDisk.progress.done < 40, `checkpointed mid-job at ${onDisk.progress.done}`);
  t.false(existsSync(join(dataDir, 'jobs', id, 'out', 'manifest.json')), 'not finished yet');

  const second = await serve({ dataDir });
  try {
    const job = await finished(second, id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.is(job.restarts, 1);
    t.deepEqual(await datasetFiles(second, id), expected!, 'same files, same bytes as the uninterrupted run');
  } finally {
    await second.shutdown();
  }
});

const BIN = join(process.cwd(), 'dist/cli/main.js');

/** Start `synth serve` as a process; resolves with its URL once it prints it. */
function startProcess(dataDir: string) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

test.serial('synth serve prints its port, exits 0 on SIGTERM, and resumes the interrupted job at the next start', async (t) => {
  t.true(existsSync(BIN), 'build first: npx tsc -p .');
  const dataDir = await tempDir();
  const a = startProcess(dataDir);
  const url = await a.url;
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.is((await call(url, '/v1/health')).status, 200);
  const id = (await call(url, '/v1/datasets', { body: { ...BODY, spec: { ...SPEC, count: 600, labels: [] } } })).json.id;
  await until(async () => (await jobOf(url, id)).progress.done >= 5, 60_000, 'the job to start');
  a.child.kill('SIGTERM');
  t.is(await a.exited, 0, a.stderr());
  const onDisk = JSON.parse(await readFile(join(dataDir, 'jobs', id, 'job.json'), 'utf8'));
  t.is(onDisk.state, 'queued');
  t.true(onDisk.progress.done < 600, `stopped at ${onDisk.progress.done}`);

  const b = startProcess(dataDir);
  const url2 = await b.url;
  try {
    const job = await finished(url2, id);
    t.is(job.status, 'done');
    t.is(job.progress.done, 600);
    const manifest = await call(url2, `/v1/datasets/${id}/files/manifest.json`);
    t.is(manifest.json.count, 600);
  } finally {
    b.child.kill('SIGTERM');
    t.is(await b.exited, 0);
  }
});

test.serial('a session batch job stopped by a shutdown starts again with a new batch after a restart', async (t) => {
  const dataDir = await tempDir();
  const first = await serve({ dataDir, renderer: slowRenderer(await sharedRenderer(), 25), persistIntervalMs: 50 });
  const session = (await call(first, '/v1/sessions', { body: { spec: { name: 'again', seed: 2, resolution: [32, 32], classes: ['cube', 'torus'] }, strategy: 'uniform' } })).json;
  const id = (await call(first, `/v1/sessions/${session.id}/batches?as=job`, { body: { n: 30 } })).json.id;
  await until(async () => (await jobOf(first, id)).progress.done >= 5, 60_000, '5 samples done');
  await first.shutdown();
  t.is(JSON.parse(await readFile(join(dataDir, 'jobs', id, 'job.json'), 'utf8')).state, 'queued');

  const second = await serve({ dataDir });
  try {
    const job = await finished(second, id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.is(job.restarts, 1);
    const files = (await call(second, `/v1/datasets/${id}/files`)).json.files.map((f: { path: string }) => f.path);
    t.deepEqual(files, ['batch-000001.tar'], 'a new batch: the first one was served before the shutdown');
    const view = (await call(second, `/v1/sessions/${session.id}`)).json;
    t.deepEqual(view.counts, { batches: 2, served: 60, drawn: 60 });
  } finally {
    await second.shutdown();
  }
});
