import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { GenerateResponseSchema, JobSchema, CatalogSchema } from '../../src/server/schemas.js';
import { call, disposeRenderer, isError, serve, tempDir, until, type Answer } from './helpers.js';
import type { RunningServer } from '../../src/server/main.js';

test.after.always(disposeRenderer);

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A fast request: 4 DDIM steps of the committed generator. */
const SMALL = { classes: ['cube', 'car'], count: 2, steps: 4, scheduler: 'ddim', seed: 5 };

let server: RunningServer;
test.before(async () => {
  server = await serve({ limits: { maxSyncGenerate: 4 } });
});
test.after.always(async () => {
  await server?.shutdown();
});

async function jobOf(s: RunningServer | string, id: string) {
  return (await call(s, `/v1/datasets/${id}`)).json;
}

async function finished(s: RunningServer | string, id: string) {
  await until(async () => ['done', 'failed', 'cancelled'].includes((await jobOf(s, id)).status), 120_000, `job ${id}`);
  return jobOf(s, id);
}

/** The first issue of a 400 answer. */
const issue = (a: Answer) => a.json?.error?.details?.issues?.[0] ?? {};

test('a small POST /v1/generate answers JSON at once with every image and its record', async (t) => {
  const a = await call(server, '/v1/generate', { body: SMALL });
  t.is(a.status, 200, a.bytes.toString().slice(0, 300));
  const parsed = GenerateResponseSchema.safeParse(a.json);
  t.true(parsed.success, JSON.stringify(parsed.error?.issues ?? []));
  t.is(a.json.model, 'synth-unet-32');
  t.like(a.json.settings, { scheduler: 'ddim', steps: 4, seed: 5, perClass: 2 });
  t.deepEqual(a.json.images.map((i: { class: string }) => i.class), ['cube', 'cube', 'car', 'car'], 'classes in order, count each');
  t.deepEqual(a.json.images.map((i: { noiseIndex: number }) => i.noiseIndex), [0, 1, 0, 1]);
  for (const image of a.json.images) {
    const png = Buffer.from(image.png, 'base64');
    t.is(sha(png), image.sha256, 'sha256 of the PNG bytes');
    const meta = await sharp(png).metadata();
    t.deepEqual([meta.width, meta.height, meta.format], [32, 32, 'png'], 'the model\'s resolution');
    t.is(image.guidance, null);
    t.is(image.criterion, null);
  }
  const again = await call(server, '/v1/generate', { body: SMALL });
  const hashes = (x: Answer) => x.json.images.map((i: { sha256: string }) => i.sha256);
  t.deepEqual(hashes(again), hashes(a), 'same request, same bytes');
  const concurrent = await Promise.all([call(server, '/v1/generate', { body: SMALL }), call(server, '/v1/generate', { body: SMALL }), call(server, '/v1/generate', { body: { ...SMALL, seed: 6 } })]);
  t.deepEqual(hashes(concurrent[0]), hashes(a), 'concurrent runs interleave on the shared session without touching each other\'s buffers');
  t.deepEqual(hashes(concurrent[1]), hashes(a));
  t.notDeepEqual(hashes(concurrent[2]), hashes(a), 'another seed, other images');

  const png = await call(server, '/v1/generate', { body: SMALL, headers: { accept: 'image/png' } });
  t.is(png.status, 200);
  t.is(png.headers.get('content-type'), 'image/png');
  t.is(sha(png.bytes), a.json.images[0].sha256, 'image/png answers the first image');
  const header = JSON.parse(png.headers.get('x-synth-sample') ?? '{}');
  t.like(header, { class: 'cube', label: 0, seed: 5, noiseIndex: 0, sampler: { steps: 4 } });
  t.is(png.headers.get('x-synth-class'), 'cube');
});

test('POST /v1/generate refuses bad requests with 400 naming the body path', async (t) => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ ...SMALL, classes: ['cube', 'zebra'] }, 'classes', /classes: expected a known class of this model \(one of: cube, sphere, torus, car, bus, chair, mug, tree, house, giraffe\), got "zebra"/],
    [{ ...SMALL, steps: 5000 }, 'steps', /steps: expected an integer in \[1, 1000\] \(the model's training timesteps\), got 5000/],
    [{ ...SMALL, steps: 0 }, 'steps', /steps: .*got 0/],
    [{ ...SMALL, scheduler: 'dpmpp2m', eta: 0.5 }, 'eta', /eta: expected 0 with scheduler dpmpp2m/],
    [{ ...SMALL, model: 'no-such-model' }, 'model', /model: expected a known generator .*synth-unet-32.*got "no-such-model"/],
    [{ ...SMALL, model: 'synth-classifier-32' }, 'model', /model: expected a known generator/],
    [{ ...SMALL, model: '../models/synth-unet-32' }, 'model', /file paths are not accepted over HTTP/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'sideways' } }, 'guidance.mode', /guidance\.mode: .*gradient.*svdd.*particles/],
    [{ ...SMALL, guidance: { criterion: 'fear' } }, 'guidance.criterion', /guidance\.criterion: .*entropy/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'svdd', classifier: 'synth-classifier-32' } }, 'scheduler', /scheduler: expected ddpm, or ddim with eta > 0 \(svdd guidance draws among stochastic steps\), got "ddim with eta 0"/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'svdd', classifier: '/etc/passwd' }, eta: 1 }, 'guidance.classifier', /guidance\.classifier: .*file paths are not accepted over HTTP, got "\/etc\/passwd"/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'svdd', classifier: '../../models/synth-classifier-32' }, eta: 1 }, 'guidance.classifier', /file paths are not accepted/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'svdd', classifier: 'synth-unet-32' }, eta: 1 }, 'guidance.classifier', /guidance\.classifier: expected a known classifier/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'gradient', classifier: 'synth-classifier-32' } }, 'guidance.mode', /guidance\.mode: expected svdd or particles: classifier synth-classifier-32 has no input-gradient output for entropy/],
    [{ ...SMALL, guidance: { criterion: 'entropy', mode: 'svdd', steps: [0, 9] }, eta: 1 }, 'guidance.steps', /guidance\.steps: expected step indices in \[0, 3\], got 9/],
    [{ ...SMALL, count: 100_000 }, 'count', /count: expected at most 100000 images in all/],
    [{ ...SMALL, resolution: [64, 64] }, '', /unknown keys \["resolution"\]/],
  ];
  for (const [body, path, message] of cases) {
    const a = await call(server, '/v1/generate', { body });
    isError(t, a, 400);
    t.is(issue(a).path, path, JSON.stringify(body));
    t.regex(a.json.error.message, message, JSON.stringify(body));
    t.false(a.json.error.message.includes(process.cwd()), 'no server paths in messages');
  }
  isError(t, await call(server, '/v1/generate', { body: SMALL, headers: { accept: 'text/html' } }), 406);
  isError(t, await call(server, '/v1/generate'), 405);
});

test('the catalog lists the generators and classifiers under models/, and OpenAPI documents the routes', async (t) => {
  const a = await call(server, '/v1/catalog');
  t.true(CatalogSchema.safeParse(a.json).success);
  const unet = a.json.models.find((m: { ref: string }) => m.ref === 'synth-unet-32');
  t.like(unet, { kind: 'denoiser', source: 'models', image: { width: 32, height: 32, channels: 3 }, trainingTimesteps: 1000, gradients: [] });
  t.is(unet.classes.length, 10);
  const judge = a.json.models.find((m: { ref: string }) => m.ref === 'synth-classifier-32');
  t.like(judge, { kind: 'classifier', source: 'models', gradients: [] }, 'a forward-only classifier');
  t.is(a.json.limits.maxSyncGenerate, 4);
  const doc = (await call(server, '/v1/openapi.json')).json;
  for (const p of ['/v1/generate', '/v1/classifiers', '/v1/classifiers/{id}']) t.truthy(doc.paths[p], `${p} documented`);
  t.deepEqual(doc.components.schemas.GuidanceRequest.properties.mode.enum, ['gradient', 'svdd', 'particles'], 'the body schema is the one that validates');
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
  for (const r of new Set(refs)) t.truthy(doc.components.schemas[r.split('/').pop()!], `${r} resolves`);
});

test('a larger request becomes a generate job whose files download like a dataset\'s, with the bytes of the synchronous answer', async (t) => {
  const body = { ...SMALL, classes: ['cube', 'torus'], count: 3, batch: 1, name: 'gen-job' };
  const submit = await call(server, '/v1/generate', { body });
  t.is(submit.status, 202, submit.bytes.toString().slice(0, 300));
  t.true(JobSchema.safeParse(submit.json).success, JSON.stringify(submit.json));
  const id = submit.json.id;
  t.is(submit.headers.get('location'), `/v1/datasets/${id}`);
  t.like(submit.json, { kind: 'generate', name: 'gen-job', formats: ['imagefolder'], shardSize: null, progress: { total: 6 } });
  const job = await finished(server, id);
  t.is(job.status, 'done', JSON.stringify(job.error));
  t.deepEqual([job.progress.done, job.progress.total], [6, 6]);
  t.true((await call(server, '/v1/datasets')).json.datasets.some((d: { id: string; kind: string }) => d.id === id && d.kind === 'generate'), 'listed with the dataset jobs');

  const files = (await call(server, `/v1/datasets/${id}/files`)).json.files.map((f: { path: string }) => f.path);
  t.true(files.includes('manifest.json') && files.includes('metadata.jsonl'), files.join(' '));
  t.is(files.filter((f: string) => f.startsWith('images/')).length, 6);
  const manifest = (await call(server, `/v1/datasets/${id}/files/manifest.json`)).json;
  t.like(manifest, { format: 'synth.generated/1', count: 6, counts: { cube: 3, torus: 3 } });
  const records = (await call(server, `/v1/datasets/${id}/files/metadata.jsonl`)).bytes.toString().trim().split('\n').map((l) => JSON.parse(l));
  t.is(records.length, 6);
  const sync = await call(server, '/v1/generate', { body: { ...body, classes: ['torus'], count: 3 } });
  t.is(sync.status, 200);
  for (const [k, r] of records.slice(3).entries()) {
    const image = await call(server, `/v1/datasets/${id}/files/${r.file}`);
    t.is(image.status, 200);
    t.is(sha(image.bytes), r.sha256, `${r.file} matches metadata.jsonl`);
    t.is(r.sha256, sync.json.images[k].sha256, `torus ${k}: the job and the synchronous answer give the same image`);
  }
});

test('a generate job is cancelled by DELETE, and a full queue answers 429', async (t) => {
  const s = await serve({ limits: { maxSyncGenerate: 1, maxQueuedJobs: 0 } });
  try {
    const big = { classes: ['cube', 'car'], count: 16, steps: 200, scheduler: 'ddim', batch: 4 };
    const first = await call(s, '/v1/generate', { body: big });
    t.is(first.status, 202);
    await until(async () => (await jobOf(s, first.json.id)).status === 'running', 30_000, 'running');
    const second = await call(s, '/v1/generate', { body: big });
    isError(t, second, 429, 'queue_full');
    t.truthy(second.headers.get('retry-after'));
    const cancelled = await call(s, `/v1/datasets/${first.json.id}`, { method: 'DELETE' });
    t.is(cancelled.status, 200);
    t.is(cancelled.json.status, 'cancelled');
    t.true(cancelled.json.progress.done < 32, 'stopped before the end');
  } finally {
    await s.shutdown();
  }
});

test.serial('a generate job stopped by a shutdown runs again from scratch after a restart, with the files of an uninterrupted run', async (t) => {
  const body = { classes: ['cube', 'sphere'], count: 8, steps: 20, scheduler: 'ddim', seed: 9, batch: 2 };
  const reference = await call(server, '/v1/generate', { body });
  t.is(reference.status, 202);
  const ref = await finished(server, reference.json.id);
  t.is(ref.status, 'done');
  const expected = (await call(server, `/v1/datasets/${ref.id}/files/metadata.jsonl`)).bytes.toString();

  const dataDir = await tempDir();
  const first = await serve({ dataDir, persistIntervalMs: 20, limits: { maxSyncGenerate: 4 } });
  const id = (await call(first, '/v1/generate', { body })).json.id;
  await until(async () => (await jobOf(first, id)).progress.done >= 2, 60_000, '2 images done');
  await first.shutdown();
  const onDisk = JSON.parse(await readFile(join(dataDir, 'jobs', id, 'job.json'), 'utf8'));
  t.is(onDisk.state, 'queued', 'an interrupted job is queued on disk');
  t.is(onDisk.kind, 'generate');
  t.false(existsSync(join(dataDir, 'jobs', id, 'out', 'manifest.json')), `stopped mid-job (at ${onDisk.progress.done}/16)`);

  const second = await serve({ dataDir, limits: { maxSyncGenerate: 4 } });
  try {
    const job = await finished(second, id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.is(job.restarts, 1);
    t.deepEqual([job.progress.done, job.progress.total], [16, 16]);
    t.is((await call(second, `/v1/datasets/${id}/files/metadata.jsonl`)).bytes.toString(), expected, 'same records, same image hashes');
  } finally {
    await second.shutdown();
  }
});

test('models that fail to load answer 400 naming the problem, and the server keeps serving', async (t) => {
  const s = await serve({ modelsDir: join(process.cwd(), 'test', 'diffusion', 'fixtures') });
  try {
    const cases: [string, RegExp][] = [
      ['malformed', /expected an ONNX model onnxruntime can load/],
      ['wrong-names', /input names: expected \[x, t, class\]/],
    ];
    for (const [model, message] of cases) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const a = await call(s, '/v1/generate', { body: { model, classes: ['a'], count: 1, steps: 2 } });
        isError(t, a, 400);
        t.regex(a.json.error.message, message, model);
        t.false(a.json.error.message.includes(process.cwd()), `no server paths: ${a.json.error.message}`);
      }
    }
    t.is(s.models.cached, 0, 'failed loads are not cached');
    const ok = await call(s, '/v1/generate', { body: { model: 'tiny', classes: ['c', 'a'], count: 1, steps: 2, scheduler: 'ddim' } });
    t.is(ok.status, 200, ok.bytes.toString().slice(0, 300));
    t.deepEqual(ok.json.images.map((i: { class: string }) => i.class), ['c', 'a']);
    t.is((await call(s, '/v1/health')).status, 200);
  } finally {
    await s.shutdown();
  }
});
