/**
 * The service under hostile or careless clients: plan sizes capped before any work, deep JSON and huge
 * inputs answered with short 400s, implausible losses refused, feedback retries applied once, slow
 * request bodies cut while long answers run on, and jobs retried after a transient resource error.
 */
import test from 'ava';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PLAN_LIMITS } from '../../src/spec/schema.js';
import type { SceneRenderer } from '../../src/render/renderer.js';
import type { RunningServer } from '../../src/server/main.js';
import { TINY, call, disposeRenderer, isError, serve, sharedRenderer, slowRenderer, tarGroups, tempDir, until } from './helpers.js';

let server: RunningServer;
test.before(async () => {
  server = await serve();
});
test.after.always(async () => {
  await server?.shutdown();
  await disposeRenderer();
});

type Json = Record<string, any>;

const SPEC = { name: 'hard', seed: 3, resolution: [32, 32], classes: ['cube', 'torus'], factors: { yaw: { uniform: [0, 360] } } };

function deepArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

async function session(on: RunningServer = server): Promise<string> {
  const a = await call(on, '/v1/sessions', { body: { spec: SPEC, strategy: 'hardness' } });
  if (a.status !== 201) throw new Error(`create: ${a.status} ${a.bytes.toString()}`);
  return a.json.id;
}

/** Serve a batch of `n` and return its sample ids. */
async function served(id: string, n: number, on: RunningServer = server): Promise<string[]> {
  const a = await call(on, `/v1/sessions/${id}/batches`, { body: { n } });
  if (a.status !== 200) throw new Error(`batch: ${a.status} ${a.bytes.toString()}`);
  return [...tarGroups(a.bytes).keys()];
}

test('a sweep over the plan caps is a 400 naming the cap, before anything is built', async (t) => {
  const yaw = Array.from({ length: PLAN_LIMITS.maxValuesPerFactor + 1 }, (_, i) => i % 360);
  const a = await call(server, '/v1/datasets', { body: { mode: 'sweep', resolution: [32, 32], factors: { yaw: { values: yaw } } } });
  isError(t, a, 400, 'invalid_request');
  t.regex(a.json.error.message, /^factors\.yaw\.values: expected at most 10000 values \(cap maxValuesPerFactor\), got 10001$/);
  const values = Array.from({ length: 5000 }, (_, i) => i / 20);
  const b = await call(server, '/v1/stream', { body: { mode: 'sweep', resolution: [32, 32], factors: { yaw: { values }, pitch: { values: values.map((v) => v / 4) } } } });
  isError(t, b, 400, 'invalid_request');
  t.regex(b.json.error.message, /cap maxSweepCells/);
  t.is((await call(server, '/v1/health')).status, 200, 'the server answers after');
});

test('a holdout that leaves the split empty is a 400 on /v1/render, /v1/stream and /v1/datasets alike', async (t) => {
  const spec = { ...TINY, classes: ['cube'], holdout: [{ class: 'cube' }] };
  for (const route of ['/v1/render', '/v1/stream', '/v1/datasets']) {
    const a = await call(server, route, { body: spec });
    isError(t, a, 400, 'invalid_request');
    t.regex(a.json.error.message, /^holdout: expected a train split that random sampling can reach/, route);
  }
  t.is((await call(server, '/v1/datasets')).json.datasets.length, 0, 'no job was queued');
});

test('JSON nested 5,000 deep in the session routes is a 400, never a 500', async (t) => {
  const id = await session();
  const deep = deepArray(5000);
  const bodies: [string, string][] = [
    ['/v1/sessions', deep],
    [`/v1/sessions/${id}/feedback`, deep],
    [`/v1/sessions/${id}/feedback`, `{"records":${deep}}`],
    [`/v1/sessions/${id}/feedback`, `{"records":[{"id":${deep},"loss":1}]}`],
    [`/v1/sessions/${id}/batches`, deep],
    [`/v1/sessions/${id}/classifier`, deep],
  ];
  for (const [path, body] of bodies) {
    const a = await call(server, path, { body });
    isError(t, a, 400);
    t.true(a.bytes.length < 2000, `${path}: a short answer (${a.bytes.length} bytes)`);
  }
});

test('error messages show received values cut short: a 1 MB class name does not come back', async (t) => {
  const name = 'x'.repeat(1024 * 1024 - 100);
  const a = await call(server, '/v1/render', { body: { ...TINY, classes: [name] } });
  isError(t, a, 400, 'invalid_request');
  t.true(a.bytes.length < 8000, `answer of ${a.bytes.length} bytes`);
  t.regex(a.json.error.message, /^classes\[0\]: expected a known class .*got "x+\.\.\. \(1048478 characters\)/);
  const b = await call(server, '/v1/render', { body: { ...TINY, factors: { [name.slice(0, 1_000_000)]: { const: 1 } } } });
  isError(t, b, 400, 'invalid_request');
  t.true(b.bytes.length < 8000, `unknown factor name as a path: answer of ${b.bytes.length} bytes`);
  const id = await session();
  const c = await call(server, `/v1/sessions/${id}/feedback`, { body: { records: [{ id: 'a', loss: 1, [name.slice(0, 500_000)]: 1 }] } });
  isError(t, c, 400, 'invalid_request');
  t.true(c.bytes.length < 8000, `unknown record key: answer of ${c.bytes.length} bytes`);
});

test('an implausible loss is refused, and a session reloads after a restart exactly as it was', async (t) => {
  const dataDir = await tempDir();
  const first = await serve({ dataDir });
  let before: Json;
  try {
    const id = await session(first);
    const ids = await served(id, 6, first);
    const huge = await call(first, `/v1/sessions/${id}/feedback`, { body: { records: [{ id: ids[0], loss: 1.797e308 }] } });
    isError(t, huge, 400, 'invalid_request');
    t.is(huge.json.error.message, 'records[0].loss: expected a per-sample loss of at most 1000000 (cap MAX_LOSS), got 1.797e+308');
    const ok = await call(first, `/v1/sessions/${id}/feedback`, { body: { records: ids.map((r, i) => ({ id: r, loss: i === 0 ? 1e6 : 0.1 * i, correct: i % 2 === 0 })) } });
    t.is(ok.status, 200, ok.bytes.toString());
    t.is(ok.json.accepted, 6);
    before = (await call(first, `/v1/sessions/${id}`)).json;
    t.is(typeof before.hardness.temperature, 'number', 'τ stays a number with the largest accepted loss');
    for (const c of before.hardness.classes) t.true(Number.isFinite(c.hardness), `${c.class}: finite hardness`);
  } finally {
    await first.shutdown();
  }
  const second = await serve({ dataDir });
  try {
    const after = (await call(second, `/v1/sessions/${before.id}`)).json;
    t.deepEqual(after, before, 'the state after a restart equals the state before');
  } finally {
    await second.shutdown();
  }
});

test('feedback is applied once per Idempotency-Key, across a restart too', async (t) => {
  const dataDir = await tempDir();
  const first = await serve({ dataDir });
  const id = await session(first);
  const ids = await served(id, 4, first);
  const records = ids.map((r) => ({ id: r, loss: 0.5 }));
  const headers = { 'idempotency-key': 'epoch-1-chunk-0' };
  try {
    const a = await call(first, `/v1/sessions/${id}/feedback`, { body: { records }, headers });
    t.is(a.status, 200);
    t.is(a.headers.get('idempotent-replayed'), null);
    const b = await call(first, `/v1/sessions/${id}/feedback`, { body: { records }, headers });
    t.is(b.status, 200);
    t.is(b.headers.get('idempotent-replayed'), 'true');
    t.deepEqual(b.json, a.json, 'the first answer again');
    const badKey = await call(first, `/v1/sessions/${id}/feedback`, { body: { records }, headers: { 'idempotency-key': 'x'.repeat(201) } });
    isError(t, badKey, 400, 'invalid_request');
    t.is((await call(first, `/v1/sessions/${id}`)).json.feedback.accepted, 4, 'applied once');
  } finally {
    await first.shutdown();
  }
  const second = await serve({ dataDir });
  try {
    const c = await call(second, `/v1/sessions/${id}/feedback`, { body: { records }, headers });
    t.is(c.headers.get('idempotent-replayed'), 'true', 'the key survives a restart');
    const d = await call(second, `/v1/sessions/${id}/feedback`, { body: { records }, headers: { 'idempotency-key': 'epoch-2-chunk-0' } });
    t.is(d.json.accepted, 4, 'another key is another post');
    t.is((await call(second, `/v1/sessions/${id}`)).json.feedback.accepted, 8);
  } finally {
    await second.shutdown();
  }
});

/** Send headers and the first byte of a body, then nothing: resolves with what the server answers before it closes. */
function trickle(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.on('data', (d) => { answer += d.toString(); });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(`POST /v1/render HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
  });
}

test('a slow request body is cut with 408 while a stream longer than the timeout runs to its end', async (t) => {
  const slow = await serve({ renderer: slowRenderer(await sharedRenderer(), 150), requestTimeoutMs: 600, headersTimeoutMs: 300 });
  try {
    const streamed = call(slow, '/v1/stream', { body: { ...TINY, count: 8 } });
    const answer = await trickle(slow.url);
    t.regex(answer, /^HTTP\/1\.1 408 /, 'the trickled body is cut');
    const s = await streamed;
    t.is(s.status, 200);
    t.is(tarGroups(s.bytes).size, 8, 'every sample of the long stream came');
  } finally {
    await slow.shutdown();
  }
});

/** A renderer whose first `failures` renders throw EMFILE, as when the process runs out of file descriptors. */
function flakyRenderer(inner: SceneRenderer, failures: number): SceneRenderer {
  let left = failures;
  return {
    backend: inner.backend, adapter: inner.adapter, threeRevision: inner.threeRevision, library: inner.library,
    async render(desc, options) {
      if (left > 0) {
        left--;
        throw Object.assign(new Error('EMFILE: too many open files, open \'/tmp/x\''), { code: 'EMFILE', errno: -24 });
      }
      return inner.render(desc, options);
    },
    dispose() {},
  } as SceneRenderer;
}

test('a dataset job failed by a transient resource error (EMFILE) is retried and finishes; a lasting one fails for good, saying so', async (t) => {
  const dataDir = await tempDir();
  const flaky = await serve({ dataDir, renderer: flakyRenderer(await sharedRenderer(), 1), retryDelaysMs: [50, 50] });
  try {
    const a = await call(flaky, '/v1/datasets', { body: TINY });
    t.is(a.status, 202, a.bytes.toString());
    await until(async () => ['done', 'failed'].includes((await call(flaky, `/v1/datasets/${a.json.id}`)).json.status), 60_000, 'the job to end');
    const job = (await call(flaky, `/v1/datasets/${a.json.id}`)).json;
    t.is(job.status, 'done', JSON.stringify(job.error));
    t.is(job.restarts, 0, 'a retry is no restart');
    const file = JSON.parse(await readFile(join(dataDir, 'jobs', a.json.id, 'job.json'), 'utf8'));
    t.is(file.retries, 1);
  } finally {
    await flaky.shutdown();
  }
  const broken = await serve({ renderer: flakyRenderer(await sharedRenderer(), 1000), retryDelaysMs: [20, 20] });
  try {
    const a = await call(broken, '/v1/datasets', { body: TINY });
    await until(async () => (await call(broken, `/v1/datasets/${a.json.id}`)).json.status === 'failed', 60_000, 'the job to fail');
    const job = (await call(broken, `/v1/datasets/${a.json.id}`)).json;
    t.is(job.error.code, 'resource_exhausted');
    t.regex(job.error.message, /^EMFILE after 2 retries \(a resource of the server ran out\)/);
  } finally {
    await broken.shutdown();
  }
});

test('an invalid forward graph of a classifier upload is reported under `forward`', async (t) => {
  const dir = new URL('../../models/synth-classifier-32-guide/', import.meta.url);
  const manifest = JSON.parse(await readFile(new URL('model.json', dir), 'utf8'));
  const model = (await readFile(new URL('model.onnx', dir))).toString('base64');
  const garbage = await call(server, '/v1/classifiers', { body: { manifest, model, forward: Buffer.from('not an onnx file').toString('base64') } });
  isError(t, garbage, 400, 'invalid_request');
  t.deepEqual(garbage.json.error.details.issues.map((i: Json) => i.path), ['forward']);
  t.regex(garbage.json.error.message, /^forward: expected an ONNX model onnxruntime can load, got the uploaded file/);
  const full = await call(server, '/v1/classifiers', { body: { manifest, model, forward: model } });
  isError(t, full, 400, 'invalid_request');
  t.deepEqual(full.json.error.details.issues.map((i: Json) => i.path), ['forward', 'forward']);
  t.regex(full.json.error.message, /^forward: input names: expected \[image\]/);
  t.false(/upload|classifiers\//.test(full.bytes.toString()), 'no server path in the answer');
});
