import test from 'ava';
import * as THREE from 'three';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createAssetLibrary } from '../../src/assets/library.js';
import { ENVIRONMENTS, ENVIRONMENT_NAMES, environmentDef, registerBackgroundImage } from '../../src/assets/environments.js';
import { loadBackgroundImages } from '../../src/assets/backgrounds.js';
import { createRenderer, type SceneRenderer, type Frame } from '../../src/render/renderer.js';
import { Stage } from '../../src/render/stage.js';
import { parseSpec } from '../../src/spec/schema.js';
import { planSampling, describeSample, type SceneDescription, type ObjectDescription } from '../../src/spec/sample.js';
import { InputError } from '../../src/core/errors.js';

const library = createAssetLibrary();
let renderer: SceneRenderer;

test.before(async () => {
  renderer = await createRenderer(library);
});
test.after.always(() => renderer?.dispose());

function object(cls: string, color: string, x: number, z = 0): ObjectDescription {
  return {
    class: cls, classIndex: 0, asset: 0, assetName: 'rubber', params: { stretch: 1, squash: 1, aspect: 1, tube: 0.15 },
    position: [x, 0, z], yaw: 20, pitch: 0, roll: 0, scale: 0.9, texture: 'plain', color, roughness: 0.7, metalness: 0,
  };
}

function scene(environment: string, over: Partial<SceneDescription> = {}): SceneDescription {
  return {
    id: environment, index: 0, seed: 0, resolution: [64, 64], environment,
    light: { intensity: 1, azimuth: 40, elevation: 40, temperature: 6500 },
    camera: { distance: 3.6, elevation: 10, azimuth: 15, fov: 50, target: [0, 0.8, 0] },
    objects: [object('sphere', 'white', -0.7), object('cube', 'red', 0.7)], factors: {}, ...over,
  };
}

function pixel(f: Frame, x: number, y: number): [number, number, number] {
  const o = (Math.round(y) * f.width + Math.round(x)) * 4;
  return [f.rgba[o], f.rgba[o + 1], f.rgba[o + 2]];
}

function luminanceStats(f: Frame): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  const n = f.width * f.height;
  for (let i = 0; i < n; i++) {
    const l = 0.299 * f.rgba[i * 4] + 0.587 * f.rgba[i * 4 + 1] + 0.114 * f.rgba[i * 4 + 2];
    sum += l;
    sq += l * l;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}

/** Mean absolute difference per channel between two frames of the same size. */
function frameDistance(a: Frame, b: Frame): number {
  let d = 0;
  for (let i = 0; i < a.rgba.length; i += 4) {
    d += Math.abs(a.rgba[i] - b.rgba[i]) + Math.abs(a.rgba[i + 1] - b.rgba[i + 1]) + Math.abs(a.rgba[i + 2] - b.rgba[i + 2]);
  }
  return d / ((a.rgba.length / 4) * 3);
}

test('at least 16 built-in environments with kebab-case names; the original six still exist', (t) => {
  t.true(ENVIRONMENTS.length >= 16, `${ENVIRONMENTS.length} environments`);
  for (const name of ENVIRONMENT_NAMES) t.regex(name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
  t.is(new Set(ENVIRONMENT_NAMES).size, ENVIRONMENT_NAMES.length, 'names are unique');
  for (const name of ['studio', 'studio-dark', 'meadow', 'street', 'sunset', 'night']) t.is(environmentDef(name).name, name);
  t.true(ENVIRONMENTS.filter((e) => e.room).length >= 2, 'at least two indoor rooms');
  for (const e of ENVIRONMENTS.filter((x) => x.room)) {
    const [w, h, d] = e.room!.size;
    t.true(w / 2 >= 6 && d / 2 >= 6 && h >= 3.9, `${e.name} room holds a camera at distance 6 (elevation <= 35)`);
  }
  t.throws(() => environmentDef('mars'), { instanceOf: RangeError, message: /expected one of .*meadow/ });
});

test('every environment renders a non-uniform image that differs from every other environment', async (t) => {
  const frames = new Map<string, Frame>();
  for (const name of ENVIRONMENT_NAMES) {
    const f = await renderer.render(scene(name));
    const { mean, std } = luminanceStats(f);
    t.true(std > 8, `${name}: luminance std-dev ${std.toFixed(1)} (not uniform)`);
    t.true(mean > 20, `${name}: mean luminance ${mean.toFixed(1)} (not black)`);
    frames.set(name, f);
  }
  const names = [...frames.keys()];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const d = frameDistance(frames.get(names[i])!, frames.get(names[j])!);
      t.true(d > 6, `${names[i]} vs ${names[j]}: mean difference ${d.toFixed(1)} levels`);
    }
  }
  // Lighting matches the look: night and dusk are darker than daytime; the chroma screens are their colour.
  const mean = (n: string) => luminanceStats(frames.get(n)!).mean;
  t.true(mean('night') + 40 < mean('meadow'), `night ${mean('night').toFixed(0)} darker than meadow ${mean('meadow').toFixed(0)}`);
  t.true(mean('dusk') + 25 < mean('morning'), `dusk ${mean('dusk').toFixed(0)} darker than morning ${mean('morning').toFixed(0)}`);
  t.true(mean('studio-dark') + 40 < mean('studio-white'), 'dark studio darker than white cyclorama');
  const green = pixel(frames.get('green-screen')!, 2, 2);
  t.true(green[1] > green[0] + 60 && green[1] > green[2] + 60, `green screen corner is green, got ${green}`);
  const blue = pixel(frames.get('blue-screen')!, 2, 2);
  t.true(blue[2] > blue[0] + 60 && blue[2] > blue[1] + 30, `blue screen corner is blue, got ${blue}`);
});

test('a room keeps the camera inside: far and high cameras grow the room around them', (t) => {
  const stage = new Stage(library);
  try {
    for (const name of ENVIRONMENT_NAMES.filter((n) => environmentDef(n).room)) {
      for (const camera of [
        { distance: 6, elevation: 35, azimuth: 45 }, { distance: 6, elevation: 10, azimuth: 180 },
        { distance: 12, elevation: 20, azimuth: 90 }, { distance: 9, elevation: 80, azimuth: 0 },
      ]) {
        stage.set(scene(name, { camera: { ...camera, fov: 40, target: [0, 0.5, 0] } }));
        const room = stage.scene.getObjectByName('room');
        t.truthy(room, `${name} has a room`);
        room!.updateMatrixWorld(true);
        const box = new THREE.Box3().setFromObject(room!);
        const p = stage.camera.position;
        const inside = p.x > box.min.x + 0.1 && p.x < box.max.x - 0.1 && p.z > box.min.z + 0.1 && p.z < box.max.z - 0.1 && p.y > 0 && p.y < box.max.y - 0.1;
        t.true(inside, `${name}: camera ${p.toArray().map((v) => v.toFixed(1))} inside room ${box.min.toArray().map((v) => v.toFixed(1))}..${box.max.toArray().map((v) => v.toFixed(1))}`);
        t.is(stage.scene.getObjectByName('skyline'), undefined, 'no horizon outside a room');
      }
    }
  } finally {
    stage.dispose();
  }
});

test('a room shows walls, floor and ceiling in every corner, warm-lit, never sky', async (t) => {
  for (const camera of [{ distance: 6, elevation: 35, azimuth: 200 }, { distance: 4, elevation: 15, azimuth: 270 }, { distance: 12, elevation: 25, azimuth: 135 }]) {
    const f = await renderer.render(scene('living-room', { camera: { ...camera, fov: 50, target: [0, 0.5, 0] } }));
    for (const [x, y] of [[1, 1], [62, 1], [1, 62], [62, 62]]) {
      const p = pixel(f, x, y);
      t.true(p[0] + p[1] + p[2] > 150, `corner (${x},${y}) at ${JSON.stringify(camera)} is lit room, got ${p}`);
      t.true(p[0] >= p[2], `corner (${x},${y}) at ${JSON.stringify(camera)} is a warm room surface, not sky blue, got ${p}`);
    }
  }
});

test('outdoor environments: sky above, ground below, at the right colours', async (t) => {
  const cam = { distance: 4, elevation: 5, azimuth: 0, fov: 50, target: [0, 1, 0] as [number, number, number] };
  const snow = await renderer.render(scene('snow', { camera: cam, objects: [] }));
  const night = await renderer.render(scene('night', { camera: cam, objects: [] }));
  const desert = await renderer.render(scene('desert', { camera: cam, objects: [] }));
  const top = pixel(desert, 32, 1);
  const ground = pixel(desert, 32, 62);
  t.true(top[2] > top[0], `desert sky is blue, got ${top}`);
  t.true(ground[0] > ground[2] + 20, `desert sand is warm, got ${ground}`);
  const s = pixel(snow, 32, 62);
  t.true(Math.min(...s) > 150, `snow is bright, got ${s}`);
  const n = pixel(night, 32, 62);
  t.true(Math.max(...n) < 90, `night ground is dark, got ${n}`);
});

test('backgrounds: a spec lists image files; image:<name> becomes a valid environment of that spec only', async (t) => {
  const catalog = library.catalog();
  const spec = parseSpec({ backgrounds: ['photos/beach.JPG', 'sky.webp'], factors: { environment: { choice: ['image:beach', 'image:sky', 'meadow'] } } }, catalog);
  t.deepEqual(spec.backgrounds, ['photos/beach.JPG', 'sky.webp']);
  t.false(catalog.environments.includes('image:beach'), 'the shared catalog is unchanged');
  const err = t.throws(() => parseSpec({ factors: { environment: { const: 'image:beach' } } }, catalog), { instanceOf: InputError });
  t.regex(err!.message, /factors\.environment\.const: expected a known environment/);
  const bad = t.throws(() => parseSpec({ backgrounds: ['a.gif', 'x/b.png', 'y/b.webp'] }, catalog), { instanceOf: InputError });
  t.regex(bad!.message, /backgrounds\[0\]: .*png.*got "a\.gif"/);
  t.regex(bad!.message, /backgrounds\[2\]: .*image:b/);
  const dir = await mkdtemp(join(tmpdir(), 'synth-bg-'));
  await writeFile(join(dir, 'broken.png'), 'not an image');
  const missing = await t.throwsAsync(loadBackgroundImages(['gone.png'], dir), { instanceOf: InputError });
  t.regex(missing!.message, /backgrounds\[0\]: expected a readable .*gone\.png.*no such file/);
  const corrupt = await t.throwsAsync(loadBackgroundImages(['broken.png'], dir), { instanceOf: InputError });
  t.regex(corrupt!.message, /backgrounds\[0\]: .*broken\.png/);
});

// Image colours: one channel at 0 keeps them clear of the tone mapper's toe. The renderer's output
// currently applies the sRGB transfer twice (render target is rgba8unorm-srgb and the output pass
// encodes too), which lifts these to about (229,133,0) and (0,152,229); the tolerance allows for that.
const A: [number, number, number] = [200, 60, 0];
const B: [number, number, number] = [0, 80, 200];
const near = (p: readonly number[], c: readonly number[], tol: number) => p.every((v, i) => Math.abs(v - c[i]) <= tol);
const closer = (p: readonly number[], c: readonly number[], other: readonly number[]) =>
  p.reduce((s, v, i) => s + (v - c[i]) ** 2, 0) * 4 < p.reduce((s, v, i) => s + (v - other[i]) ** 2, 0);

test('a background image from a file fills the frame the right way up, with a shadow catcher', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-bg-'));
  // Quadrants: A top-left and bottom-right, B top-right and bottom-left (flips and mirrors show).
  const w = 120;
  const h = 80;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set((x < w / 2) === (y < h / 2) ? A : B, (y * w + x) * 3);
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(dir, 'quads.png'));
  const loaded = await loadBackgroundImages(['quads.png'], dir);
  t.is(loaded[0].environment, 'image:quads');
  t.is(loaded[0].width, w);
  const catalog = library.catalog();
  const spec = parseSpec({ count: 1, resolution: [96, 64], classes: ['cube'], backgrounds: ['quads.png'], factors: {
    environment: { const: 'image:quads' }, 'camera.elevation': { const: 60 }, 'camera.distance': { const: 5 }, 'camera.azimuth': { const: 0 },
    'light.azimuth': { const: 90 }, 'light.elevation': { const: 35 }, yaw: { const: 0 },
  } }, catalog);
  const desc = describeSample(planSampling(spec, catalog), 0);
  t.is(desc.environment, 'image:quads');
  const f = await renderer.render(desc);
  const tl = pixel(f, 2, 2);
  const tr = pixel(f, f.width - 3, 2);
  const bl = pixel(f, 2, f.height - 3);
  t.true(near(tl, A, 80) && closer(tl, A, B), `top-left shows the image's top-left colour ${A}, got ${tl}`);
  t.true(near(tr, B, 80) && closer(tr, B, A), `top-right shows the image's top-right colour ${B}, got ${tr}`);
  t.true(closer(bl, B, A), `bottom-left shows the image's bottom-left colour ${B}, got ${bl}`);
  // The shadow catcher: beside the cube, away from the sun (at +x), the backdrop is darker than without the cube.
  const empty = await renderer.render({ ...desc, objects: [] });
  let darker = 0;
  for (let x = 0; x < f.width / 2 - 8; x++) {
    const y = Math.round(f.height / 2);
    if (pixel(f, x, y).reduce((a, b) => a + b) + 30 < pixel(empty, x, y).reduce((a, b) => a + b)) darker++;
  }
  t.true(darker >= 3, `a shadow falls on the backdrop left of the cube (${darker} darker pixels)`);
});

test('registering an image again under the same name replaces what the environment shows', async (t) => {
  const solid = (c: readonly number[]) => {
    const px = new Uint8Array(16 * 16 * 4);
    for (let i = 0; i < 16 * 16; i++) px.set([c[0], c[1], c[2], 255], i * 4);
    return px;
  };
  registerBackgroundImage('swap', solid(A), 16, 16);
  const desc = scene('image:swap', { objects: [] });
  const first = pixel(await renderer.render(desc), 2, 2);
  registerBackgroundImage('swap', solid(B), 16, 16);
  const second = pixel(await renderer.render(desc), 2, 2);
  t.true(closer(first, A, B), `first image shown, got ${first}`);
  t.true(closer(second, B, A), `replacement shown, got ${second}`);
});
