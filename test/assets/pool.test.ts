import test from 'ava';
import * as THREE from 'three';
import { MeshPool, isPooledGeometry } from '../../src/assets/kit.js';

/** A non-indexed triangle strip of `n` triangles with a vertex colour, as user glTF parts carry. */
function coloured(n: number): THREE.BufferGeometry {
  const g = new THREE.BufferGeometry();
  const pos = new Float32Array(n * 9).map((_, i) => i * 0.01);
  g.setAttribute('position', new THREE.BufferAttribute(pos, 3));
  g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(n * 12).fill(0.5), 4));
  return g;
}

test('a pooled mesh keeps one geometry across samples, holding exactly the sample\'s data', (t) => {
  const pool = new MeshPool();
  const material = new THREE.MeshStandardMaterial();
  const box = new THREE.BoxGeometry(1, 2, 3);
  const a = pool.acquire(0, 0, box.clone(), material);
  t.true(isPooledGeometry(a.geometry));
  t.is(a.geometry.getAttribute('position').count, box.getAttribute('position').count);
  t.is(a.geometry.index!.count, box.index!.count);
  t.deepEqual([...a.geometry.index!.array.slice(0, box.index!.count)], [...box.index!.array]);
  a.geometry.computeBoundingBox();
  t.deepEqual(a.geometry.boundingBox!.max.toArray(), [0.5, 1, 1.5], 'bounds of this sample only');
  const first = a.geometry;
  const small = new THREE.BoxGeometry(0.2, 0.2, 0.2);
  const b = pool.acquire(0, 0, small.clone(), material);
  t.is(b, a, 'same mesh');
  t.is(b.geometry, first, 'same geometry: its GPU buffers are rewritten, not re-created');
  t.is(b.geometry.getAttribute('position').count, small.getAttribute('position').count);
  b.geometry.computeBoundingBox();
  t.deepEqual(b.geometry.boundingBox!.max.toArray().map((v) => Math.round(v * 100) / 100), [0.1, 0.1, 0.1], 'no stale vertices in the bounds');
  t.not(pool.acquire(1, 0, small.clone(), material), a, 'another slot, another mesh');
  t.not(pool.acquire(0, 0, small.clone(), new THREE.MeshStandardMaterial()), a, 'another material, another mesh');
});

test('extra attributes (vertex colours) are kept; a missing normal or uv reads as zeros', (t) => {
  const pool = new MeshPool();
  const material = new THREE.MeshStandardMaterial({ vertexColors: true });
  const m = pool.acquire(0, 0, coloured(3), material);
  const g = m.geometry;
  t.is(g.getAttribute('color').itemSize, 4);
  t.is(g.getAttribute('color').count, 9);
  t.is(g.getAttribute('color').getX(8), 0.5);
  t.is(g.getAttribute('normal').getX(0), 0);
  t.deepEqual([...g.index!.array.slice(0, 9)], [0, 1, 2, 3, 4, 5, 6, 7, 8], 'a non-indexed part gets a sequential index');
  // Larger than the room: new buffers, same data.
  const big = pool.acquire(0, 0, coloured(2000), material);
  t.is(big.geometry.getAttribute('position').count, 6000);
  t.is(big.geometry.getAttribute('color').getW(5999), 0.5);
});
