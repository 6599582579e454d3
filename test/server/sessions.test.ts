import test from 'ava';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import sharp from 'sharp';
import { SessionListSchema, SessionSchema, FeedbackResponseSchema } from '../../src/server/session-schemas.js';
import { loadClassifier } from '../../src/diffusion/load.js';
import { crossEntropy } from '../../src/feedback/strategy.js';
import type { RunningServer } from '../../src/server/main.js';
import { call, disposeRenderer, isError, serve, tarGroups, tempDir, until } from './helpers.js';
import { JobSchema } from '../../src/server/schemas.js';

const CLASSIFIER_DIR = fileURLToPath(new URL('../../models/synth-classifier-32/', import.meta.url));
const SPEC = { name: 'loop', seed: 3, resolution: [32, 32], classes: ['cube', 'torus'], factors: { yaw: { uniform: [0, 360] }, texture: { choice: ['default', 'checker'] } } };
const SAMPLE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-\d{8}$/;

let server: RunningServer;
test.before(async () => {
  server = await serve();
});
test.after.always(async () => {
  await server?.shutdown();
  await disposeRenderer();
});

type Json = Record<string, any>;

async function create(body: Json, on: RunningServer = server): Promise<Json> {
  const a = await call(on, '/v1/sessions', { body });
  if (a.status !== 201) throw new Error(`create: ${a.status} ${a.bytes.toString()}`);
  return a.json;
}

/** POST a batch and read the tar back: the json of each sample, in order. */
async function batch(id: string, body: Json, on: RunningServer = server): Promise<{ status: number; headers: Headers; samples: Json[]; groups: ReturnType<typeof tarGroups> }> {
  const a = await call(on, `/v1/sessions/${id}/batches`, { body });
  if (a.status !== 200) return { status: a.status, headers: a.headers, samples: [a.json], groups: new Map() };
  const groups = tarGroups(a.bytes);
  return { status: a.status, headers: a.headers, groups, samples: [...groups.values()].map((m) => JSON.parse(m.get('json')!.toString())) };
}

test('a session is created, batches stream as WebDataset tars that say why each sample was made, feedback moves the hardness', async (t) => {
  const created = await call(server, '/v1/sessions', { body: { spec: SPEC, strategy: 'hardness', options: { bins: 2 } } });
  t.is(created.status, 201, created.bytes.toString());
  t.true(SessionSchema.safeParse(created.json).success, JSON.stringify(SessionSchema.safeParse(created.json).error?.issues?.slice(0, 3)));
  const s = created.json;
  t.is(created.headers.get('location'), `/v1/sessions/${s.id}`);
  t.deepEqual(s.options.factors, ['yaw', 'texture']);
  t.is(s.hardness.factors[0].bins.length, 2, 'options.bins');
  t.is(s.hardness.signal, null, 'no feedback yet');

  const b0 = await batch(s.id, { n: 6 });
  t.is(b0.status, 200);
  t.is(b0.headers.get('content-type'), 'application/x-tar');
  t.is(b0.headers.get('x-synth-batch'), '0');
  t.is(b0.headers.get('x-synth-count'), '6');
  t.is(b0.samples.length, 6);
  for (const [key, members] of b0.groups) {
    t.regex(key, SAMPLE_ID, 'the WebDataset key is the session sample id');
    t.deepEqual([...members.keys()].sort(), ['cls', 'json', 'png']);
    t.is(members.get('png')!.subarray(1, 4).toString(), 'PNG');
  }
  const first = b0.samples[0];
  t.is(first.id, `${s.id}-00000000`);
  t.is(first.session, s.id);
  t.is(first.batch, 0);
  t.is(first.strategy, 'hardness');
  t.true(['cube', 'torus'].includes(first.class));
  t.is(first.factors.class, first.class);
  t.is(typeof first.factors.yaw, 'number');
  t.deepEqual(Object.keys(first.bins), ['yaw', 'texture']);
  t.is(first.bins.texture, first.factors.texture);
  t.is(typeof first.hardness, 'number', 'the cell hardness it was drawn for');
  t.deepEqual(Object.keys(first.binHardness), ['yaw', 'texture']);

  // Feedback: torus is hard.
  const other = await create({ spec: SPEC });
  const ob = await batch(other.id, { n: 1 });
  const records = [
    ...b0.samples.map((x) => ({ id: x.id, loss: x.class === 'torus' ? 4 : 0.1, correct: x.class !== 'torus' })),
    { id: `${s.id}-00000099`, loss: 1 }, { id: ob.samples[0].id, loss: 1 }, { id: 'not-an-id', correct: true },
  ];
  const fb = await call(server, `/v1/sessions/${s.id}/feedback`, { body: { records } });
  t.is(fb.status, 200, fb.bytes.toString());
  t.true(FeedbackResponseSchema.safeParse(fb.json).success);
  t.is(fb.json.accepted, 6);
  t.is(fb.json.rejected, 3);
  t.is(fb.json.otherSession, 1, 'another session\'s id');
  t.deepEqual(fb.json.unknownIds, [`${s.id}-00000099`, ob.samples[0].id, 'not-an-id']);

  const bad = await call(server, `/v1/sessions/${s.id}/feedback`, { body: { records: [{ id: first.id, loss: 1 }, { id: first.id, loss: 2 }, { id: first.id, loss: 'x' }] } });
  isError(t, bad, 400, 'invalid_request');
  t.is(bad.json.error.message, 'records[2].loss: expected a finite number >= 0, got "x"');
  t.is(bad.json.error.details.issues[0].path, 'records[2].loss');

  const view = (await call(server, `/v1/sessions/${s.id}`)).json;
  t.true(SessionSchema.safeParse(view).success);
  t.deepEqual(view.counts, { batches: 1, served: 6, drawn: 6 });
  t.is(view.feedback.accepted, 6, 'the malformed batch applied nothing');
  t.is(view.feedback.rejected, 3);
  t.is(view.hardness.signal, 'loss');
  const byClass = Object.fromEntries(view.hardness.classes.map((c: Json) => [c.class, c]));
  if (byClass.torus.records > 0 && byClass.cube.records > 0) {
    t.true(byClass.torus.hardness > byClass.cube.hardness, 'torus is harder');
    t.true(byClass.torus.probability > byClass.cube.probability, 'and drawn more often');
    t.true(byClass.torus.errorRate === 1 && byClass.cube.errorRate === 0);
  }
  t.true(view.hardness.temperature > 0);

  const b1 = await batch(s.id, { n: 3, strategy: 'uniform' });
  t.is(b1.headers.get('x-synth-batch'), '1');
  t.deepEqual(b1.samples.map((x) => x.id), [6, 7, 8].map((n) => `${s.id}-0000000${n}`), 'ids go on');
  t.true(b1.samples.every((x) => x.strategy === 'uniform' && x.hardness === undefined));

  const list = await call(server, '/v1/sessions');
  t.true(SessionListSchema.safeParse(list.json).success);
  t.true(list.json.sessions.some((x: Json) => x.id === s.id && x.counts.served === 9));
});

test('?as=job: the next batch as a job under /v1/datasets, its tar downloadable, its ids open to feedback', async (t) => {
  const s = await create({ spec: SPEC, strategy: 'hardness' });
  const queued = await call(server, `/v1/sessions/${s.id}/batches?as=job`, { body: { n: 5 } });
  t.is(queued.status, 202, queued.bytes.toString());
  t.true(JobSchema.safeParse(queued.json).success, JSON.stringify(JobSchema.safeParse(queued.json).error?.issues?.slice(0, 3)));
  t.like(queued.json, { kind: 'batch', session: s.id, name: 'loop-batch', formats: [], links: { manifest: null, shards: null } });
  t.is(queued.headers.get('location'), `/v1/datasets/${queued.json.id}`);
  let job: Json = queued.json;
  await until(async () => {
    job = (await call(server, `/v1/datasets/${queued.json.id}`)).json;
    return job.status === 'done' || job.status === 'failed';
  }, 60_000, 'the batch job');
  t.is(job.status, 'done', JSON.stringify(job.error));
  t.like(job.progress, { done: 5, total: 5 });
  const files = (await call(server, `/v1/datasets/${job.id}/files`)).json.files;
  t.deepEqual(files.map((f: Json) => f.path), ['batch-000000.tar']);
  const tar = await call(server, `/v1/datasets/${job.id}/files/batch-000000.tar`);
  t.is(tar.status, 200);
  const samples = [...tarGroups(tar.bytes).values()].map((m) => JSON.parse(m.get('json')!.toString()));
  t.deepEqual(samples.map((x) => x.id), [0, 1, 2, 3, 4].map((n) => `${s.id}-0000000${n}`));
  t.true(samples.every((x) => x.batch === 0 && x.strategy === 'hardness'));
  const fb = await call(server, `/v1/sessions/${s.id}/feedback`, { body: { records: samples.map((x) => ({ id: x.id, loss: 1 })) } });
  t.is(fb.json.accepted, 5);
  const next = await batch(s.id, { n: 1 });
  t.is(next.headers.get('x-synth-batch'), '1', 'the stream after the job draws the next batch');

  const pruned = await call(server, `/v1/sessions/${s.id}/batches?as=job`, { body: { n: 2, strategy: 'pruned' } });
  isError(t, pruned, 409, 'conflict');
  const badAs = await call(server, `/v1/sessions/${s.id}/batches?as=stream`, { body: { n: 2 } });
  isError(t, badAs, 400);
  t.regex(badAs.json.error.message, /^as: expected "job"/);
});

test('bad bodies, strategies and ids answer 400 naming the field; unknown sessions 404', async (t) => {
  const bogus = await call(server, '/v1/sessions', { body: { spec: SPEC, strategy: 'fancy' } });
  isError(t, bogus, 400);
  t.regex(bogus.json.error.message, /^strategy: /);
  const badSpec = await call(server, '/v1/sessions', { body: { spec: { ...SPEC, classes: ['nope'] } } });
  isError(t, badSpec, 400);
  t.regex(badSpec.json.error.message, /^spec\.classes\[0\]: expected a known class/);
  const badOpt = await call(server, '/v1/sessions', { body: { spec: SPEC, options: { factors: ['pitch'] } } });
  isError(t, badOpt, 400);
  t.regex(badOpt.json.error.message, /^options\.factors\[0\]: expected a factor the spec varies/);
  const extra = await call(server, '/v1/sessions', { body: { spec: SPEC, option: {} } });
  isError(t, extra, 400);
  isError(t, await call(server, '/v1/sessions', { body: SPEC }), 400);

  const s = await create({ spec: SPEC });
  const guidedBatch = await call(server, `/v1/sessions/${s.id}/batches`, { body: { n: 2, strategy: 'guided' } });
  isError(t, guidedBatch, 409, 'conflict');
  t.regex(guidedBatch.json.error.message, /strategy guided needs the session's classifier/);
  const zero = await call(server, `/v1/sessions/${s.id}/batches`, { body: { n: 0 } });
  isError(t, zero, 400);
  t.regex(zero.json.error.message, /^n: /);
  const big = await call(server, `/v1/sessions/${s.id}/batches`, { body: { n: 2_000_000 } });
  isError(t, big, 400, 'limit_exceeded');
  isError(t, await call(server, `/v1/sessions/${s.id}/batches`, { body: { n: 2 }, headers: { accept: 'application/json' } }), 406);
  isError(t, await call(server, '/v1/sessions/nope'), 400);
  isError(t, await call(server, `/v1/sessions/${randomUUID()}`), 404, 'not_found');
  isError(t, await call(server, `/v1/sessions/${randomUUID()}/feedback`, { body: { records: [] } }), 404);
  isError(t, await call(server, `/v1/sessions/${s.id}/feedback`, { method: 'GET' }), 405);
  isError(t, await call(server, `/v1/sessions/${s.id}/feedback`, { body: { records: [{ id: 'a' }] } }), 400);

  const del = await call(server, `/v1/sessions/${s.id}`, { method: 'DELETE' });
  t.is(del.status, 200);
  t.deepEqual(del.json, { id: s.id, deleted: true });
  isError(t, await call(server, `/v1/sessions/${s.id}`), 404);
});

test('the OpenAPI document lists the session routes and schemas', async (t) => {
  const doc = (await call(server, '/v1/openapi.json')).json;
  for (const p of ['/v1/sessions', '/v1/sessions/{id}', '/v1/sessions/{id}/feedback', '/v1/sessions/{id}/batches', '/v1/sessions/{id}/classifier']) t.truthy(doc.paths[p], p);
  t.truthy(doc.components.schemas.Session);
  t.truthy(doc.components.schemas.FeedbackRequest);
  t.deepEqual(doc.components.schemas.BatchRequest.required, ['n']);
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
  for (const r of new Set(refs)) t.truthy(doc.components.schemas[r.split('/').pop()!], `${r} resolves`);
});

test.serial('sessions survive a restart: counts, hardness and ids carry on, feedback on old ids is accepted', async (t) => {
  const dataDir = await tempDir();
  const first = await serve({ dataDir });
  let id: string;
  let before: Json;
  let oldIds: string[];
  try {
    id = (await create({ spec: SPEC, options: { halfLife: 100 } }, first)).id;
    const b = await batch(id, { n: 5 }, first);
    oldIds = b.samples.map((x) => x.id);
    const fb = await call(first, `/v1/sessions/${id}/feedback`, { body: { records: b.samples.map((x, i) => ({ id: x.id, loss: i / 2 })) } });
    t.is(fb.json.accepted, 5);
    before = (await call(first, `/v1/sessions/${id}`)).json;
  } finally {
    await first.shutdown();
  }
  const second = await serve({ dataDir });
  try {
    const after = (await call(second, `/v1/sessions/${id}`)).json;
    t.deepEqual(after, before, 'the same session after the restart');
    const fb = await call(second, `/v1/sessions/${id}/feedback`, { body: { records: oldIds.map((x) => ({ id: x, correct: false })) } });
    t.is(fb.json.accepted, 5, 'ids served before the restart are known');
    const b = await batch(id, { n: 2 }, second);
    t.deepEqual(b.samples.map((x) => x.id), [`${id}-00000005`, `${id}-00000006`]);
    t.is(b.headers.get('x-synth-batch'), '1');
    const listed = (await call(second, '/v1/sessions')).json.sessions.map((x: Json) => x.id);
    t.deepEqual(listed, [id]);
  } finally {
    await second.shutdown();
  }
});

test.serial('pruned: 409 without a classifier; with the committed one it keeps the k·n candidates the classifier finds hardest', async (t) => {
  const modelJson = JSON.parse(await readFile(join(CLASSIFIER_DIR, 'model.json'), 'utf8'));
  const modelB64 = (await readFile(join(CLASSIFIER_DIR, 'model.onnx'))).toString('base64');
  const s = await create({ spec: SPEC, strategy: 'pruned', options: { candidates: 4 } });
  isError(t, await call(server, `/v1/sessions/${s.id}/batches`, { body: { n: 4 } }), 409, 'conflict');

  const unknownClass = await create({ spec: { ...SPEC, classes: ['cube', 'rabbit'] }, strategy: 'pruned' });
  const refused = await call(server, `/v1/sessions/${unknownClass.id}/classifier`, { body: { manifest: modelJson, model: modelB64 } });
  isError(t, refused, 400);
  t.regex(refused.json.error.message, /^manifest\.classes: expected every class the session draws.*missing: rabbit/);
  const badManifest = await call(server, `/v1/sessions/${s.id}/classifier`, { body: { manifest: { ...modelJson, input: { ...modelJson.input, name: 7 } }, model: modelB64 } });
  isError(t, badManifest, 400);
  t.regex(badManifest.json.error.message, /^manifest\.input\.name: /);
  t.false(badManifest.bytes.toString().includes(server.dataDir), 'no server paths in errors');
  const badModel = await call(server, `/v1/sessions/${s.id}/classifier`, { body: { manifest: modelJson, model: Buffer.from('not onnx').toString('base64') } });
  isError(t, badModel, 400);
  t.false(badModel.bytes.toString().includes(server.dataDir), 'no server paths in errors');

  const up = await call(server, `/v1/sessions/${s.id}/classifier`, { body: { manifest: modelJson, model: modelB64 } });
  t.is(up.status, 200, up.bytes.toString());
  t.is(up.json.classifier.name, 'synth-classifier-32');
  t.is(up.json.classifier.source, 'upload');
  t.deepEqual(up.json.classifier.image, [32, 32]);

  const pruned = await batch(s.id, { n: 4 });
  t.is(pruned.status, 200, JSON.stringify(pruned.samples[0]));
  t.is(pruned.samples.length, 4);
  t.true(pruned.samples.every((x) => x.strategy === 'pruned' && typeof x.criterion === 'number' && x.criterion >= 0));
  const view = (await call(server, `/v1/sessions/${s.id}`)).json;
  t.deepEqual(view.counts, { batches: 1, served: 4, drawn: 16 }, 'k·n candidates drawn, n served');

  // The 16 candidates are the spec's own samples 0..15 (a uniform session of the same spec and seed
  // serves them): score them here and check the 4 kept are the 4 hardest.
  const twin = await create({ spec: SPEC, strategy: 'uniform' });
  const all = await batch(twin.id, { n: 16 });
  const judge = await loadClassifier(CLASSIFIER_DIR, { threads: 1 });
  try {
    const pixels = new Uint8Array(16 * 32 * 32 * 3);
    let i = 0;
    for (const members of all.groups.values()) {
      const raw = await sharp(members.get('png')!).removeAlpha().raw().toBuffer();
      pixels.set(raw, i++ * 32 * 32 * 3);
    }
    const out = await judge.classifier.classify(pixels, 16);
    const ce = all.samples.map((x, k) => crossEntropy(out.logits, k, out.classes, modelJson.classes.indexOf(x.class)));
    const hardest = ce.map((v, k) => [v, k]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 4).map(([, k]) => k).sort((a, b) => a - b);
    t.deepEqual(pruned.samples.map((x) => x.index), hardest.map((k) => all.samples[k].index), `kept the hardest: ce ${ce.map((v) => v.toFixed(3))}`);
    pruned.samples.forEach((x) => t.true(Math.abs(x.criterion - ce[all.samples.findIndex((y) => y.index === x.index)]) < 1e-4));
  } finally {
    await judge.session.release();
  }

  // {classifierId}: one uploaded with POST /v1/classifiers lives in <dataDir>/classifiers/<id>/.
  const uploaded = randomUUID();
  await mkdir(join(server.dataDir, 'classifiers', uploaded), { recursive: true });
  for (const f of ['model.json', 'model.onnx']) await copyFile(join(CLASSIFIER_DIR, f), join(server.dataDir, 'classifiers', uploaded, f));
  const byId = await call(server, `/v1/sessions/${twin.id}/classifier`, { body: { classifierId: uploaded } });
  t.is(byId.status, 200, byId.bytes.toString());
  t.is(byId.json.classifier.source, `classifier:${uploaded}`);
  isError(t, await call(server, `/v1/sessions/${twin.id}/classifier`, { body: { classifierId: randomUUID() } }), 404);
  const again = await batch(twin.id, { n: 2, strategy: 'pruned' });
  t.is(again.samples.length, 2);
  t.true(again.samples.every((x) => x.strategy === 'pruned'));
});

test.serial('guided: classes from the class mixture, images from the generator steered by the session\'s classifier; feedback applies', async (t) => {
  const modelJson = JSON.parse(await readFile(join(CLASSIFIER_DIR, 'model.json'), 'utf8'));
  const modelB64 = (await readFile(join(CLASSIFIER_DIR, 'model.onnx'))).toString('base64');
  const spec = { ...SPEC, resolution: [48, 48] };
  const s = await create({ spec, strategy: 'guided', options: { guided: { steps: 4, candidates: 2 } } });
  t.like(s.options.guided, { steps: 4, candidates: 2 });
  await call(server, `/v1/sessions/${s.id}/classifier`, { body: { manifest: modelJson, model: modelB64 } });
  const b = await batch(s.id, { n: 3 });
  t.is(b.status, 200, JSON.stringify(b.samples[0]));
  t.is(b.samples.length, 3);
  for (const [k, x] of b.samples.entries()) {
    t.regex(x.id, SAMPLE_ID);
    t.is(x.strategy, 'guided');
    t.true(['cube', 'torus'].includes(x.class) && x.label === SPEC.classes.indexOf(x.class));
    t.like(x.guidance, { criterion: 'entropy', mode: 'svdd', candidates: 2 }, 'forward-only classifier: svdd');
    t.like(x.generator, { model: 'synth-unet-32', scheduler: 'ddim', eta: 1, steps: 4, noiseIndex: k, size: [32, 32] });
    t.true(x.criterion >= 0 && x.criterion <= Math.log(10) + 1e-6, `entropy ${x.criterion}`);
    t.is(typeof x.hardness, 'number');
  }
  const png = [...b.groups.values()][0].get('png')!;
  const meta = await sharp(png).metadata();
  t.deepEqual([meta.width, meta.height], [48, 48], 'resized to the spec\'s resolution');
  const again = await batch((await create({ spec, strategy: 'guided', options: { guided: { steps: 4, candidates: 2 } } })).id, { n: 1, strategy: 'uniform' });
  t.is(again.samples[0].strategy, 'uniform', 'a batch may name another strategy');

  const fb = await call(server, `/v1/sessions/${s.id}/feedback`, { body: { records: b.samples.map((x) => ({ id: x.id, loss: 1.5 })) } });
  t.is(fb.json.accepted, 3);
  const view = (await call(server, `/v1/sessions/${s.id}`)).json;
  t.is(view.feedback.bySource.guided.records, 3);
  t.is(view.feedback.bySource.guided.meanLoss, 1.5);

  const gradient = await create({ spec, strategy: 'guided', options: { guided: { steps: 4, mode: 'gradient' } } });
  await call(server, `/v1/sessions/${gradient.id}/classifier`, { body: { manifest: modelJson, model: modelB64 } });
  const refused = await batch(gradient.id, { n: 1 });
  t.is(refused.status, 400);
  t.regex(refused.samples[0].error.message, /^options\.guided\.mode: expected svdd or particles: classifier synth-classifier-32 has no input-gradient output/);
  const guideDir = fileURLToPath(new URL('../../models/synth-classifier-32-guide/', import.meta.url));
  const guideJson = JSON.parse(await readFile(join(guideDir, 'model.json'), 'utf8'));
  const withForward = await create({ spec, strategy: 'guided', options: { guided: { steps: 4 } } });
  const up = await call(server, `/v1/sessions/${withForward.id}/classifier`, { body: { manifest: guideJson, model: (await readFile(join(guideDir, 'model.onnx'))).toString('base64'), forward: (await readFile(join(guideDir, 'forward.onnx'))).toString('base64') } });
  t.is(up.status, 200, up.bytes.toString().slice(0, 300));
  const g = await batch(withForward.id, { n: 2 });
  t.is(g.status, 200, JSON.stringify(g.samples[0]));
  t.true(g.samples.every((x) => x.guidance.mode === 'gradient'), 'a classifier with gradient outputs: gradient mode by default');
});

test('random bodies on the session routes answer 2xx or a 4xx in the error shape, never a 500', async (t) => {
  const { rngFor } = await import('../../src/core/random.js');
  const s = await create({ spec: SPEC });
  const values: unknown[] = [null, 0, -1, 1.5, 'x', '', true, [], {}, [1], { id: 1 }, Number.MAX_VALUE, 'guided', 'pruned', { records: [] }];
  for (let i = 0; i < 120; i++) {
    const rng = rngFor(7, i, 'fuzz');
    const pick = () => values[Math.floor(rng.next() * values.length)];
    const bodies: [string, unknown][] = [
      ['/v1/sessions', { spec: rng.next() < 0.5 ? SPEC : pick(), strategy: pick(), options: rng.next() < 0.5 ? { bins: pick(), factors: [pick()], epsilon: pick() } : pick() }],
      [`/v1/sessions/${s.id}/feedback`, { records: Array.from({ length: 3 }, () => ({ id: rng.next() < 0.5 ? `${s.id}-00000000` : pick(), loss: pick(), correct: pick() })) }],
      [`/v1/sessions/${s.id}/feedback`, pick()],
      [`/v1/sessions/${s.id}/batches`, { n: pick(), strategy: pick() }],
      [`/v1/sessions/${s.id}/classifier`, { manifest: pick(), model: pick(), ...(rng.next() < 0.3 ? { classifierId: pick() } : {}) }],
    ];
    for (const [path, body] of bodies) {
      const a = await call(server, path, { body: body === undefined ? 'null' : body });
      t.true(a.status < 500, `${path} ${JSON.stringify(body)}: ${a.status} ${a.bytes.toString().slice(0, 200)}`);
      if (a.status >= 400) isError(t, a, a.status);
    }
  }
});

test('the session routes sit behind bearer auth', async (t) => {
  const locked = await serve({ apiKeys: ['secret'] });
  try {
    isError(t, await call(locked, '/v1/sessions'), 401, 'unauthorized');
    isError(t, await call(locked, '/v1/sessions', { body: { spec: SPEC } }), 401);
    const ok = await call(locked, '/v1/sessions', { headers: { authorization: 'Bearer secret' } });
    t.is(ok.status, 200);
    t.deepEqual(ok.json.sessions, []);
  } finally {
    await locked.shutdown();
  }
});
