import test from 'ava';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassifierSchema, ClassifierListSchema, GenerateResponseSchema } from '../../src/server/schemas.js';
import { call, disposeRenderer, isError, serve } from './helpers.js';
import type { RunningServer } from '../../src/server/main.js';

test.after.always(disposeRenderer);

const JUDGE = join(process.cwd(), 'models', 'synth-classifier-32');
const manifest = JSON.parse(readFileSync(join(JUDGE, 'model.json'), 'utf8'));
const onnx = readFileSync(join(JUDGE, 'model.onnx'));
const UPLOAD = { name: 'my judge', manifest, model: onnx.toString('base64') };

let server: RunningServer;
test.before(async () => {
  server = await serve();
});
test.after.always(async () => {
  await server?.shutdown();
});

/** Folders under <dataDir>/classifiers (stored uploads and leftovers alike). */
const storedDirs = (s: RunningServer) => readdir(join(s.dataDir, 'classifiers'));

test.serial('an uploaded classifier is listed, shown, guides svdd generation, and is deleted', async (t) => {
  const up = await call(server, '/v1/classifiers', { body: UPLOAD });
  t.is(up.status, 201, up.bytes.toString().slice(0, 400));
  t.true(ClassifierSchema.safeParse(up.json).success, JSON.stringify(up.json));
  const id = up.json.id;
  t.is(up.headers.get('location'), `/v1/classifiers/${id}`);
  t.like(up.json, { ref: id, name: 'my judge', kind: 'classifier', source: 'upload', image: { width: 32, height: 32, channels: 3 }, gradients: [], bytes: onnx.length });
  t.deepEqual(up.json.classes, manifest.classes);

  const list = await call(server, '/v1/classifiers');
  t.true(ClassifierListSchema.safeParse(list.json).success);
  t.deepEqual(list.json.classifiers.map((c: { id: string }) => c.id), [id]);
  t.is((await call(server, `/v1/classifiers/${id}`)).json.sha256, up.json.sha256);
  t.true((await call(server, '/v1/catalog')).json.models.some((m: { ref: string; source: string }) => m.ref === id && m.source === 'upload'), 'the catalog lists uploads');

  const body = { classes: ['cube', 'car'], count: 2, steps: 4, scheduler: 'ddim', eta: 1, guidance: { criterion: 'entropy', mode: 'svdd', classifier: id } };
  const gen = await call(server, '/v1/generate', { body });
  t.is(gen.status, 200, gen.bytes.toString().slice(0, 400));
  t.true(GenerateResponseSchema.safeParse(gen.json).success);
  t.like(gen.json.guidance, { criterion: 'entropy', mode: 'svdd', candidates: 4, classifier: id });
  for (const image of gen.json.images) {
    t.like(image.guidance, { criterion: 'entropy', mode: 'svdd', classifier: id });
    t.true(typeof image.criterion === 'number' && image.criterion >= 0 && image.criterion <= Math.log(10) + 1e-6, `entropy in [0, ln 10], got ${image.criterion}`);
  }
  const cachedBefore = server.models.cached;
  await call(server, '/v1/generate', { body });
  t.is(server.models.cached, cachedBefore, 'the second run reuses the cached sessions');

  const gradient = await call(server, '/v1/generate', { body: { ...body, guidance: { criterion: 'margin', mode: 'gradient', classifier: id } } });
  isError(t, gradient, 400);
  t.is(gradient.json.error.details.issues[0].path, 'guidance.mode');
  t.regex(gradient.json.error.message, /no input-gradient output for margin/);

  const del = await call(server, `/v1/classifiers/${id}`, { method: 'DELETE' });
  t.is(del.status, 200);
  t.is(del.json.id, id);
  isError(t, await call(server, `/v1/classifiers/${id}`), 404, 'not_found');
  isError(t, await call(server, `/v1/classifiers/${id}`, { method: 'DELETE' }), 404);
  t.deepEqual((await call(server, '/v1/classifiers')).json.classifiers, []);
  const gone = await call(server, '/v1/generate', { body });
  isError(t, gone, 400);
  t.regex(gone.json.error.message, /guidance\.classifier: .*no uploaded classifier has this id/);
  t.deepEqual(await storedDirs(server), [], 'nothing left on disk');
});

test.serial('a guidance classifier uploaded with its forward-only graph serves gradient guidance', async (t) => {
  const dir = join(process.cwd(), 'models', 'synth-classifier-32-guide');
  const guideManifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const model = readFileSync(join(dir, 'model.onnx')).toString('base64');
  const forward = readFileSync(join(dir, 'forward.onnx')).toString('base64');
  const up = await call(server, '/v1/classifiers', { body: { manifest: guideManifest, model, forward } });
  t.is(up.status, 201, up.bytes.toString().slice(0, 400));
  t.deepEqual([...up.json.gradients].sort(), ['entropy', 'loss', 'margin']);
  const stored = JSON.parse(await readFile(join(server.dataDir, 'classifiers', up.json.id, 'model.json'), 'utf8'));
  t.is(stored.forwardFile, 'forward.onnx', 'the forward graph is stored beside the full one');
  const gen = await call(server, '/v1/generate', { body: { classes: ['mug'], count: 2, steps: 5, guidance: { criterion: 'loss', mode: 'gradient', steps: [1, 3], classifier: up.json.id } } });
  t.is(gen.status, 200, gen.bytes.toString().slice(0, 400));
  t.like(gen.json.images[0].guidance, { criterion: 'loss', mode: 'gradient', steps: [1, 3] });
  t.true(gen.json.images.every((i: { criterion: number }) => i.criterion >= 0), 'a loss per image');
  const noForward = await call(server, '/v1/classifiers', { body: { manifest: guideManifest, model } });
  t.is(noForward.status, 201, 'without `forward`, the manifest\'s forwardFile is dropped and the full graph serves everything');
  const broken = await call(server, '/v1/classifiers', { body: { manifest: guideManifest, model, forward: readFileSync(join(JUDGE, 'model.onnx')).toString('base64') } });
  isError(t, broken, 400);
  t.regex(broken.json.error.message, /^forward: /, 'a forward graph that does not fit is named by its body field');
  for (const id of [up.json.id, noForward.json.id]) await call(server, `/v1/classifiers/${id}`, { method: 'DELETE' });
});

test('refused uploads answer 400 naming the problem, and keep nothing', async (t) => {
  const withoutGiraffe = { ...manifest, classes: manifest.classes.slice(0, 9) };
  const bigInput = { ...manifest, input: { ...manifest.input, shape: ['B', 3, 64, 64] }, image: { width: 64, height: 64, channels: 3 } };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...UPLOAD, model: onnx.subarray(0, onnx.length >> 1).toString('base64') }, /model: expected an ONNX model onnxruntime can load/],
    [{ ...UPLOAD, manifest: withoutGiraffe }, /outputs\.logits\.shape: expected \[B, 9\] \(one logit per class in `classes`\), got "\[B, 10\]"/],
    [{ ...UPLOAD, manifest: bigInput }, /input image shape\[2\]: expected 64 \(\[B, 3, 64, 64\]\), got "32 \(\[B, 3, 32, 32\]\)"/],
    [{ ...UPLOAD, manifest: { ...manifest, kind: 'denoiser' } }, /manifest\.kind: /],
    [{ ...UPLOAD, manifest: { ...manifest, file: '../../../etc/passwd', outputs: { logits: manifest.outputs.logits } } }, /output names: expected \[logits\]/],
    [{ ...UPLOAD, model: 'not base64!' }, /model: expected the ONNX file as base64/],
    [{ manifest }, /model: /],
  ];
  for (const [body, message] of cases) {
    const a = await call(server, '/v1/classifiers', { body });
    isError(t, a, 400);
    t.regex(a.json.error.message, message);
    t.false(a.json.error.message.includes(server.dataDir), `no server paths: ${a.json.error.message}`);
  }
  t.false((await storedDirs(server)).some((d) => !/^[0-9a-f-]{36}$/.test(d)), 'no staging folders left');
  const elsewhere = await call(server, '/v1/classifiers', { body: { ...UPLOAD, manifest: { ...manifest, file: '../../../etc/passwd' } } });
  t.is(elsewhere.status, 201, 'a manifest `file` is ignored: the upload is stored as model.onnx');
  t.is(JSON.parse(await readFile(join(server.dataDir, 'classifiers', elsewhere.json.id, 'model.json'), 'utf8')).file, 'model.onnx');
  t.is((await call(server, `/v1/classifiers/${elsewhere.json.id}`, { method: 'DELETE' })).status, 200);
  isError(t, await call(server, '/v1/classifiers/not-an-id'), 400);
  isError(t, await call(server, '/v1/classifiers', { body: UPLOAD, headers: { 'content-type': 'text/plain' } }), 415);
});

test('uploads over maxClassifierBytes answer 413', async (t) => {
  const decoded = await serve({ limits: { maxClassifierBytes: 1_000_000 } });
  const parser = await serve({ limits: { maxClassifierBytes: 512 * 1024, bodyLimit: 64 * 1024 } });
  try {
    const a = await call(decoded, '/v1/classifiers', { body: UPLOAD });
    isError(t, a, 413, 'payload_too_large');
    t.regex(a.json.error.message, new RegExp(`${onnx.length} bytes, over the limit of 1000000 bytes \\(maxClassifierBytes\\)`));
    const b = await call(parser, '/v1/classifiers', { body: UPLOAD });
    isError(t, b, 413, 'payload_too_large');
    t.regex(b.json.error.message, /maxClassifierBytes 524288/);
    isError(t, await call(parser, '/v1/generate', { body: { classes: ['cube'], pad: 'x'.repeat(70 * 1024) } }), 413, 'payload_too_large');
    t.deepEqual(await storedDirs(decoded), []);
  } finally {
    await decoded.shutdown();
    await parser.shutdown();
  }
});

// Hostile graphs: test/diffusion/fixtures/hostile/make_hostile.py. Each upload must be refused within
// the server's model budget while the server keeps answering.
const HOSTILE = join(process.cwd(), 'test', 'diffusion', 'fixtures', 'hostile');
const hostileUpload = (name: string) => ({
  manifest: JSON.parse(readFileSync(join(HOSTILE, name, 'model.json'), 'utf8')),
  model: readFileSync(join(HOSTILE, name, 'model.onnx')).toString('base64'),
});

test.serial('hostile classifiers are refused with 400 naming the budget, while /v1/health keeps answering', async (t) => {
  // loops against a short time budget; allocations against a small memory budget (and the output bound)
  const timed = await serve({ modelBudget: { timeoutMs: 4000 } });
  const sized = await serve({ modelBudget: { memoryMb: 1024 } });
  try {
    const cases: [RunningServer, string, RegExp][] = [
      [timed, 'loop-forever', /loop-forever: test inference on 3 images \(mid-grey, seeded noise, seeded smooth pattern\): model loop-forever: stopped after the time budget of 4000 ms per run \(SYNTH_MODEL_TIMEOUT_MS\)/],
      // zero iterations on an all-zero image, endless on any real one
      [timed, 'loop-input', /loop-input: test inference on 3 images .*stopped after the time budget of 4000 ms/],
      [sized, 'huge-output', /output features \(70000000 values, dims \[70000000\]\): an output over the bound of 67108864 values \(MODEL_LIMITS\.maxOutputValues\)/],
      [sized, 'memory-hog', /memory-hog: test inference on 3 images .*stopped at the memory budget of 1024 MiB \(SYNTH_MODEL_MEMORY_MB\)/],
    ];
    for (const [guarded, name, message] of cases) {
      let answered = false;
      const upload = call(guarded, '/v1/classifiers', { body: hostileUpload(name) }).finally(() => { answered = true; });
      await new Promise((r) => setTimeout(r, 500)); // the check is under way in its runner
      const health = await call(guarded, '/v1/health');
      t.is(health.status, 200, `${name}: /v1/health answers`);
      if (name.startsWith('loop')) t.false(answered, `${name}: /v1/health answered while the hostile run was still in progress`);
      const a = await upload;
      isError(t, a, 400);
      t.regex(a.json.error.message, message, name);
      t.false(a.json.error.message.includes(guarded.dataDir), `no server paths: ${a.json.error.message}`);
    }
    t.deepEqual(await storedDirs(timed), [], 'nothing stored, no staging folder left');
    t.deepEqual(await storedDirs(sized), [], 'nothing stored, no staging folder left');
    const good = await call(timed, '/v1/classifiers', { body: UPLOAD });
    t.is(good.status, 201, 'a sane classifier still uploads after the hostile ones');
  } finally {
    await timed.shutdown();
    await sized.shutdown();
  }
});

test('a manifest image over MODEL_LIMITS.maxImageSide is a 400 naming the field, not a 500', async (t) => {
  for (const side of [8000, 100_000]) {
    const a = await call(server, '/v1/classifiers', { body: { ...UPLOAD, manifest: { ...manifest, image: { width: side, height: side, channels: 3 } } } });
    isError(t, a, 400);
    t.is(a.json.error.details.issues[0].path, 'manifest.image.width');
    t.regex(a.json.error.message, new RegExp(`manifest\\.image\\.width: expected .*2048, got ${side}`));
  }
});

test.serial('a shutdown stops an upload check stuck in a hostile graph: the upload answers 503, the server closes', async (t) => {
  const patient = await serve({ modelBudget: { timeoutMs: 600_000 } });
  const upload = call(patient, '/v1/classifiers', { body: hostileUpload('loop-forever') });
  await new Promise((r) => setTimeout(r, 1500)); // inside the endless loop by now
  const shutdown = patient.shutdown();
  const a = await upload; // without stopChecks the connection is cut after shutdownTimeoutMs instead
  isError(t, a, 503, 'shutting_down');
  await shutdown;
  t.deepEqual(await storedDirs(patient), [], 'nothing stored');
});
