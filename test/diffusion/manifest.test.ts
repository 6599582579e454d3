import test from 'ava';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/core/errors.js';
import { loadDenoiser } from '../../src/diffusion/load.js';
import {
  checkDenoiserSignature, DenoiserManifestSchema, locateModel, parseManifest, type DenoiserManifest, type SessionSignature,
} from '../../src/diffusion/manifest.js';

// Fixtures: test/diffusion/fixtures/make_fixtures.py (python3-onnx helper API).
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tinyManifest = (): DenoiserManifest => parseManifest(DenoiserManifestSchema, JSON.parse(readFileSync(`${fixture('tiny')}/model.json`, 'utf8')));

const GOOD: SessionSignature = {
  inputs: [{ name: 'x', type: 'float32', shape: ['B', 3, 8, 8] }, { name: 't', type: 'int64', shape: ['B'] }, { name: 'class', type: 'int64', shape: ['B'] }],
  outputs: [{ name: 'pred', type: 'float32', shape: ['B', 3, 8, 8] }],
};

test('a session that fits its manifest passes; t may be int64 or float32', (t) => {
  const m = tinyManifest();
  t.notThrows(() => checkDenoiserSignature(m, GOOD));
  t.notThrows(() => checkDenoiserSignature(m, { ...GOOD, inputs: [GOOD.inputs[0], { name: 't', type: 'float32', shape: ['B'] }, GOOD.inputs[2]] }));
});

test('wrong input and output names are named, expected vs actual (real ONNX fixture)', async (t) => {
  const err = await t.throwsAsync(loadDenoiser(fixture('wrong-names')), { instanceOf: InputError });
  t.regex(err!.message, /input names: expected \[x, t, class\] \(from model\.json\), got \["sample","timestep","labels"\]/);
  t.regex(err!.message, /output names: expected \[pred\] \(from model\.json\), got \["out"\]/);
});

test('wrong dtypes and ranks are named (real ONNX fixture)', async (t) => {
  const err = await t.throwsAsync(loadDenoiser(fixture('wrong-types')), { instanceOf: InputError });
  t.regex(err!.message, /input x rank: expected 4 \(\[B, 3, 8, 8\]\), got "2 \(\[B, 192\]\)"/);
  t.regex(err!.message, /input class dtype: expected int64/);
  t.regex(err!.message, /got "float32"/);
  t.notRegex(err!.message, /input t dtype/, 'a float32 timestep is allowed');
});

test('wrong fixed sizes are named', (t) => {
  const m = tinyManifest();
  const sig: SessionSignature = { ...GOOD, inputs: [{ name: 'x', type: 'float32', shape: ['B', 3, 16, 16] }, GOOD.inputs[1], GOOD.inputs[2]] };
  t.throws(() => checkDenoiserSignature(m, sig), { instanceOf: InputError, message: /input x shape\[2\]: expected 8 \(\[B, 3, 8, 8\]\), got "16 \(\[B, 3, 16, 16\]\)"/ });
});

test('a file that is not ONNX is an InputError quoting onnxruntime', async (t) => {
  await t.throwsAsync(loadDenoiser(fixture('malformed')), { instanceOf: InputError, message: /expected an ONNX model onnxruntime can load.*protobuf parsing failed/s });
});

test('manifest fields are validated with their JSON path', (t) => {
  const raw = JSON.parse(readFileSync(`${fixture('tiny')}/model.json`, 'utf8'));
  t.throws(() => parseManifest(DenoiserManifestSchema, { ...raw, predictionType: 'noise' }, 'm.json'), { instanceOf: InputError, message: /m\.json: predictionType: expected one of .*"epsilon".*got "noise"/ });
  t.throws(() => parseManifest(DenoiserManifestSchema, { ...raw, inputs: { ...raw.inputs, class: { ...raw.inputs.class, dtype: 'float32' } } }, 'm.json'), { instanceOf: InputError, message: /inputs\.class\.dtype/ });
  const m = tinyManifest();
  t.throws(() => checkDenoiserSignature({ ...m, nullClass: 1 }, GOOD), { instanceOf: InputError, message: /nullClass: expected an index >= the 3 classes/ });
  t.throws(() => checkDenoiserSignature({ ...m, image: { ...m.image, width: 16 } }, GOOD), { instanceOf: InputError, message: /inputs\.sample\.shape\[3\]: expected 16/ });
});

test('an unknown model name lists the models that exist', (t) => {
  t.throws(() => locateModel('no-such-model', fixture('')), { instanceOf: InputError, message: /--model: expected a model name .*malformed, tiny, wrong-names, wrong-types.*got "no-such-model"/ });
  t.is(locateModel('tiny', fixture('')), `${fixture('tiny')}/model.json`);
});
