import test from 'ava';
import { rngFor } from '../../src/core/random.js';
import { argmaxRows, frechetDistance, kernelInceptionDistance, symmetricEigen } from '../../src/diffusion/classifier.js';

function gaussian(n: number, d: number, seed: number, shift = 0, scale = 1): Float32Array {
  const r = rngFor(seed, 0, 'metrics');
  return Float32Array.from({ length: n * d }, () => shift + scale * r.normal());
}

test('argmaxRows picks the largest logit per row', (t) => {
  t.deepEqual(argmaxRows(Float32Array.from([0, 2, 1, 5, -1, 4]), 3), [1, 0]);
});

test('symmetricEigen reconstructs a symmetric matrix', (t) => {
  const m = Float64Array.from([4, 1, 2, 1, 3, 0, 2, 0, 5]);
  const { values, vectors } = symmetricEigen(m, 3);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += vectors[i * 3 + k] * values[k] * vectors[j * 3 + k];
    t.true(Math.abs(s - m[i * 3 + j]) < 1e-9, `entry ${i},${j}`);
  }
  t.true(Math.abs(values.reduce((a, b) => a + b, 0) - 12) < 1e-9, 'trace is preserved');
});

test('FID: ~0 for samples of one Gaussian, ~|shift|^2 for a shifted mean', (t) => {
  const d = 4;
  const a = gaussian(4000, d, 1);
  const b = gaussian(4000, d, 2);
  const same = frechetDistance(a, b, d);
  t.true(same < 0.02, `same distribution: ${same}`);
  const shifted = frechetDistance(a, gaussian(4000, d, 3, 0.5), d);
  t.true(Math.abs(shifted - d * 0.25) < 0.08, `shift 0.5 in ${d} dims: ${shifted} (expected ~${d * 0.25})`);
  const wider = frechetDistance(a, gaussian(4000, d, 4, 0, 2), d);
  t.true(Math.abs(wider - d * 1) < 0.2, `std 1 vs 2: ${wider} (expected ~${d}: (2-1)^2 per dim)`);
});

test('KID: unbiased, ~0 for one distribution, clearly positive for different ones', (t) => {
  const d = 8;
  const random = (() => { const r = rngFor(9, 0, 'kid'); return () => r.next(); })();
  const same = kernelInceptionDistance(gaussian(300, d, 1), gaussian(300, d, 2), d, { subsets: 5, random });
  const different = kernelInceptionDistance(gaussian(300, d, 1), gaussian(300, d, 3, 1), d, { subsets: 5, random });
  t.true(Math.abs(same.mean) < 0.05, `same: ${same.mean}`);
  t.true(different.mean > 0.5, `shifted: ${different.mean}`);
  t.throws(() => kernelInceptionDistance(gaussian(1, d, 1), gaussian(5, d, 1), d), { instanceOf: RangeError });
});
