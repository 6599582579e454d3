import test from 'ava';
import * as THREE from 'three';
import { Parts, mergeAll, placementMatrix } from '../../src/assets/classes/parts.js';
import { partBuilder } from '../../src/assets/kit.js';
import { createAssetLibrary } from '../../src/assets/library.js';
import { parseSpec } from '../../src/spec/schema.js';
import { planSampling, describeSample } from '../../src/spec/sample.js';

/** Every vertex attribute and the index of every mesh under `root`, as plain numbers. */
function geometryOf(root: THREE.Object3D): number[][] {
  const out: number[][] = [];
  root.updateMatrixWorld(true);
  root.traverse((o) => {
    const m = o as THREE.Mesh;
    if (!m.isMesh) return;
    for (const name of ['position', 'normal', 'uv']) {
      const a = m.geometry.getAttribute(name);
      out.push([...(a.array as Float32Array).slice(0, a.count * a.itemSize)]);
    }
    out.push([...m.geometry.index!.array.slice(0, m.geometry.index!.count)], [...m.matrixWorld.elements]);
  });
  return out;
}

test('merging transforms each part as three\'s applyMatrix4 does: same positions and unit normals', (t) => {
  const place = { at: [0.3, -1, 2] as [number, number, number], rot: [10, 70, -30] as [number, number, number], scale: [2, 0.5, 1.5] as [number, number, number] };
  const reference = new THREE.TorusGeometry(0.4, 0.1, 6, 12).applyMatrix4(placementMatrix(place));
  const merged = mergeAll([{ geometry: new THREE.TorusGeometry(0.4, 0.1, 6, 12), matrix: placementMatrix(place) }]);
  t.deepEqual([...merged.getAttribute('position').array], [...reference.getAttribute('position').array]);
  t.deepEqual([...merged.getAttribute('normal').array], [...reference.getAttribute('normal').array]);
  t.deepEqual([...merged.getAttribute('uv').array], [...reference.getAttribute('uv').array]);
  t.deepEqual([...merged.index!.array], [...reference.index!.array]);
});

test('unit primitives are shared between parts and objects, never changed by a placement', (t) => {
  const build = () => {
    const root = new THREE.Group();
    const p = new Parts(partBuilder(root, new THREE.MeshStandardMaterial()));
    p.ell(p.main, [0, 1, 0], [2, 1, 0.5]).ell(p.main, [3, 0, 0], 0.25).box(p.main, [0, 0, 1], [1, 2, 3]).cyl(p.main, [0, 0, 0], [0, 2, 0], 0.3);
    p.flush();
    return root;
  };
  const first = geometryOf(build());
  t.deepEqual(geometryOf(build()), first, 'building again gives the same geometry');
  // The sphere of radius 0.25 at x = 3: every vertex 0.25 from its centre.
  const pos = first[0];
  const far: number[] = [];
  for (let i = 0; i < pos.length; i += 3) if (pos[i] > 2) far.push(Math.hypot(pos[i] - 3, pos[i + 1], pos[i + 2]));
  t.true(far.length > 0 && far.every((r) => Math.abs(r - 0.25) < 1e-5), 'the small sphere has its own radius');
});

test('every class builds the same geometry twice for the same sample', (t) => {
  const library = createAssetLibrary();
  const catalog = library.catalog();
  const plan = planSampling(parseSpec({ name: 'x', seed: 4, count: 120, resolution: [64, 64], classes: catalog.classes.map((c) => c.name) }, catalog), catalog);
  for (let i = 0; i < plan.count; i++) {
    const desc = describeSample(plan, i).objects[0];
    const a = library.buildObject(desc, 0);
    const ga = geometryOf(a.object);
    a.dispose();
    // Another object in between: shared templates and pooled meshes must carry nothing over.
    library.buildObject(describeSample(plan, (i + 7) % plan.count).objects[0], 0).dispose();
    const b = library.buildObject(desc, 0);
    t.deepEqual(geometryOf(b.object), ga, `${desc.class} sample ${i}`);
    b.dispose();
  }
});
