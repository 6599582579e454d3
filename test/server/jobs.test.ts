import test from 'ava';
import { createHash } from 'node:crypto';
import { readFile, writeFile, symlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { JobSchema, JobListSchema } from '../../src/server/schemas.js';
import { call, disposeRenderer, isError, serve, sharedRenderer, slowRenderer, tarGroups, TINY, until } from './helpers.js';
import type { RunningServer } from '../../src/server/main.js';

test.after.always(disposeRenderer);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function waitFinished(server: RunningServer, id: string) {
  let last: any;
  await until(async () => {
    last = (await call(server, `/v1/datasets/${id}`)).json;
    return ['done', 'failed', 'cancelled'].includes(last.status);
  }, 120_000, `job ${id}`);
  return last;
}

test('a dataset job runs to completion and its files download with matching hashes', async (t) => {
  const server = await serve();
  try {
    const submit = await call(server, '/v1/datasets', { body: { spec: { ...TINY, count: 7 }, formats: ['imagefolder', 'coco', 'webdataset'], shardSize: 3 } });
    t.is(submit.status, 202, submit.bytes.toString());
    t.true(JobSchema.safeParse(submit.json).success);
    const id = submit.json.id;
    t.regex(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.is(submit.headers.get('location'), `/v1/datasets/${id}`);
    t.true(['queued', 'running'].includes(submit.json.status));
    t.is(submit.json.links.manifest, `/v1/datasets/${id}/files/manifest.json`);

    const job = await waitFinished(server, id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.deepEqual([job.progress.done, job.progress.total], [7, 7]);
    t.is(job.finishedAt !== null, true);

    const manifest = await call(server, `/v1/datasets/${id}/files/manifest.json`);
    t.is(manifest.status, 200);
    t.is(manifest.json.count, 7);
    t.deepEqual(manifest.json.formats, ['imagefolder', 'coco', 'webdataset']);
    const metadata = await call(server, `/v1/datasets/${id}/files/metadata.jsonl`);
    t.is(metadata.status, 200);
    const records = metadata.bytes.toString().trim().split('\n').map((l) => JSON.parse(l));
    t.is(records.length, 7);
    for (const r of records.slice(0, 3)) {
      const image = await call(server, `/v1/datasets/${id}/files/${r.file}`);
      t.is(image.status, 200, r.file);
      t.is(image.headers.get('content-type'), 'image/png');
      t.is(sha(image.bytes), r.sha256, `${r.file} matches the sha256 in metadata.jsonl`);
      t.is((await sharp(image.bytes).metadata()).width, 32);
    }
    const coco = await call(server, `/v1/datasets/${id}/files/coco.json`);
    t.is(coco.status, 200);
    t.is(coco.json.images.length, 7);

    const listing = await call(server, `/v1/datasets/${id}/files`);
    const paths = listing.json.files.map((f: { path: string }) => f.path);
    t.true(paths.includes('manifest.json') && paths.includes('shards/shard-000002.tar'), paths.join(' '));
    t.false(paths.some((p: string) => p.startsWith('.')), 'no journal or temp files listed');

    const shard = await call(server, `/v1/datasets/${id}/shards/2`);
    t.is(shard.status, 200);
    t.is(shard.headers.get('content-type'), 'application/x-tar');
    t.deepEqual([...tarGroups(shard.bytes).keys()], ['00000006'], 'shard 2 of size 3 holds sample 6');
    t.is(sha(shard.bytes), manifest.json.files['shards/shard-000002.tar'].sha256);
    const range = await fetch(`${server.url}/v1/datasets/${id}/shards/0`, { headers: { range: 'bytes=0-511' } });
    t.is(range.status, 206, 'byte ranges for resumable downloads');
    t.is((await range.arrayBuffer()).byteLength, 512);
    isError(t, await call(server, `/v1/datasets/${id}/shards/3`), 404, 'not_found');
    isError(t, await call(server, `/v1/datasets/${id}/shards/x1`), 400);

    const list = await call(server, '/v1/datasets');
    t.true(JobListSchema.safeParse(list.json).success);
    t.deepEqual(list.json.datasets.map((d: { id: string }) => d.id), [id]);
    const again = await call(server, `/v1/datasets/${id}`, { method: 'DELETE' });
    isError(t, again, 409, 'conflict');
    t.regex(again.json.error.message, /already done/);
  } finally {
    await server.shutdown();
  }
});

test('imagefolder-only jobs have no shards; unknown files 404', async (t) => {
  const server = await serve();
  try {
    const submit = await call(server, '/v1/datasets', { body: { ...TINY, count: 2 } });
    t.is(submit.status, 202);
    t.deepEqual(submit.json.formats, ['imagefolder'], 'a bare spec gets the default writer');
    const id = submit.json.id;
    await waitFinished(server, id);
    const shard = await call(server, `/v1/datasets/${id}/shards/0`);
    isError(t, shard, 404);
    t.regex(shard.json.error.message, /writes no WebDataset shards/);
    isError(t, await call(server, `/v1/datasets/${id}/files/nope.json`), 404);
  } finally {
    await server.shutdown();
  }
});

test('no path traversal through file names or ids', async (t) => {
  const server = await serve();
  try {
    const id = (await call(server, '/v1/datasets', { body: { ...TINY, count: 1 } })).json.id;
    await waitFinished(server, id);
    // A file beside the job folder that no URL may reach, and a symlink pointing out of the dataset.
    await writeFile(join(server.dataDir, 'secret.txt'), 'secret');
    await mkdir(join(server.jobs.outDir(id), 'images'), { recursive: true });
    await symlink(join(server.dataDir, 'secret.txt'), join(server.jobs.outDir(id), 'images', 'link.png'));
    const attempts = [
      `/v1/datasets/${id}/files/..%2F..%2Fjob.json`, `/v1/datasets/${id}/files/%2e%2e/job.json`, `/v1/datasets/${id}/files/images/%2e%2e/%2e%2e/job.json`,
      `/v1/datasets/${id}/files/%2Fetc%2Fpasswd`, `/v1/datasets/${id}/files/manifest.json%00.png`, `/v1/datasets/${id}/files/..%5C..%5Cjob.json`,
      `/v1/datasets/${id}/files/.synth-progress/spec.json`, `/v1/datasets/${id}/files/images/link.png`,
      `/v1/datasets/..%2F..%2Fsecret.txt/files/x`, `/v1/datasets/%2e%2e/files/secret.txt`, `/v1/datasets/${id.toUpperCase()}`,
    ];
    for (const path of attempts) {
      const a = await call(server, path);
      t.true(a.status === 400 || a.status === 404, `${path} -> ${a.status}`);
      t.false(a.bytes.toString().includes('secret') && !a.json, `${path} leaks nothing`);
      t.truthy(a.json?.error, `${path} answers the error shape`);
    }
    t.is((await readFile(join(server.dataDir, 'secret.txt'), 'utf8')), 'secret');
  } finally {
    await server.shutdown();
  }
});

test('a full queue answers 429 with Retry-After; queued and running jobs cancel', async (t) => {
  const slow = slowRenderer(await sharedRenderer(), 40);
  const server = await serve({ renderer: slow, limits: { maxQueuedJobs: 1 } });
  try {
    const body = { ...TINY, count: 500 };
    const first = await call(server, '/v1/datasets', { body });
    t.is(first.status, 202);
    await until(async () => (await call(server, `/v1/datasets/${first.json.id}`)).json.status === 'running', 30_000, 'first job running');
    const second = await call(server, '/v1/datasets', { body });
    t.is(second.status, 202);
    t.is(second.json.status, 'queued');
    const third = await call(server, '/v1/datasets', { body });
    isError(t, third, 429, 'queue_full');
    t.regex(third.headers.get('retry-after') ?? '', /^\d+$/);
    t.true(Number(third.headers.get('retry-after')) >= 1);
    t.regex(third.json.error.message, /cap maxQueuedJobs 1/);
    const health = await call(server, '/v1/health');
    t.deepEqual([health.json.queue.queued, health.json.jobs.running], [1, 1]);

    const cancelQueued = await call(server, `/v1/datasets/${second.json.id}`, { method: 'DELETE' });
    t.is(cancelQueued.status, 200);
    t.is(cancelQueued.json.status, 'cancelled');
    const cancelRunning = await call(server, `/v1/datasets/${first.json.id}`, { method: 'DELETE' });
    t.is(cancelRunning.status, 200);
    t.is(cancelRunning.json.status, 'cancelled');
    t.true(cancelRunning.json.progress.done < 500, 'stopped before the end');
    const callsAfter = slow.calls;
    await new Promise((r) => setTimeout(r, 300));
    t.true(slow.calls <= callsAfter + 1, 'no rendering after a cancel');
    isError(t, await call(server, `/v1/datasets/${first.json.id}`, { method: 'DELETE' }), 409, 'conflict');
    const onDisk = JSON.parse(await readFile(join(server.dataDir, 'jobs', first.json.id, 'job.json'), 'utf8'));
    t.is(onDisk.state, 'cancelled', 'state is on disk');
    t.is((await call(server, '/v1/datasets', { body })).status, 202, 'room in the queue again');
  } finally {
    await server.shutdown();
  }
});

test('a job whose spec no longer validates after a restart fails with a reason', async (t) => {
  const server = await serve();
  const dataDir = server.dataDir;
  const id = (await call(server, '/v1/datasets', { body: { ...TINY, count: 2 } })).json.id;
  await waitFinished(server, id);
  await server.shutdown();
  // Forge a queued job with a spec naming an unknown class (as if the asset folder changed).
  const path = join(dataDir, 'jobs', id, 'job.json');
  const job = JSON.parse(await readFile(path, 'utf8'));
  const forged = { ...job, id: '0f8fad5b-d9cb-469f-a165-70867728950e', state: 'queued', spec: { ...TINY, classes: ['dragon'] } };
  await mkdir(join(dataDir, 'jobs', forged.id), { recursive: true });
  await writeFile(join(dataDir, 'jobs', forged.id, 'job.json'), JSON.stringify(forged));
  await writeFile(join(dataDir, 'jobs', 'not-a-job'), 'ignored');
  const logged: string[] = [];
  const again = await serve({ dataDir, logger: { request() {}, info() {}, error: (line) => logged.push(line) } });
  try {
    const failed = await waitFinished(again, forged.id);
    t.is(failed.status, 'failed');
    t.true(logged.some((l) => l.includes(forged.id) && l.includes('dragon')), 'the failure is logged');
    t.true(logged.some((l) => l.includes('skipping not-a-job')) === false, 'non-job names are ignored quietly');
    t.is(failed.error.code, 'invalid_spec');
    t.regex(failed.error.message, /classes\[0\]: expected a known class/);
    t.is((await call(again, `/v1/datasets/${id}`)).json.status, 'done', 'finished jobs stay listed after a restart');
    t.is((await call(again, `/v1/datasets/${id}/files/manifest.json`)).status, 200, '... and downloadable');
  } finally {
    await again.shutdown();
  }
});
