import test from 'ava';
import { computeRelations, dominantRelation } from '../../src/labels/relations.js';
import { captionFor, objectPhrase } from '../../src/labels/captions.js';
import type { ObjectDescription, SceneDescription } from '../../src/spec/sample.js';

function obj(cls: string, x: number, z: number, color = 'red', texture = 'default'): ObjectDescription {
  return { class: cls, classIndex: 0, asset: 0, assetName: 'a', params: {}, position: [x, 0, z], yaw: 0, pitch: 0, roll: 0, scale: 1, texture, color, roughness: null, metalness: null };
}
const camera = (azimuth: number): SceneDescription['camera'] => ({ distance: 5, elevation: 20, azimuth, fov: 40, target: [0, 0.5, 0] });

test('relations from known positions, camera in front (+z)', (t) => {
  // 0 at the origin, 1 to its left (-x), 2 behind it (-z, away from the camera at +z).
  const desc = { objects: [obj('mug', 0, 0), obj('chair', -2, 0), obj('cube', 0, -2)], camera: camera(0) };
  const r = computeRelations(desc);
  t.deepEqual(r.left[0], [1], 'object 1 is left of object 0');
  t.deepEqual(r.right[1], [0, 2], 'objects 0 and 2 are right of object 1');
  t.deepEqual(r.behind[0], [2], 'object 2 is behind object 0');
  t.deepEqual(r.front[2], [0, 1], 'objects 0 and 1 are in front of object 2');
  t.is(dominantRelation(desc, 1, 0), 'left');
  t.is(dominantRelation(desc, 2, 0), 'behind');
});

test('relations turn with the camera: seen from behind, left and right swap', (t) => {
  const desc = { objects: [obj('mug', 0, 0), obj('chair', -2, 0)], camera: camera(180) };
  t.deepEqual(computeRelations(desc).right[0], [1]);
  const side = { objects: [obj('mug', 0, 0), obj('chair', -2, 0)], camera: camera(90) };
  t.is(dominantRelation(side, 1, 0), 'behind', 'camera at +x: -x is behind');
});

test('objects closer than epsilon are in no relation', (t) => {
  const r = computeRelations({ objects: [obj('a', 0, 0), obj('b', 0.1, 0.1)], camera: camera(0) });
  t.deepEqual(r, { left: [[], []], right: [[], []], front: [[], []], behind: [[], []] });
});

test('caption wording from known factors', (t) => {
  const ctx = { colorName: (o: ObjectDescription) => o.color };
  const desc = { objects: [obj('mug', -1.5, 0, 'red'), obj('chair', 1, 0, 'blue')], camera: camera(0), environment: 'meadow' };
  t.is(captionFor(desc, ctx), 'a red mug to the left of a blue chair on grass');
  const one = { objects: [obj('teapot', 0, 0, 'orange', 'checker')], camera: camera(0), environment: 'studio' };
  t.is(captionFor(one, ctx), 'an orange checkered teapot in a studio');
  const three = { objects: [obj('cube', 0, 2, 'green'), obj('cone', 0, 0, 'yellow'), obj('sphere', 3, 3)], camera: camera(0), environment: 'night' };
  t.is(captionFor(three, ctx), 'a green cube in front of a yellow cone, with 1 more object, at night');
  t.is(objectPhrase(obj('potted-plant', 0, 0, 'green', 'plain'), ctx), 'green potted plant');
  t.is(captionFor({ ...one, environment: 'image:beach' }, ctx), 'an orange checkered teapot in a beach scene');
});
