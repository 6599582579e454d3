import test from 'ava';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { call, disposeRenderer, isError, serve, sharedRenderer, slowRenderer, tempDir, until } from './helpers.js';
import type { RunningServer } from '../../src/server/main.js';
import { EvaluationSchema } from '../../src/server/evaluations.js';

test.after.always(disposeRenderer);

const SPEC = { name: 'eval-http', seed: 4, mode: 'grid', resolution: [32, 32], classes: ['cube', 'torus', 'car'], factors: { yaw: { values: [0, 60, 120, 180] }, 'camera.distance': { const: 2.3 } } };
const BODY = { spec: SPEC, classifier: 'synth-classifier-32', batch: 4 };

async function finished(server: RunningServer | string, id: string) {
  await until(async () => ['done', 'failed', 'cancelled'].includes((await call(server, `/v1/evaluations/${id}`)).json.status), 120_000, `evaluation ${id}`);
  return (await call(server, `/v1/evaluations/${id}`)).json;
}

let reference: string | null = null;

test.serial('POST /v1/evaluations runs a job whose report, tables and plots download', async (t) => {
  const server = await serve();
  try {
    const posted = await call(server, '/v1/evaluations', { body: BODY });
    t.is(posted.status, 202, posted.bytes.toString());
    t.is(posted.headers.get('location'), `/v1/evaluations/${posted.json.id}`);
    t.is(posted.json.progress.total, 12);
    const job = await finished(server, posted.json.id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.is(job.progress.done, 12);
    const files = (await call(server, `/v1/evaluations/${job.id}/files`)).json.files.map((f: { path: string }) => f.path);
    for (const f of ['report.json', 'report.md', 'predictions.jsonl', 'tables/per-factor.csv', 'plots/accuracy-yaw.png']) t.true(files.includes(f), f);
    const report = await call(server, job.links.report);
    t.is(report.status, 200);
    t.is(report.json.count, 12);
    t.is(job.summary.accuracy, report.json.overall.accuracy, 'the job shows the report\'s accuracy');
    reference = report.bytes.toString('utf8');
    const plot = await call(server, `/v1/evaluations/${job.id}/files/plots/accuracy-yaw.png`);
    t.is(plot.headers.get('content-type'), 'image/png');
    t.true((await call(server, '/v1/evaluations')).json.evaluations.some((e: { id: string }) => e.id === job.id));
    isError(t, await call(server, `/v1/evaluations/${job.id}/files/../job.json`), 404);
    t.true(EvaluationSchema.safeParse(job).success, 'the answer fits its documented schema');
    const doc = (await call(server, '/v1/openapi.json')).json;
    for (const p of ['/v1/evaluations', '/v1/evaluations/{id}', '/v1/evaluations/{id}/files', '/v1/evaluations/{id}/files/{path}']) t.truthy(doc.paths[p], `${p} documented`);
    t.truthy(doc.components.schemas.EvaluationRequest?.properties?.map, 'the body documented');
  } finally {
    await server.shutdown();
  }
});

test.serial('an uploaded classifier by id, a many-to-one mapping and a worst-case search', async (t) => {
  const judge = join(process.cwd(), 'models/synth-classifier-32');
  const server = await serve();
  try {
    const manifest = JSON.parse(await readFile(join(judge, 'model.json'), 'utf8'));
    const up = await call(server, '/v1/classifiers', { body: { name: 'uploaded judge', manifest, model: (await readFile(join(judge, 'model.onnx'))).toString('base64') } });
    t.is(up.status, 201, up.bytes.toString());
    const body = { classifier: up.json.id, map: { car: ['car', 'bus'] }, search: 6, spec: { ...SPEC, mode: 'random', count: 6, factors: { yaw: { uniform: [0, 360] } } } };
    const posted = await call(server, '/v1/evaluations', { body });
    t.is(posted.status, 202, posted.bytes.toString());
    t.is(posted.json.progress.total, 12, 'samples and search renders');
    const job = await finished(server, posted.json.id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    const report = (await call(server, job.links.report)).json;
    t.deepEqual(report.mapping.car, ['car', 'bus']);
    t.is(report.search.renders, 6);
    t.deepEqual(report.search.worst.map((w: { class: string }) => w.class), ['cube', 'torus', 'car']);
    const image = await call(server, `/v1/evaluations/${job.id}/files/${report.search.worst[0].image}`);
    t.is(image.headers.get('content-type'), 'image/png');
    isError(t, await call(server, '/v1/evaluations', { body: { ...body, search: 5 } }), 400, 'invalid_request');
  } finally {
    await server.shutdown();
  }
});

test.serial('bad input is refused with 400 naming the field, and no job is made', async (t) => {
  const modelsDir = await tempDir();
  await mkdir(join(modelsDir, 'synth-classifier-32'));
  await mkdir(join(modelsDir, 'mismatched'));
  const judge = join(process.cwd(), 'models/synth-classifier-32');
  for (const dir of ['synth-classifier-32', 'mismatched']) await copyFile(join(judge, 'model.onnx'), join(modelsDir, dir, 'model.onnx'));
  const manifest = JSON.parse(await readFile(join(judge, 'model.json'), 'utf8'));
  await writeFile(join(modelsDir, 'synth-classifier-32', 'model.json'), JSON.stringify(manifest));
  await writeFile(join(modelsDir, 'mismatched', 'model.json'), JSON.stringify({ ...manifest, name: 'mismatched', input: { ...manifest.input, name: 'pixels' } }));
  const server = await serve({ modelsDir });
  try {
    const refused = async (body: unknown, path: RegExp) => {
      const a = await call(server, '/v1/evaluations', { body });
      isError(t, a, 400, 'invalid_request');
      t.regex(a.json.error.message, path);
    };
    await refused({ ...BODY, classifier: 'mismatched' }, /^classifier: .*input names: expected \[pixels\] \(from model\.json\)/);
    await refused({ ...BODY, map: { dog: 'car' } }, /^map\.dog: expected a class of the spec/);
    await refused({ ...BODY, map: { cube: 10 } }, /^map\.cube: expected a model output index in \[0, 9\], got 10/);
    await refused({ ...BODY, spec: { ...SPEC, classes: ['cube', 'cone'] } }, /^map: expected a model class for every spec class; cone/);
    await refused({ ...BODY, spec: { ...SPEC, mode: 'random', count: 0 } }, /^spec\.count: /);
    await refused({ ...BODY, classifier: 'no-such-model' }, /^classifier: /);
    await refused({ classifier: 'synth-classifier-32' }, /^spec: expected a factor spec, or `dataset`/);
    await refused({ ...BODY, batch: 0 }, /^batch: /);
    t.deepEqual((await call(server, '/v1/evaluations')).json.evaluations, [], 'no job made');
  } finally {
    await server.shutdown();
  }
});

test.serial('DELETE cancels a running evaluation; it writes nothing', async (t) => {
  const server = await serve({ renderer: slowRenderer(await sharedRenderer(), 40), persistIntervalMs: 50 });
  try {
    const id = (await call(server, '/v1/evaluations', { body: { ...BODY, spec: { ...SPEC, mode: 'random', count: 200 } } })).json.id;
    await until(async () => (await call(server, `/v1/evaluations/${id}`)).json.progress.done >= 4, 60_000, 'a batch done');
    const cancelled = await call(server, `/v1/evaluations/${id}`, { method: 'DELETE' });
    t.is(cancelled.status, 200);
    t.is(cancelled.json.status, 'cancelled');
    t.deepEqual((await call(server, `/v1/evaluations/${id}/files`)).json.files, [], 'no files');
    isError(t, await call(server, `/v1/evaluations/${id}`, { method: 'DELETE' }), 409, 'conflict');
  } finally {
    await server.shutdown();
  }
});

test.serial('an evaluation stopped by a shutdown runs again after a restart and ends with the report of an uninterrupted run', async (t) => {
  t.truthy(reference, 'the first test ran');
  const dataDir = await tempDir();
  const first = await serve({ dataDir, renderer: slowRenderer(await sharedRenderer(), 60), persistIntervalMs: 50 });
  const id = (await call(first, '/v1/evaluations', { body: BODY })).json.id;
  await until(async () => (await call(first, `/v1/evaluations/${id}`)).json.progress.done >= 4, 60_000, 'a batch done');
  await first.shutdown();
  const onDisk = JSON.parse(await readFile(join(dataDir, 'evaluations', id, 'evaluation.json'), 'utf8'));
  t.is(onDisk.state, 'queued', 'an interrupted evaluation is queued on disk');
  t.false(existsSync(join(dataDir, 'evaluations', id, 'out', 'report.json')), 'no report yet');

  const second = await serve({ dataDir });
  try {
    const job = await finished(second, id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.is(job.restarts, 1);
    t.is((await call(second, `/v1/evaluations/${id}/files/report.json`)).bytes.toString('utf8'), reference!, 'the same report.json, byte for byte');
  } finally {
    await second.shutdown();
  }
});

test.serial('a finished dataset job evaluates like its spec', async (t) => {
  const server = await serve();
  try {
    const dataset = (await call(server, '/v1/datasets', { body: { spec: SPEC, formats: ['imagefolder'] } })).json.id;
    await until(async () => (await call(server, `/v1/datasets/${dataset}`)).json.status === 'done', 120_000, 'the dataset job');
    const posted = await call(server, '/v1/evaluations', { body: { classifier: 'synth-classifier-32', dataset } });
    t.is(posted.status, 202, posted.bytes.toString());
    const job = await finished(server, posted.json.id);
    t.is(job.status, 'done', JSON.stringify(job.error));
    const report = (await call(server, job.links.report)).json;
    t.deepEqual({ ...report, source: null }, { ...JSON.parse(reference!), source: null }, 'the same predictions from the exported images');
    isError(t, await call(server, '/v1/evaluations', { body: { classifier: 'synth-classifier-32', dataset: '0f8fad5b-d9cb-469f-a165-70867728950e' } }), 400, 'invalid_request');
  } finally {
    await server.shutdown();
  }
});
