import test from 'ava';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { FACTORS } from '../../src/spec/factors.js';
import { LABEL_PASSES } from '../../src/spec/schema.js';
import { WRITER_FORMATS } from '../../src/export/manifest.js';
import { CatalogSchema, HealthSchema, RenderResponseSchema } from '../../src/server/schemas.js';
import type { RunningServer } from '../../src/server/main.js';
import { call, disposeRenderer, isError, serve, sharedRenderer, tarGroups, TINY } from './helpers.js';

let server: RunningServer;
test.before(async () => {
  server = await serve({ limits: { bodyLimit: 64 * 1024 } });
});
test.after.always(async () => {
  await server?.shutdown();
  await disposeRenderer();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('GET /v1/health reports the renderer, queue, jobs and version', async (t) => {
  const a = await call(server, '/v1/health');
  t.is(a.status, 200);
  t.true(HealthSchema.safeParse(a.json).success, JSON.stringify(a.json));
  t.is(a.json.renderer.backend, server.renderer.backend);
  t.is(a.json.queue.queued, 0);
  t.is(a.json.jobs.running, 0);
  t.regex(a.json.version, /^\d+\.\d+\.\d+/);
  t.regex(a.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, 'a fresh request id');
  const mine = await call(server, '/v1/health', { headers: { 'X-Request-Id': 'trainer-42.a' } });
  t.is(mine.headers.get('x-request-id'), 'trainer-42.a', 'a well-formed client request id is kept');
  t.is(mine.headers.get('access-control-allow-origin'), null, 'no CORS headers by default');
});

test('GET /v1/catalog lists classes, factors, passes and formats', async (t) => {
  const a = await call(server, '/v1/catalog');
  t.is(a.status, 200);
  t.true(CatalogSchema.safeParse(a.json).success);
  t.truthy(a.json.classes.find((c: { name: string }) => c.name === 'cube'), 'cube is a class');
  t.deepEqual(a.json.factors.map((f: { name: string }) => f.name), FACTORS.map((f) => f.name));
  t.deepEqual(a.json.factors.find((f: { name: string }) => f.name === 'yaw').range, [-360, 720]);
  t.deepEqual(a.json.labelPasses, [...LABEL_PASSES]);
  t.deepEqual(a.json.writerFormats, [...WRITER_FORMATS]);
  t.true(a.json.models.some((m: { ref: string; kind: string }) => m.ref === 'synth-unet-32' && m.kind === 'denoiser'), 'the committed generator is listed');
  t.true(a.json.environments.some((e: { name: string }) => e.name === 'studio'));
  t.is(a.json.limits.maxSyncBatch, 16);
});

test('GET /v1/openapi.json documents every route, body and the error shape', async (t) => {
  const a = await call(server, '/v1/openapi.json');
  t.is(a.status, 200);
  const doc = a.json;
  t.is(doc.openapi, '3.1.0');
  for (const p of ['/v1/health', '/v1/catalog', '/v1/openapi.json', '/v1/render', '/v1/stream', '/v1/datasets', '/v1/datasets/{id}', '/v1/datasets/{id}/files', '/v1/datasets/{id}/files/{path}', '/v1/datasets/{id}/shards/{n}']) {
    t.truthy(doc.paths[p], `path ${p} documented`);
  }
  t.truthy(doc.paths['/v1/datasets/{id}'].delete);
  const spec = doc.components.schemas.Spec;
  t.deepEqual(spec.properties.format.enum, ['png', 'jpeg', 'webp', 'raw'], 'the Spec schema comes from SpecSchema');
  t.false(spec.required?.includes('seed') ?? false, 'request schemas are the input form: defaults are optional');
  t.truthy(doc.components.schemas.Error.properties.error, 'the error shape');
  t.is(doc.paths['/v1/render'].post.responses['400'].content['application/json'].schema.$ref, '#/components/schemas/Error');
  t.truthy(doc.paths['/v1/datasets'].post.responses['429']);
  const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
  for (const r of new Set(refs)) t.truthy(doc.components.schemas[r.split('/').pop()!], `${r} resolves`);
});

test('POST /v1/render answers JSON samples with factors, labels and base64 images', async (t) => {
  const a = await call(server, '/v1/render', { body: { ...TINY, labels: ['segmentation', 'boxes'] } });
  t.is(a.status, 200, a.bytes.toString());
  t.true(RenderResponseSchema.safeParse(a.json).success, JSON.stringify(RenderResponseSchema.safeParse(a.json).error?.issues?.slice(0, 2)));
  const samples = a.json.samples;
  t.is(samples.length, 4, 'count samples');
  t.deepEqual(samples.map((s: { index: number }) => s.index), [0, 1, 2, 3]);
  const s = samples[0];
  t.true(['cube', 'torus'].includes(s.class));
  t.is(s.factors.class, s.class);
  t.is(s.mime, 'image/png');
  const image = Buffer.from(s.image, 'base64');
  t.is(sha(image), s.sha256, 'sha256 is the image bytes\'');
  const meta = await sharp(image).metadata();
  t.is(meta.width, 32);
  t.is(meta.height, 32);
  t.is(s.labels.objects.length, 1, 'one labelled object');
  t.truthy(s.labels.maps.seg, 'an instance mask');
  t.is(typeof s.caption, 'string');

  const again = await call(server, '/v1/render', { body: { spec: { ...TINY, labels: ['segmentation', 'boxes'] }, indices: [2] } });
  t.is(again.status, 200);
  t.is(again.json.samples.length, 1);
  t.is(again.json.samples[0].index, 2);
  t.is(again.json.samples[0].sha256, samples[2].sha256, 'sample 2 alone equals sample 2 of the batch (determinism)');
});

test('POST /v1/render with Accept image/* answers the first image with its factors in headers', async (t) => {
  for (const [mime, format] of [['image/png', 'png'], ['image/jpeg', 'jpeg'], ['image/webp', 'webp']] as const) {
    const a = await call(server, '/v1/render', { body: TINY, headers: { accept: mime } });
    t.is(a.status, 200);
    t.is(a.headers.get('content-type'), mime);
    t.is((await sharp(a.bytes).metadata()).format, format);
    const info = JSON.parse(a.headers.get('x-synth-sample')!);
    t.is(info.index, 0, 'the first sample');
    t.is(info.id, a.headers.get('x-synth-id'));
    t.is(info.class, a.headers.get('x-synth-class'));
    t.is(typeof info.factors.yaw, 'number');
    if (format === 'png') t.is(sha(a.bytes), info.sha256);
  }
});

test('POST /v1/render with Accept application/x-tar answers a WebDataset tar of the batch', async (t) => {
  const a = await call(server, '/v1/render', { body: { ...TINY, count: 3, labels: ['segmentation', 'depth'] }, headers: { accept: 'application/x-tar' } });
  t.is(a.status, 200);
  t.is(a.headers.get('content-type'), 'application/x-tar');
  const groups = tarGroups(a.bytes);
  t.deepEqual([...groups.keys()], ['00000000', '00000001', '00000002']);
  for (const [key, members] of groups) {
    t.deepEqual([...members.keys()].sort(), ['cls', 'depth.png', 'json', 'png', 'seg.png', 'sem.png'], `members of ${key}`);
    const record = JSON.parse(members.get('json')!.toString());
    t.is(record.id, key);
    t.is(members.get('cls')!.toString(), String(record.label));
    t.is(sha(members.get('png')!), record.sha256);
  }
});

test('400 names the JSON path, what was expected and what came, like the CLI', async (t) => {
  const bad = await call(server, '/v1/render', { body: { ...TINY, factors: { yaw: { uniform: [90, 10] } } } });
  isError(t, bad, 400, 'invalid_request');
  t.deepEqual(bad.json.error.details.issues[0], {
    path: 'factors.yaw.uniform', expected: '[min, max] with min <= max', received: '[90,10]',
    message: 'factors.yaw.uniform: expected [min, max] with min <= max, got [90,10]',
  });
  const wrapped = await call(server, '/v1/render', { body: { spec: { ...TINY, classes: ['cube', 'dragon'] } } });
  isError(t, wrapped, 400);
  t.is(wrapped.json.error.details.issues[0].path, 'spec.classes[1]', 'paths inside an envelope start with spec.');
  t.regex(wrapped.json.error.message, /^spec\.classes\[1\]: expected a known class \(one of: cube, sphere/);
  const several = await call(server, '/v1/render', { body: { ...TINY, seed: -1, format: 'gif' } });
  isError(t, several, 400);
  t.deepEqual(several.json.error.details.issues.map((i: { path: string }) => i.path).sort(), ['format', 'seed'], 'every problem listed');
  const indices = await call(server, '/v1/render', { body: { spec: TINY, indices: [0, 9] } });
  isError(t, indices, 400);
  t.is(indices.json.error.details.issues[0].path, 'indices[1]');
  const notObject = await call(server, '/v1/render', { body: '[1,2]' });
  isError(t, notObject, 400);
  const bgs = await call(server, '/v1/render', { body: { ...TINY, backgrounds: ['/etc/passwd.png'] } });
  isError(t, bgs, 400);
  t.is(bgs.json.error.details.issues[0].path, 'backgrounds', 'background files on the server\'s disk are refused');
});

test('caps: sync batch size and resolution answer 400 naming the cap', async (t) => {
  const many = await call(server, '/v1/render', { body: { ...TINY, count: 100 } });
  isError(t, many, 400, 'limit_exceeded');
  t.is(many.json.error.message, 'count: expected at most 16 for POST /v1/render (cap maxSyncBatch), got 100');
  const defaults = await call(server, '/v1/render', { body: { ...TINY, count: undefined, mode: 'grid', factors: { yaw: { values: [0, 90, 180, 270, 45, 135, 225, 315, 10] } } } });
  isError(t, defaults, 400, 'limit_exceeded');
  t.regex(defaults.json.error.message, /count: expected at most 16 .* got 18 \(the grid's cells\)/);
  const indices = await call(server, '/v1/render', { body: { spec: { ...TINY, count: 100 }, indices: Array.from({ length: 17 }, (_, i) => i) } });
  isError(t, indices, 400, 'limit_exceeded');
  t.regex(indices.json.error.message, /^indices: expected at most 16 indices/);
  const big = await call(server, '/v1/render', { body: { ...TINY, resolution: [2048, 32] } });
  isError(t, big, 400, 'limit_exceeded');
  t.is(big.json.error.message, 'resolution: expected sides of at most 1024 pixels (cap maxResolution), got [2048,32]');
});

test('bad JSON 400, wrong content type 415, big body 413, all in the error shape', async (t) => {
  isError(t, await call(server, '/v1/render', { body: '{"count": 3,' }), 400, 'invalid_json');
  isError(t, await call(server, '/v1/render', { body: 'count=3', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
  isError(t, await call(server, '/v1/render', { method: 'POST' }), 400, 'invalid_request');
  const huge = await call(server, '/v1/render', { body: { ...TINY, name: 'x', padding: 'y'.repeat(100 * 1024) } });
  isError(t, huge, 413, 'payload_too_large');
  t.regex(huge.json.error.message, /over the limit of 65536 bytes/);
});

test('404 for unknown routes and jobs, 400 for malformed ids, 405 with Allow, 406 for an unsupported Accept', async (t) => {
  isError(t, await call(server, '/v2/render'), 404, 'not_found');
  isError(t, await call(server, '/v1/nothing'), 404, 'not_found');
  isError(t, await call(server, '/v1/datasets/0f8fad5b-d9cb-469f-a165-70867728950e'), 404, 'not_found');
  const id = await call(server, '/v1/datasets/not-a-uuid');
  isError(t, id, 400);
  t.is(id.json.error.details.issues[0].path, 'id');
  const put = await call(server, '/v1/render', { method: 'PUT', body: TINY });
  isError(t, put, 405, 'method_not_allowed');
  t.is(put.headers.get('allow'), 'POST');
  const del = await call(server, '/v1/catalog', { method: 'DELETE' });
  isError(t, del, 405);
  t.is(del.headers.get('allow'), 'GET, HEAD');
  const gif = await call(server, '/v1/render', { body: TINY, headers: { accept: 'image/gif' } });
  isError(t, gif, 406, 'not_acceptable');
  t.deepEqual(gif.json.error.details.available, ['application/json', 'image/png', 'image/jpeg', 'image/webp', 'application/x-tar']);
  isError(t, await call(server, '/v1/health', { headers: { accept: 'text/html' } }), 406);
  isError(t, await call(server, '/v1/stream', { body: TINY, headers: { accept: 'application/json' } }), 406);
});

test('bearer auth: 401 with WWW-Authenticate on every route but health', async (t) => {
  const secured = await serve({ apiKeys: ['k-one', 'k-two'] });
  try {
    t.is((await call(secured, '/v1/health')).status, 200, 'health needs no token');
    for (const path of ['/v1/catalog', '/v1/openapi.json', '/v1/datasets', '/v1/nothing']) {
      const a = await call(secured, path);
      isError(t, a, 401, 'unauthorized');
      t.regex(a.headers.get('www-authenticate') ?? '', /^Bearer realm="synth"/);
    }
    const wrong = await call(secured, '/v1/catalog', { headers: { authorization: 'Bearer k-three' } });
    isError(t, wrong, 401);
    t.regex(wrong.headers.get('www-authenticate') ?? '', /invalid_token/);
    const post = await call(secured, '/v1/render', { body: TINY });
    isError(t, post, 401, 'unauthorized');
    t.is((await call(secured, '/v1/catalog', { headers: { authorization: 'Bearer k-two' } })).status, 200);
    const ok = await call(secured, '/v1/render', { body: { ...TINY, count: 1 }, headers: { authorization: 'Bearer k-one' } });
    t.is(ok.status, 200);
    t.is(ok.json.samples.length, 1);
    const openapi = await call(secured, '/v1/openapi.json', { headers: { authorization: 'Bearer k-one' } });
    t.deepEqual(openapi.json.security, [{ bearer: [] }]);
  } finally {
    await secured.shutdown();
  }
});

test('CORS only for the configured origin', async (t) => {
  const open = await serve({ corsOrigin: 'https://labeller.example' });
  try {
    const a = await call(open, '/v1/health');
    t.is(a.headers.get('access-control-allow-origin'), 'https://labeller.example');
    const pre = await fetch(`${open.url}/v1/render`, { method: 'OPTIONS', headers: { origin: 'https://labeller.example', 'access-control-request-method': 'POST' } });
    t.is(pre.status, 204);
    t.regex(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  } finally {
    await open.shutdown();
  }
});

test('a sync render that fails after its client left is dropped without an error in the log', async (t) => {
  const base = await sharedRenderer();
  let started!: () => void;
  const renderStarted = new Promise<void>((r) => { started = r; });
  let fail!: (e: Error) => void;
  const failing = {
    backend: base.backend, adapter: base.adapter, threeRevision: base.threeRevision, library: base.library,
    render: () => { started(); return new Promise<never>((_, reject) => { fail = reject; }); },
    dispose() {},
  };
  const errors: string[] = [];
  const own = await serve({ renderer: failing, logger: { request() {}, info() {}, error: (line) => errors.push(line) } });
  try {
    const client = new AbortController();
    const answer = fetch(`${own.url}/v1/render`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...TINY, count: 1 }), signal: client.signal }).catch(() => 'aborted');
    await renderStarted;
    client.abort();
    t.is(await answer, 'aborted');
    await new Promise((r) => setTimeout(r, 100)); // the server sees the socket close
    fail(new Error('the renderer pool was disposed'));
    await new Promise((r) => setTimeout(r, 100));
    t.deepEqual(errors, [], 'nothing logged for a client that is gone');
  } finally {
    await own.shutdown();
  }
});
