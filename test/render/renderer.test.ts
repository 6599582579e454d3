import test from 'ava';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer, MAX_BATCH, type SceneRenderer, type Frame, type FrameOptions } from '../../src/render/renderer.js';
import { batchLayers, BATCH_BYTES } from '../../src/render/layer-batches.js';
import { projectPoint } from '../helpers.js';
import type { SceneDescription, ObjectDescription } from '../../src/spec/sample.js';
import type { AssetClass } from '../../src/assets/kit.js';
import * as THREE from 'three';
import { shadowMapSizeFor } from '../../src/render/stage.js';

const library = createAssetLibrary();
let renderer: SceneRenderer;

test.before(async () => {
  renderer = await createRenderer(library);
});
test.after.always(() => renderer?.dispose());

function object(cls: string, color: string, x: number, z = 0): ObjectDescription {
  return {
    class: cls, classIndex: 0, asset: 0, assetName: 'rubber', params: { stretch: 1, squash: 1, aspect: 1, tube: 0.15 },
    position: [x, 0, z], yaw: 0, pitch: 0, roll: 0, scale: 1, texture: 'plain', color, roughness: 0.8, metalness: 0,
  };
}

function scene(objects: ObjectDescription[], over: Partial<SceneDescription> = {}): SceneDescription {
  return {
    id: 't', index: 0, seed: 0, resolution: [160, 120], environment: 'studio',
    light: { intensity: 1, azimuth: 30, elevation: 60, temperature: 6500 },
    camera: { distance: 5, elevation: 10, azimuth: 0, fov: 40, target: [0, 0.5, 0] },
    objects, factors: {}, ...over,
  };
}

function pixel(f: Frame, x: number, y: number): [number, number, number] {
  const o = (Math.round(y) * f.width + Math.round(x)) * 4;
  return [f.rgba[o], f.rgba[o + 1], f.rgba[o + 2]];
}

const project = projectPoint;

test('objects appear where the camera says, not mirrored', async (t) => {
  const desc = scene([object('cube', 'red', -1), object('cube', 'blue', 1)]);
  const f = await renderer.render(desc);
  t.is(f.width, 160);
  t.is(f.height, 120);
  t.is(f.rgba.length, 160 * 120 * 4);
  const [rx, ry] = project(desc, [-1, 0.5, 0]);
  const [bx, by] = project(desc, [1, 0.5, 0]);
  t.true(rx < bx, 'the object at -x is on the left');
  const red = pixel(f, rx, ry);
  const blue = pixel(f, bx, by);
  t.true(red[0] > red[2] + 40 && red[0] > red[1] + 40, `red cube at its projected centre, got ${red}`);
  t.true(blue[2] > blue[0] + 40, `blue cube at its projected centre, got ${blue}`);
  // From behind (azimuth 180) the two swap sides.
  const behind = { ...desc, camera: { ...desc.camera, azimuth: 180 } };
  const g = await renderer.render(behind);
  const [rx2, ry2] = project(behind, [-1, 0.5, 0]);
  t.true(rx2 > 80, 'seen from behind, the -x object is on the right');
  const red2 = pixel(g, rx2, ry2);
  t.true(red2[0] > red2[2] + 40, `red cube on the right from behind, got ${red2}`);
});

test('background where no object is, and the image is not upside down', async (t) => {
  const desc = scene([object('sphere', 'red', 0)], { environment: 'meadow', camera: { distance: 5, elevation: 8, azimuth: 0, fov: 40, target: [0, 0.5, 0] } });
  const f = await renderer.render(desc);
  const top = pixel(f, 5, 2);
  const bottom = pixel(f, 5, f.height - 3);
  t.true(top[2] > top[1] && top[2] > top[0], `top-left corner is blue sky, got ${top}`);
  t.true(bottom[1] > bottom[2] && bottom[1] > bottom[0], `bottom-left corner is green grass, got ${bottom}`);
  const studio = await renderer.render(scene([object('sphere', 'red', 0)]));
  const corner = pixel(studio, 3, 3);
  t.true(Math.max(...corner) - Math.min(...corner) < 12 && corner[0] > 120, `studio backdrop is light grey, got ${corner}`);
});

test('output is sRGB-encoded and tone-mapped: a mid-grey object is not crushed to black', async (t) => {
  const desc = scene([object('cube', '#808080', 0)], { camera: { distance: 3.2, elevation: 5, azimuth: 30, fov: 40, target: [0, 0.5, 0] } });
  const f = await renderer.render(desc);
  const [x, y] = project(desc, [0, 0.5, 0.5]);
  const p = pixel(f, x, y);
  t.true(p[0] > 60 && p[0] < 250, `lit grey face has a mid value in sRGB, got ${p}`);
});

test('same description, same pixels; renders reuse one renderer', async (t) => {
  const desc = scene([object('torus', 'green', 0)]);
  const a = await renderer.render(desc);
  for (let i = 0; i < 30; i++) await renderer.render(scene([object('cone', 'yellow', 0)], { resolution: [64 + i, 64] }));
  const b = await renderer.render(desc);
  t.deepEqual(Buffer.from(a.rgba), Buffer.from(b.rgba), 'identical bytes');
});

test('shadows: the ground beside an object, away from the sun, is darker than the open ground', async (t) => {
  const desc = scene([object('cube', 'white', 0)], { light: { intensity: 1.5, azimuth: 90, elevation: 35, temperature: 6500 }, camera: { distance: 6, elevation: 60, azimuth: 0, fov: 40, target: [0, 0, 0] } });
  const f = await renderer.render(desc);
  const [sx, sy] = project(desc, [-1.2, 0, 0]); // shadow side (sun at +x)
  const [lx, ly] = project(desc, [1.6, 0, 0.8]); // open ground
  const shade = pixel(f, sx, sy);
  const lit = pixel(f, lx, ly);
  t.true(shade[0] + 15 < lit[0], `shadowed ground ${shade} darker than lit ground ${lit}`);
});

test('the shadow map is sized at about a texel per image pixel, a power of two from 128 to the cap', (t) => {
  t.is(shadowMapSizeFor([64, 64], 512), 128);
  t.is(shadowMapSizeFor([128, 96], 512), 128);
  t.is(shadowMapSizeFor([224, 224], 512), 256);
  t.is(shadowMapSizeFor([320, 240], 512), 512);
  t.is(shadowMapSizeFor([1024, 768], 512), 512);
  t.is(shadowMapSizeFor([1024, 768], 2048), 1024);
});

test('a user class with vertex colours renders them (pooled meshes keep every attribute)', async (t) => {
  const painted: AssetClass = {
    name: 'painted', family: 'user', variants: ['a', 'b', 'c'], params: {},
    surface: () => ({ color: '#ffffff' }),
    build(b) {
      const g = new THREE.BoxGeometry(1, 1, 1);
      const n = g.getAttribute('position').count;
      g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(n * 3).map((_, i) => (i % 3 === 0 ? 1 : 0.05)), 3));
      b.add(g, new THREE.MeshStandardMaterial({ vertexColors: true, color: 0xffffff, roughness: 0.8 }));
    },
  };
  const own = await createRenderer(createAssetLibrary([painted]));
  try {
    const desc = scene([{ ...object('painted', 'default', 0), assetName: 'a', params: {}, texture: 'default' }], { camera: { distance: 3.2, elevation: 5, azimuth: 30, fov: 40, target: [0, 0.5, 0] } });
    // Twice, with another object in between on the same pooled slot.
    const first = await own.render(desc);
    await own.render(scene([object('cube', 'blue', 0)]));
    const again = await own.render(desc);
    const [x, y] = project(desc, [0, 0.5, 0.5]);
    for (const f of [first, again]) {
      const p = pixel(f, x, y);
      t.true(p[0] > p[1] + 60 && p[0] > p[2] + 60, `red vertex colours on the face, got ${p}`);
    }
    t.deepEqual(Buffer.from(first.rgba), Buffer.from(again.rgba));
  } finally {
    own.dispose();
  }
});

test('metals reflect their environment: a mirror sphere shows the sky above and the ground below', async (t) => {
  const mirror = { ...object('sphere', 'white', 0), metalness: 1, roughness: 0.05 };
  const desc = scene([mirror], { environment: 'meadow', camera: { distance: 4, elevation: 5, azimuth: 0, fov: 40, target: [0, 0.5, 0] } });
  const f = await renderer.render(desc);
  const top = pixel(f, ...project(desc, [0, 0.8, 0.3]));
  const bottom = pixel(f, ...project(desc, [0, 0.2, 0.3]));
  // meadow: a blue sky over green grass.
  t.true(top[2] > top[0] + 30 && top[2] > top[1], `upper half reflects the blue sky, got ${top}`);
  t.true(bottom[2] < top[2] - 30, `lower half reflects the darker ground, got ${bottom} under ${top}`);
});

test('renders asked together (each drawn while the last one\'s pixels come back) equal renders asked one by one', async (t) => {
  const descs = [
    scene([object('cube', 'red', -1), object('sphere', 'blue', 1)]),
    scene([object('torus', 'green', 0)], { environment: 'meadow' }),
    scene([object('cube', 'yellow', 0.5), object('cube', 'purple', -0.5, 1)], { environment: 'night', resolution: [96, 64] }),
    scene([object('sphere', 'white', 0)], { environment: 'living-room' }),
    scene([object('cube', 'red', 0.3), object('sphere', 'blue', -0.3, 1.2), object('torus', 'green', 1.5, -0.5)], { environment: 'desert', resolution: [120, 90] }),
    scene([object('cube', 'white', 0)], { environment: 'snow' }),
  ];
  const options: (FrameOptions | undefined)[] = [
    { instanceAreas: true }, undefined, { instanceAreas: true }, { labels: ['boxes', 'depth'] }, { labels: ['segmentation', 'visibility', 'normals'] }, undefined,
  ];
  const alone: Frame[] = [];
  for (const [k, d] of descs.entries()) alone.push(await renderer.render(d, options[k]));
  const together = await Promise.all(descs.map((d, k) => renderer.render(d, options[k])));
  for (const [k, f] of together.entries()) {
    t.is(f.width, alone[k].width);
    t.true(Buffer.from(f.rgba).equals(Buffer.from(alone[k].rgba)), `sample ${k}: the same pixels`);
    t.deepEqual(f.labels, alone[k].labels, `sample ${k}: the same labels`);
  }
  t.true((together[0].labels?.objects ?? []).every((o) => o.area > 0), 'instance areas counted');
  t.truthy(together[3].labels?.depth, 'label passes still come back');
  const partly = together[4].labels!.objects.map((o) => o.visibility);
  t.true(partly.every((v) => v > 0 && v <= 1) && partly.some((v) => v < 1), `visibility from solo passes: ${partly}`);
});

test('a render that fails among renders asked together fails alone: the ones around it come back whole', async (t) => {
  const good = scene([object('cube', 'red', 0)], { environment: 'meadow' });
  const before = await renderer.render(good);
  const results = await Promise.allSettled([
    renderer.render(good),
    renderer.render(scene([object('cube', 'red', 0)], { environment: 'no-such-place' })),
    renderer.render(scene([object('no-such-class', 'red', 0)])),
    renderer.render(good, { instanceAreas: true }),
  ]);
  t.is(results[1].status, 'rejected');
  t.regex(String((results[1] as PromiseRejectedResult).reason), /no-such-place/);
  t.is(results[2].status, 'rejected');
  t.regex(String((results[2] as PromiseRejectedResult).reason), /no-such-class/);
  for (const k of [0, 3]) {
    const r = results[k];
    t.is(r.status, 'fulfilled');
    if (r.status === 'fulfilled') t.true(Buffer.from(r.value.rgba).equals(Buffer.from(before.rgba)), `render ${k}: the same pixels as alone`);
  }
});

test('frames batched into the layers of one target come back each in its own layer, equal to frames read alone', async (t) => {
  const colours = ['red', 'green', 'blue', 'yellow', 'purple', 'cyan', 'white', 'gray', 'brown', 'red', 'green'];
  const descs = colours.map((c, k) => scene([object(k % 2 ? 'cube' : 'sphere', c, (k - 5) * 0.2)], { environment: k % 3 ? 'studio' : 'meadow' }));
  const batched = await createRenderer(library, { batch: 4 });
  try {
    t.is(batched.batch, 4);
    const alone: Frame[] = [];
    for (const d of descs) alone.push(await batched.render(d));
    // One bad sample among them fails alone and takes no layer from the others.
    const asked = descs.map((d) => batched.render(d));
    const bad = batched.render(scene([object('no-such-class', 'red', 0)]));
    const more = descs.slice(0, 3).map((d) => batched.render(d, { instanceAreas: true }));
    const [together, failed, withIds] = await Promise.all([Promise.all(asked), bad.then(() => null, (e: Error) => e), Promise.all(more)]);
    t.regex(String(failed), /no-such-class/);
    for (const [k, f] of together.entries()) t.true(Buffer.from(f.rgba).equals(Buffer.from(alone[k].rgba)), `sample ${k}: its own pixels`);
    for (const [k, f] of withIds.entries()) {
      t.true(Buffer.from(f.rgba).equals(Buffer.from(alone[k].rgba)), `sample ${k} with instance ids: its own pixels`);
      t.true((f.labels?.objects[0]?.area ?? 0) > 0, `sample ${k}: its object's area counted`);
    }
    t.false(Buffer.from(together[0].rgba).equals(Buffer.from(together[1].rgba)), 'the samples differ');
  } finally {
    batched.dispose();
  }
});

test('label passes batched into the layers of their targets, solo passes spilling into the next batch, equal labels read alone', async (t) => {
  const colours = ['red', 'green', 'blue', 'yellow', 'purple', 'cyan', 'white'];
  // Three objects, one hiding part of another: each frame's visibility draws three solo passes, so a batch of 4 fills mid-frame.
  const descs = colours.map((c, k) => scene([object('cube', c, -0.6 + k * 0.1), object('sphere', 'gray', 0, 1.2), object('torus', 'brown', 0.9, -0.4)], { environment: k % 2 ? 'studio' : 'desert' }));
  const passes: FrameOptions[] = [
    { labels: ['segmentation', 'depth', 'normals', 'visibility'] }, // float target
    { labels: ['boxes', 'visibility'] }, // 8-bit instance ids
  ];
  const batched = await createRenderer(library, { batch: 4 });
  try {
    for (const options of passes) {
      const alone: Frame[] = [];
      for (const d of descs) alone.push(await batched.render(d, options));
      const together = await Promise.all(descs.map((d) => batched.render(d, options)));
      for (const [k, f] of together.entries()) {
        t.true(Buffer.from(f.rgba).equals(Buffer.from(alone[k].rgba)), `${options.labels}, sample ${k}: its own pixels`);
        t.deepEqual(f.labels, alone[k].labels, `${options.labels}, sample ${k}: its own labels`);
      }
      t.notDeepEqual(together[0].labels!.objects[0].bbox, together[6].labels!.objects[0].bbox, 'the samples differ');
      const visibility = together.flatMap((f) => f.labels!.objects.map((o) => o.visibility));
      t.true(visibility.every((v) => v > 0 && v <= 1) && visibility.some((v) => v < 1), `visibility from solo passes: ${visibility}`);
    }
  } finally {
    await batched.dispose();
  }
});

test('batches hold fewer frames at large sizes: a batch target stays within BATCH_BYTES', (t) => {
  t.is(batchLayers(224, 224, 8), 8);
  t.is(batchLayers(1024, 1024, 8), 4);
  t.is(batchLayers(2048, 2048, 8), 1);
  t.is(batchLayers(4096, 4096, 8), 1, 'at least one');
  t.is(batchLayers(64, 64, 1), 1);
  for (const side of [16, 224, 512, 1024, 2048]) t.true(batchLayers(side, side, MAX_BATCH) * side * side * 4 <= Math.max(BATCH_BYTES, side * side * 4));
  t.is(batchLayers(224, 224, 8, 16), 8, 'float label frames');
  t.is(batchLayers(512, 512, 8, 16), 4);
  t.is(batchLayers(2048, 2048, 8, 16), 1);
});
