import test from 'ava';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, NodeIO } from '@gltf-transform/core';
// @ts-expect-error gltf-validator ships no type declarations
import validator from 'gltf-validator';
import { BUILTIN_CLASSES, createAssetLibrary } from '../../src/assets/library.js';
import { toColor } from '../../src/assets/materials.js';
import { exportAssets, midParams, type ExportedAsset } from '../../src/assets/gltf-export.js';
import { loadAssetFolder, loadGltfAsset } from '../../src/assets/gltf-import.js';
import type { AssetClass } from '../../src/assets/kit.js';
import { InputError } from '../../src/core/errors.js';
import { createRenderer, type Frame, type SceneRenderer } from '../../src/render/renderer.js';
import type { ObjectDescription, SceneDescription } from '../../src/spec/sample.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');

interface Report {
  issues: { numErrors: number; numWarnings: number; messages: { code: string; severity: number; pointer?: string; message: string }[] };
}

async function validate(path: string): Promise<Report> {
  return validator.validateBytes(new Uint8Array(await readFile(path)), { maxIssues: 0, writeTimestamp: false });
}

async function tmp(tag: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `synth-gltf-${tag}-`));
}

/** The first built-in class and variant whose default main surface carries a texture. */
function texturedClass(): { cls: AssetClass; variant: number } | null {
  for (const cls of BUILTIN_CLASSES) {
    for (let v = 0; v < cls.variants.length; v++) {
      const tex = cls.surface(v, midParams(cls)).texture;
      if (tex && tex !== 'plain' && tex !== 'default') return { cls, variant: v };
    }
  }
  return null;
}

// Every built-in class and variant, exported once for the whole file.
let exportDir: string;
let exported: ExportedAsset[];
test.before(async () => {
  exportDir = await tmp('export');
  exported = await exportAssets(exportDir, { classes: BUILTIN_CLASSES });
});

test('every built-in class and variant exports to a .glb the Khronos validator accepts', async (t) => {
  t.is(exported.length, BUILTIN_CLASSES.reduce((n, c) => n + c.variants.length, 0));
  for (const cls of BUILTIN_CLASSES) {
    for (const v of cls.variants) t.true(existsSync(join(exportDir, cls.name, `${v}.glb`)), `${cls.name}/${v}.glb written`);
  }
  const leftovers = (await readdir(exportDir, { recursive: true })).filter((f) => String(f).endsWith('.tmp'));
  t.deepEqual(leftovers, [], 'no temp files left');
  let errors = 0;
  for (const f of exported) {
    const report = await validate(f.path);
    const errs = report.issues.messages.filter((m) => m.severity === 0);
    if (errs.length) t.log(f.path, errs.slice(0, 3));
    errors += report.issues.numErrors;
  }
  t.is(errors, 0, 'no validator errors in any exported file');
});

test('exported materials: linear base colour factor, roughness, metalness, PNG base colour texture', async (t) => {
  const io = new NodeIO();
  const cube = BUILTIN_CLASSES.find((c) => c.name === 'cube')!;
  const surface = cube.surface(0, midParams(cube));
  const doc = await io.read(join(exportDir, 'cube', `${cube.variants[0]}.glb`));
  const [mat] = doc.getRoot().listMaterials();
  const linear = toColor(surface.color);
  const f = mat.getBaseColorFactor();
  t.true(Math.abs(f[0] - linear.r) < 1e-6 && Math.abs(f[1] - linear.g) < 1e-6 && Math.abs(f[2] - linear.b) < 1e-6, `base colour ${f} is the linear ${linear.toArray()}`);
  t.is(f[3], 1);
  t.true(Math.abs(mat.getRoughnessFactor() - (surface.roughness ?? 0.6)) < 1e-6);
  t.true(Math.abs(mat.getMetallicFactor() - (surface.metalness ?? 0)) < 1e-6);
  t.is(doc.getRoot().getDefaultScene()?.listChildren()[0].getExtras().synth !== undefined, true, 'class, variant and params in the root node extras');
  const textured = texturedClass();
  if (!textured) return t.log('no built-in class with a default texture');
  const tdoc = await io.read(join(exportDir, textured.cls.name, `${textured.cls.variants[textured.variant]}.glb`));
  const withMap = tdoc.getRoot().listMaterials().filter((m) => m.getBaseColorTexture());
  t.true(withMap.length > 0, `${textured.cls.name} has a base colour texture`);
  t.is(withMap[0].getBaseColorTexture()!.getMimeType(), 'image/png');
  t.is(withMap[0].getBaseColorTexture()!.getSize()?.[0], 256);
});

test('importing the exported folder gives one class per folder, variants sorted, surfaces kept', async (t) => {
  const warnings: string[] = [];
  const classes = await loadAssetFolder(exportDir, { warn: (m) => warnings.push(m) });
  t.deepEqual(warnings, []);
  t.deepEqual(classes.map((c) => c.name), BUILTIN_CLASSES.map((c) => c.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  for (const c of classes) {
    const builtin = BUILTIN_CLASSES.find((b) => b.name === c.name)!;
    t.deepEqual(c.variants, [...builtin.variants].sort(), `${c.name} variants are the file names, sorted`);
    t.is(c.family, 'user');
    const v = c.variants[0];
    const s = c.surface(0, {});
    const b = builtin.surface(builtin.variants.indexOf(v), midParams(builtin));
    t.is(s.color, `#${toColor(b.color).getHexString()}`, `${c.name}/${v} main colour`);
    t.true(Math.abs((s.roughness ?? 0) - (b.roughness ?? 0.6)) < 1e-6, `${c.name}/${v} roughness`);
  }
  // Parsed once: the same file gives the same (cached) asset.
  const file = join(exportDir, 'cube', 'metal.glb');
  t.is(await loadGltfAsset(file), await loadGltfAsset(file));
});

test('a .gltf with external buffers and images loads relative to the file', async (t) => {
  const textured = texturedClass();
  const [name, variant] = textured ? [textured.cls.name, textured.cls.variants[textured.variant]] : ['cube', 'metal'];
  const io = new NodeIO();
  const doc = await io.read(join(exportDir, name, `${variant}.glb`));
  const dir = await tmp('gltf');
  await mkdir(join(dir, 'thing'));
  await io.write(join(dir, 'thing', 'model.gltf'), doc);
  const files = await readdir(join(dir, 'thing'));
  t.true(files.includes('model.bin'), files.join());
  const fromGlb = await loadGltfAsset(join(exportDir, name, `${variant}.glb`));
  const asset = await loadGltfAsset(join(dir, 'thing', 'model.gltf'));
  t.is(asset.name, 'model');
  t.is(asset.triangles, fromGlb.triangles);
  t.deepEqual(asset.surface, fromGlb.surface);
  t.is(asset.parts.some((p) => p.material.map), fromGlb.parts.some((p) => p.material.map), 'the external image is decoded');
});

test('without a marker, the main material is the one covering the largest area', async (t) => {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const quad = (size: number, x: number) => {
    const pos = new Float32Array([x, 0, 0, x + size, 0, 0, x + size, size, 0, x, size, 0]);
    return doc.createPrimitive()
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(pos).setBuffer(buffer))
      .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint16Array([0, 1, 2, 0, 2, 3])).setBuffer(buffer));
  };
  const small = doc.createMaterial('small').setBaseColorFactor([0, 0, 1, 1]);
  const big = doc.createMaterial('big').setBaseColorFactor([1, 0, 0, 1]).setRoughnessFactor(0.3).setMetallicFactor(0);
  const mesh = doc.createMesh().addPrimitive(quad(0.2, 0).setMaterial(small)).addPrimitive(quad(1, 1).setMaterial(big));
  const scene = doc.createScene();
  scene.addChild(doc.createNode().setMesh(mesh).setScale([2, 2, 2]));
  const dir = await tmp('area');
  await writeFile(join(dir, 'two.glb'), await new NodeIO().writeBinary(doc));
  const asset = await loadGltfAsset(join(dir, 'two.glb'));
  t.deepEqual(asset.surface, { color: '#ff0000', roughness: 0.3, metalness: 0 });
  t.deepEqual(asset.parts.map((p) => p.main).sort(), [false, true]);
  t.true(asset.parts.every((p) => p.geometry.getAttribute('normal')), 'flat normals computed where NORMAL is missing');
  const box = asset.parts.find((p) => p.main)!.geometry.boundingBox!;
  t.is(box.max.x, 4, 'node scale baked into the geometry');
});

test('a corrupt file and a file without meshes are InputErrors naming the file', async (t) => {
  const dir = await tmp('bad');
  const corrupt = join(dir, 'x.glb');
  await writeFile(corrupt, randomBytes(2048));
  const e1 = await t.throwsAsync(loadGltfAsset(corrupt), { instanceOf: InputError });
  t.true(e1!.message.includes(corrupt), e1!.message);
  t.regex(e1!.message, /cannot read glTF/);
  const doc = new Document();
  doc.createBuffer();
  const scene = doc.createScene('empty');
  scene.addChild(doc.createNode('nothing'));
  doc.getRoot().setDefaultScene(scene);
  const empty = join(dir, 'empty.glb');
  await writeFile(empty, await new NodeIO().writeBinary(doc));
  const e2 = await t.throwsAsync(loadGltfAsset(empty), { instanceOf: InputError });
  t.true(e2!.message.includes(empty));
  t.regex(e2!.message, /no triangle meshes/);
  const text = join(dir, 'notes.obj');
  await writeFile(text, 'v 0 0 0\n');
  const e3 = await t.throwsAsync(loadGltfAsset(text), { instanceOf: InputError });
  t.regex(e3!.message, /unsupported file type/);
  const json = join(dir, 'broken.gltf');
  await writeFile(json, '{"asset": {"version": "2.0"}, "buffers": [{"uri": "missing.bin", "byteLength": 12}]');
  const e4 = await t.throwsAsync(loadGltfAsset(json), { instanceOf: InputError });
  t.true(e4!.message.includes(json));
});

test('loading a folder skips bad files with a warning; a folder with nothing loadable is an InputError', async (t) => {
  const dir = await tmp('folder');
  await mkdir(join(dir, 'box'));
  await mkdir(join(dir, 'junk'));
  await copyFile(join(exportDir, 'cube', 'metal.glb'), join(dir, 'box', 'b.glb'));
  await writeFile(join(dir, 'box', 'a.glb'), randomBytes(500));
  await writeFile(join(dir, 'box', 'readme.txt'), 'not an asset');
  await writeFile(join(dir, 'junk', 'x.glb'), randomBytes(500));
  const warnings: string[] = [];
  const classes = await loadAssetFolder(dir, { warn: (m) => warnings.push(m) });
  t.deepEqual(classes.map((c) => c.name), ['box']);
  t.deepEqual(classes[0].variants, ['b']);
  t.true(warnings.some((w) => w.includes(join(dir, 'box', 'a.glb')) && /cannot read glTF/.test(w)), warnings.join('\n'));
  t.true(warnings.some((w) => w.includes(join(dir, 'junk', 'x.glb'))), warnings.join('\n'));
  t.true(warnings.some((w) => /class "junk"/.test(w)), 'the empty class is reported');
  const bad = await tmp('allbad');
  await mkdir(join(bad, 'junk'));
  await writeFile(join(bad, 'junk', 'x.glb'), randomBytes(500));
  const err = await t.throwsAsync(loadAssetFolder(bad, { warn: () => {} }), { instanceOf: InputError });
  t.regex(err!.message, /found none/);
  await t.throwsAsync(loadAssetFolder(join(bad, 'nope'), { warn: () => {} }), { instanceOf: InputError, message: /--assets/ });
});

// ---- rendering imported assets ----

function object(cls: string, asset: number, over: Partial<ObjectDescription> = {}): ObjectDescription {
  return {
    class: cls, classIndex: 0, asset, assetName: '', params: {}, position: [0, 0, 0], yaw: 30, pitch: 0, roll: 0, scale: 1,
    texture: 'default', color: 'default', roughness: null, metalness: null, ...over,
  };
}

function scene(o: ObjectDescription): SceneDescription {
  return {
    id: 't', index: 0, seed: 0, resolution: [64, 64], environment: 'studio',
    light: { intensity: 1, azimuth: 30, elevation: 50, temperature: 6500 },
    camera: { distance: 2.6, elevation: 15, azimuth: 0, fov: 40, target: [0, 0.45, 0] },
    objects: [o], factors: {},
  };
}

function centre(f: Frame): [number, number, number] {
  const acc = [0, 0, 0];
  let n = 0;
  for (let y = f.height / 2 - 2; y < f.height / 2 + 2; y++) {
    for (let x = f.width / 2 - 2; x < f.width / 2 + 2; x++) {
      const o = (y * f.width + x) * 4;
      acc[0] += f.rgba[o]; acc[1] += f.rgba[o + 1]; acc[2] += f.rgba[o + 2];
      n++;
    }
  }
  return acc.map((v) => v / n) as [number, number, number];
}

/** Mean absolute difference of two frames' RGB, in 8-bit levels. */
function meanDiff(a: Frame, b: Frame): number {
  let d = 0;
  for (let i = 0; i < a.rgba.length; i += 4) d += Math.abs(a.rgba[i] - b.rgba[i]) + Math.abs(a.rgba[i + 1] - b.rgba[i + 1]) + Math.abs(a.rgba[i + 2] - b.rgba[i + 2]);
  return d / (a.rgba.length / 4) / 3;
}

test('an imported asset renders like the built-in it was exported from, and takes the factors', async (t) => {
  const dir = await tmp('user');
  const cube = BUILTIN_CLASSES.find((c) => c.name === 'cube')!;
  await mkdir(join(dir, 'ucube'));
  for (const v of cube.variants) await copyFile(join(exportDir, 'cube', `${v}.glb`), join(dir, 'ucube', `${v}.glb`));
  const textured = texturedClass();
  if (textured) {
    await mkdir(join(dir, 'utex'));
    const v = textured.cls.variants[textured.variant];
    await copyFile(join(exportDir, textured.cls.name, `${v}.glb`), join(dir, 'utex', `${v}.glb`));
  }
  const user = await loadAssetFolder(dir);
  const library = createAssetLibrary(user);
  let renderer: SceneRenderer | undefined;
  try {
    renderer = await createRenderer(library);
    const ucube = library.classes.find((c) => c.name === 'ucube')!;
    const rubber = cube.variants.indexOf('rubber') >= 0 ? 'rubber' : cube.variants[0];
    const builtinFrame = await renderer.render(scene(object('cube', cube.variants.indexOf(rubber), { params: midParams(cube) })));
    const userFrame = await renderer.render(scene(object('ucube', ucube.variants.indexOf(rubber))));
    const c = centre(userFrame);
    const corner = [userFrame.rgba[0], userFrame.rgba[1], userFrame.rgba[2]];
    t.true(Math.abs(c[0] - corner[0]) + Math.abs(c[1] - corner[1]) + Math.abs(c[2] - corner[2]) > 20, `the object covers the centre (${c}) unlike the backdrop (${corner})`);
    // The exported base colour is a neutral grey: the centre is grey, as bright as the built-in's.
    const b = centre(builtinFrame);
    t.true(Math.max(...c) - Math.min(...c) < 12, `grey object, got ${c}`);
    t.true(Math.abs(c[0] - b[0]) < 6 && Math.abs(c[1] - b[1]) < 6 && Math.abs(c[2] - b[2]) < 6, `user ${c} ~ built-in ${b}`);
    t.true(meanDiff(userFrame, builtinFrame) < 3, `whole frames nearly equal (${meanDiff(userFrame, builtinFrame).toFixed(2)})`);
    // The color factor tints the main material.
    const red = centre(await renderer.render(scene(object('ucube', 0, { color: 'red' }))));
    t.true(red[0] > red[1] + 40 && red[0] > red[2] + 40, `color: red gives a red object, got ${red}`);
    if (!textured) return t.log('no built-in class with a default texture');
    // The asset's own texture is kept for texture=default and dropped for texture=plain.
    const tb = await renderer.render(scene(object(textured.cls.name, textured.variant, { params: midParams(textured.cls) })));
    const tu = await renderer.render(scene(object('utex', 0)));
    const tp = await renderer.render(scene(object('utex', 0, { texture: 'plain' })));
    const same = meanDiff(tu, tb);
    const plain = meanDiff(tp, tu);
    t.log(`frames: cube ${meanDiff(userFrame, builtinFrame).toFixed(2)}, textured ${same.toFixed(2)}, plain ${plain.toFixed(2)}; centre ${c} vs ${b}`);
    t.true(same < 4, `textured ${textured.cls.name}: user ~ built-in (${same.toFixed(2)})`);
    t.true(plain > same + 1, `texture=plain drops the own texture (${plain.toFixed(2)} vs ${same.toFixed(2)})`);
  } finally {
    renderer?.dispose();
  }
});

// ---- CLI ----

function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('CLI: assets export, then export, catalog with --assets', async (t) => {
  const out = await tmp('cli');
  const r = await synth(['assets', 'export', '--out', out, '--quiet']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /wrote \d+ glTF assets/);
  t.true(existsSync(join(out, 'cube', 'rubber.glb')));
  t.is((await validate(join(out, 'sphere', 'metal.glb'))).issues.numErrors, 0);
  const some = await synth(['assets', 'export', '--out', join(out, 'some'), '--classes', 'cube,sphere', '--variants', 'metal', '--quiet']);
  t.is(some.code, 0, some.stderr);
  t.deepEqual((await readdir(join(out, 'some'))).sort(), ['cube', 'sphere']);
  t.deepEqual(await readdir(join(out, 'some', 'cube')), ['metal.glb']);
  const badClass = await synth(['assets', 'export', '--out', join(out, 'x'), '--classes', 'dragon']);
  t.is(badClass.code, 2);
  t.regex(badClass.stderr, /--classes: expected a known class/);

  const assets = await tmp('cli-assets');
  await mkdir(join(assets, 'gadget'));
  for (const f of await readdir(join(out, 'cube'))) await copyFile(join(out, 'cube', f), join(assets, 'gadget', f));
  await writeFile(join(assets, 'gadget', 'zz-broken.glb'), randomBytes(300));
  const work = await tmp('cli-work');
  const spec = join(work, 'spec.json');
  await writeFile(spec, JSON.stringify({ name: 'user', seed: 1, count: 3, resolution: [32, 32], classes: ['gadget', 'cube'] }));
  const e = await synth(['export', '--assets', assets, '--spec', spec, '--out', join(work, 'out'), '--quiet']);
  t.is(e.code, 0, e.stderr);
  t.regex(e.stdout, /wrote 3 samples/);
  t.regex(e.stderr, /zz-broken\.glb/, 'the broken file is skipped with a warning');
  const manifest = JSON.parse(await readFile(join(work, 'out', 'manifest.json'), 'utf8'));
  t.is(manifest.count, 3);
  const cat = await synth(['catalog', '--json', '--assets', assets]);
  t.is(cat.code, 0, cat.stderr);
  const gadget = JSON.parse(cat.stdout).classes.find((c: { name: string }) => c.name === 'gadget');
  t.deepEqual(gadget?.variants, ['metal', 'plastic', 'rubber']);
  const without = await synth(['export', '--spec', spec, '--out', join(work, 'out2'), '--quiet']);
  t.is(without.code, 2, 'without --assets the class is unknown');
  const empty = await tmp('cli-empty');
  const none = await synth(['export', '--assets', empty, '--spec', spec, '--out', join(work, 'out3'), '--quiet']);
  t.is(none.code, 2);
  t.regex(none.stderr, /--assets .*found none/);
});
