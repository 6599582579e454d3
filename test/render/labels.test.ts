import test from 'ava';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer, type SceneRenderer } from '../../src/render/renderer.js';
import { projectPoint } from '../helpers.js';
import { boxesFromMask } from '../../src/render/labels.js';
import type { SceneDescription, ObjectDescription } from '../../src/spec/sample.js';

let renderer: SceneRenderer;
test.before(async () => { renderer = await createRenderer(createAssetLibrary()); });
test.after.always(() => renderer?.dispose());

function object(cls: string, classIndex: number, x: number, z: number): ObjectDescription {
  return {
    class: cls, classIndex, asset: 0, assetName: 'rubber', params: { stretch: 1, squash: 1, aspect: 1, tube: 0.15 },
    position: [x, 0, z], yaw: 0, pitch: 0, roll: 0, scale: 1, texture: 'plain', color: 'red', roughness: 0.8, metalness: 0,
  };
}

function scene(objects: ObjectDescription[], camera: Partial<SceneDescription['camera']> = {}): SceneDescription {
  return {
    id: 't', index: 0, seed: 0, resolution: [128, 96], environment: 'meadow',
    light: { intensity: 1, azimuth: 30, elevation: 60, temperature: 6500 },
    camera: { distance: 6, elevation: 10, azimuth: 0, fov: 40, target: [0, 0.5, 0], ...camera }, objects, factors: {},
  };
}

function project(desc: SceneDescription, p: [number, number, number]): [number, number] {
  const [x, y] = projectPoint(desc, p);
  return [Math.round(x), Math.round(y)];
}

const ALL = ['segmentation', 'depth', 'normals', 'boxes', 'visibility', 'pose'] as const;

test('instance and semantic masks put each object where it is projected; boxes bound the masks', async (t) => {
  const desc = scene([object('cube', 0, -1.2, 0), object('sphere', 3, 1.2, 0)]);
  const f = await renderer.render(desc, { labels: ALL });
  const l = f.labels!;
  t.truthy(l.instanceMask && l.semanticMask && l.depth && l.normals);
  const w = l.width;
  const [ax, ay] = project(desc, [-1.2, 0.5, 0]);
  const [bx, by] = project(desc, [1.2, 0.5, 0]);
  t.is(l.instanceMask![ay * w + ax], 1, 'object 1 at its projected centre');
  t.is(l.instanceMask![by * w + bx], 2, 'object 2 at its projected centre');
  t.is(l.semanticMask![ay * w + ax], 1, 'class index 0 -> 1');
  t.is(l.semanticMask![by * w + bx], 4, 'class index 3 -> 4');
  t.is(l.instanceMask![0], 0, 'corner is background');
  for (const o of l.objects) {
    t.truthy(o.bbox, `object ${o.instance} has a box`);
    const [x, y, bw, bh] = o.bbox!;
    let inside = 0;
    let outside = 0;
    for (let yy = 0; yy < l.height; yy++) for (let xx = 0; xx < w; xx++) {
      if (l.instanceMask![yy * w + xx] !== o.instance) continue;
      if (xx >= x && xx < x + bw && yy >= y && yy < y + bh) inside++; else outside++;
    }
    t.is(outside, 0, 'no mask pixel outside the box');
    t.is(inside, o.area, 'area = mask pixel count');
    t.is(o.objectToWorld.length, 16);
    t.true(Math.abs(o.objectToWorld[12] - (o.instance === 1 ? -1.2 : 1.2)) < 1e-6, 'pose translation x');
  }
  t.true(l.objects[0].visibility > 0.99 && l.objects[1].visibility > 0.99, 'side by side: both fully visible');
  t.true(l.camera.fx > 0 && l.camera.cx === 64 && l.camera.cy === 48);
});

test('an object behind another has visibility < 1', async (t) => {
  const desc = scene([object('cube', 0, 0, 1.2), object('cube', 0, 0.3, -1.2)], { elevation: 5 });
  const l = (await renderer.render(desc, { labels: ['segmentation', 'visibility'] })).labels!;
  t.true(l.objects[0].visibility > 0.99, `front object fully visible, got ${l.objects[0].visibility}`);
  t.true(l.objects[1].visibility < 0.8, `back object partly hidden, got ${l.objects[1].visibility}`);
  t.true(l.objects[1].visibility > 0, 'but not entirely');
});

test('boxes and visibility alone (the 8-bit instance-id pass) equal those of the full float pass', async (t) => {
  const desc = scene([object('cube', 0, 0, 1.2), object('dog', 1, 0.4, -1.2), object('torus', 2, -1.5, 0)], { elevation: 8 });
  const ids = (await renderer.render(desc, { labels: ['boxes', 'visibility'] })).labels!;
  const full = (await renderer.render(desc, { labels: ['boxes', 'visibility', 'segmentation'] })).labels!;
  t.is(ids.instanceMask, undefined, 'no masks were asked for');
  t.deepEqual(ids.objects.map((o) => [o.bbox, o.area, o.visibility]), full.objects.map((o) => [o.bbox, o.area, o.visibility]));
  t.true(ids.objects[1].visibility < 1 && ids.objects[1].area > 0, 'the dog is partly hidden');
});

test('depth increases away from the camera; sky is infinitely far', async (t) => {
  const desc = scene([object('cube', 0, 0, 0)], { elevation: 12 });
  const l = (await renderer.render(desc, { labels: ['depth', 'normals'] })).labels!;
  const w = l.width;
  const near = l.depth![(l.height - 2) * w + 4];
  const mid = l.depth![Math.round(l.height * 0.62) * w + 4];
  t.true(Number.isFinite(near) && Number.isFinite(mid), `ground depths finite: ${near}, ${mid}`);
  t.true(mid > near, `ground farther up the image is deeper: ${near} < ${mid}`);
  t.is(l.depth![1 * w + 4], Infinity, 'sky pixel has infinite depth');
  const [cx, cy] = project(desc, [0, 0.5, 0.5]);
  const d = l.depth![cy * w + cx];
  t.true(Math.abs(d - 5.5) < 0.4, `front face of the cube about 5.5 units away, got ${d}`);
  const o = (cy * w + cx) * 3;
  const n = [0, 1, 2].map((i) => l.normals![o + i] / 255 * 2 - 1);
  t.true(n[2] > 0.8, `front face normal points at the camera (+z in camera space), got ${n}`);
});

test('boxesFromMask is exact on a known mask', (t) => {
  const mask = new Uint8Array([
    0, 0, 0, 0,
    0, 1, 1, 0,
    0, 1, 0, 2,
  ]);
  const r = boxesFromMask(mask, 4, 3, 3);
  t.deepEqual(r.bbox, [[1, 1, 2, 2], [3, 2, 1, 1], null]);
  t.deepEqual(r.area, [3, 1, 0]);
});
