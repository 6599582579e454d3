import test from 'ava';
import { prefilterRadiance, levelRoughness, reflectionLevels, REFLECTION_SIZE } from '../../src/render/reflections.js';
import { environmentRadiance, RADIANCE_ROWS } from '../../src/render/environment.js';
import { environmentDef, ENVIRONMENT_NAMES } from '../../src/assets/environments.js';

const rows = (n: number, f: (el: number) => [number, number, number]) => {
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) out.set(f(90 - ((i + 0.5) / n) * 180), i * 3);
  return out;
};

test('level roughness inverts three\'s roughnessToMip (mip = maxLod · r · (2 − r)), from 0 to 1', (t) => {
  const maxLod = reflectionLevels() - 1;
  t.is(levelRoughness(0, maxLod), 0);
  t.is(levelRoughness(maxLod, maxLod), 1);
  for (let lod = 0; lod <= maxLod; lod++) {
    const r = levelRoughness(lod, maxLod);
    t.true(Math.abs(maxLod * r * (2 - r) - lod) < 1e-9);
  }
  t.is(reflectionLevels(), Math.log2(REFLECTION_SIZE / 8) + 1);
});

test('prefiltering keeps a uniform environment uniform and returns level 0 unchanged', (t) => {
  const flat = rows(32, () => [0.2, 0.5, 0.8]);
  const levels = prefilterRadiance(flat, 5);
  t.is(levels.length, 5);
  t.deepEqual([...levels[0]], [...flat]);
  for (const level of levels) for (let i = 0; i < level.length; i += 3) {
    t.true(Math.abs(level[i] - 0.2) < 1e-5 && Math.abs(level[i + 1] - 0.5) < 1e-5 && Math.abs(level[i + 2] - 0.8) < 1e-5);
  }
});

test('rougher levels blur a bright sky over a dark ground toward the horizon, within the input range', (t) => {
  const step = rows(64, (el) => (el >= 0 ? [1, 1, 1] : [0, 0, 0]));
  const levels = prefilterRadiance(step, 5);
  const at = (level: Float32Array, el: number) => level[Math.round((90 - el) / 180 * 64 - 0.5) * 3];
  // Straight up and down stay what they were on the sharp levels; near the horizon the levels mix.
  t.true(at(levels[1], 85) > 0.99 && at(levels[1], -85) < 0.01);
  let previous = at(levels[0], 5);
  for (const level of levels.slice(1)) {
    const v = at(level, 5);
    t.true(v <= previous + 1e-6, `5° above the horizon darkens with roughness: ${v} after ${previous}`);
    previous = v;
    for (const x of level) t.true(x >= 0 && x <= 1);
  }
  t.true(at(levels[4], 5) > 0.5 && at(levels[4], 5) < 0.9, `the roughest level is a mix just above the horizon, got ${at(levels[4], 5)}`);
  t.true(at(levels[4], -5) > 0.1, 'and some sky reaches just below it');
});

test('prefilterRadiance refuses malformed rows and level counts', (t) => {
  t.throws(() => prefilterRadiance(new Float32Array(0), 3), { instanceOf: RangeError, message: /rows × 3/ });
  t.throws(() => prefilterRadiance(new Float32Array(4), 3), { instanceOf: RangeError, message: /rows × 3/ });
  t.throws(() => prefilterRadiance(new Float32Array(6), 0), { instanceOf: RangeError, message: /at least 1 level/ });
});

test('every environment has radiance rows in [0, 1]: sky above, ground below', (t) => {
  for (const name of ENVIRONMENT_NAMES) {
    const r = environmentRadiance(environmentDef(name));
    t.is(r.length, RADIANCE_ROWS * 3, name);
    for (const v of r) t.true(v >= 0 && v <= 1 && Number.isFinite(v), `${name}: ${v}`);
  }
});
