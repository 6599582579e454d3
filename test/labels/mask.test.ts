import test from 'ava';
import { execFileSync } from 'node:child_process';
import { rleEncode, rleDecode, rleArea, boxFromMask, boxFromRle } from '../../src/labels/mask.js';
import { depthToUint16, depthFromUint16, DEPTH_SCALE } from '../../src/labels/depth.js';
import { rngFor } from '../../src/core/random.js';

/** A random mask of `width` x `height` with values in [0, values), row-major, from a seeded stream. */
function randomMask(width: number, height: number, seed: number, values = 2): Uint8Array {
  const rng = rngFor(seed, 0, 'mask-test');
  return Uint8Array.from({ length: width * height }, () => rng.int(0, values - 1));
}

test('known masks give known column-major RLE', (t) => {
  // Row-major 2x2 [[0,1],[0,1]]: column 0 is background, column 1 foreground.
  t.deepEqual(rleEncode(Uint8Array.of(0, 1, 0, 1), 2, 2), { counts: [2, 2], size: [2, 2] });
  // 3 wide, 2 high: rows [1,0,0] and [1,1,0]; columns read top-down: 1,1 | 0,1 | 0,0.
  t.deepEqual(rleEncode(Uint8Array.of(1, 0, 0, 1, 1, 0), 3, 2), { counts: [0, 2, 1, 1, 2], size: [2, 3] }, 'a mask starting with foreground starts with a 0 run');
  t.deepEqual(rleEncode(new Uint8Array(12), 4, 3), { counts: [12], size: [3, 4] }, 'empty mask: one background run');
  t.deepEqual(rleEncode(new Uint8Array(4).fill(1), 2, 2), { counts: [0, 4], size: [2, 2] }, 'full mask');
  // Instance 2 of [[0,2,1],[2,2,0]]: columns 0,1 | 1,1 | 0,0.
  t.deepEqual(rleEncode(Uint8Array.of(0, 2, 1, 2, 2, 0), 3, 2, 2), { counts: [1, 3, 2], size: [2, 3] }, 'value selects one instance');
  t.throws(() => rleEncode(new Uint8Array(5), 2, 2), { instanceOf: RangeError, message: /expected 2x2 = 4 values, got 5/ });
});

test('RLE matches a pycocotools-style reference (column-major, Python) on random masks', (t) => {
  const masks = [[7, 5, 1], [16, 9, 2], [1, 1, 3], [13, 1, 4], [1, 11, 5]].map(([w, h, seed]) => ({ w, h, m: randomMask(w, h, seed) }));
  // pycocotools' rleEncode reads the mask in Fortran (column-major) order; counts start with a background run.
  const script = `
import json, sys
out = []
for item in json.load(sys.stdin):
    w, h, m = item['w'], item['h'], item['m']
    flat = [m[y * w + x] for x in range(w) for y in range(h)]
    counts, prev, run = [], 0, 0
    for v in flat:
        if (v != 0) != (prev != 0):
            counts.append(run); run = 0; prev = v
        run += 1
    counts.append(run)
    out.append({'counts': counts, 'size': [h, w]})
print(json.dumps(out))`;
  const input = JSON.stringify(masks.map(({ w, h, m }) => ({ w, h, m: [...m] })));
  const reference = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { input, encoding: 'utf8' }));
  t.deepEqual(masks.map(({ w, h, m }) => rleEncode(m, w, h)), reference);
});

test('decode(encode(m)) is m; area counts foreground pixels', (t) => {
  for (const [w, h, seed] of [[7, 5, 1], [32, 24, 2], [1, 1, 3], [5, 1, 4], [1, 6, 5]]) {
    const m = randomMask(w, h, seed);
    const rle = rleEncode(m, w, h);
    t.deepEqual(rleDecode(rle), m, `${w}x${h}`);
    t.is(rleArea(rle), m.reduce((s, v) => s + v, 0), `area of ${w}x${h}`);
  }
  t.throws(() => rleDecode({ counts: [3, 2], size: [2, 2] }), { instanceOf: RangeError, message: /summing to 2x2 = 4, got 5/ });
});

test('boxes of masks and of their RLE', (t) => {
  const w = 6, h = 4;
  const m = new Uint8Array(w * h);
  for (const [x, y] of [[2, 1], [4, 1], [3, 3]]) m[y * w + x] = 3;
  m[0] = 1;
  t.deepEqual(boxFromMask(m, w, h, 3), [2, 1, 3, 3], 'pixel extent: x 2..4, y 1..3');
  t.deepEqual(boxFromMask(m, w, h, 1), [0, 0, 1, 1], 'a single pixel is a 1x1 box');
  t.deepEqual(boxFromMask(m, w, h), [0, 0, 5, 4], 'without a value: every non-zero pixel');
  t.is(boxFromMask(m, w, h, 7), null, 'no pixels, no box');
  t.deepEqual(boxFromRle(rleEncode(m, w, h, 3)), [2, 1, 3, 3]);
  t.is(boxFromRle(rleEncode(m, w, h, 7)), null);
  for (const [mw, mh, seed] of [[9, 7, 11], [12, 3, 12], [3, 12, 13]]) {
    const r = randomMask(mw, mh, seed, 4).map((v) => (v === 3 ? 1 : 0));
    t.deepEqual(boxFromRle(rleEncode(r, mw, mh)), boxFromMask(r, mw, mh), `box from RLE equals box from mask, ${mw}x${mh}`);
  }
});

test('depth quantises to millimetre counts with 0 for background', (t) => {
  const d = Float32Array.of(1.5, Infinity, 0.0004, 2.0006, 70, -1, NaN);
  t.deepEqual([...depthToUint16(d)], [1500, 0, 1, 2001, 65535, 0, 0], 'round to counts; tiny positive depths stay non-zero; far ones clamp');
  t.is(DEPTH_SCALE, 0.001);
  const back = depthFromUint16(Uint16Array.of(1500, 0));
  t.is(back[0], Math.fround(1.5));
  t.is(back[1], Infinity);
});
