import test from 'ava';
import sharp from 'sharp';
import { encodeRgbaAsRgbPng, rgbScanlines } from '../../src/pipeline/png.js';
import { encodeImage } from '../../src/pipeline/encode.js';

/** RGBA pixels whose every byte differs from its neighbours, alpha not 255 (it must be dropped). */
function pattern(width: number, height: number, offset = 0): Uint8Array {
  const buf = new Uint8Array(offset + width * height * 4);
  const px = buf.subarray(offset);
  for (let i = 0; i < width * height; i++) px.set([(i * 7) & 255, (i * 13 + 5) & 255, (i * 29 + 11) & 255, (i * 3) & 255], i * 4);
  return px;
}

async function decode(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

function rgbOf(rgba: Uint8Array): Uint8Array {
  const out = new Uint8Array((rgba.length / 4) * 3);
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 3) out.set(rgba.subarray(i, i + 3), o);
  return out;
}

// The word-at-a-time path (width a multiple of 4, aligned) and the byte path (odd width, odd offset).
for (const [width, height, offset] of [[224, 224, 0], [64, 3, 0], [13, 7, 0], [16, 5, 1]] as const) {
  test(`RGBA → RGB PNG decodes to the same pixels: ${width}x${height}${offset ? ', unaligned' : ''}`, async (t) => {
    const rgba = pattern(width, height, offset);
    const png = await encodeRgbaAsRgbPng(rgba, width, height, 4);
    const { data, info } = await decode(png);
    t.like(info, { width, height, channels: 3 });
    t.is((await sharp(png).metadata()).format, 'png');
    t.deepEqual(new Uint8Array(data), rgbOf(rgba));
  });
}

test('scanlines: a Sub filter byte, then the row without alpha, each byte minus the pixel to its left (mod 256)', (t) => {
  const rgba = Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 0, 10, 11, 12, 1, 13, 14, 15, 2, 16, 17, 18, 3, 19, 20, 21, 4, 22, 23, 24, 5]);
  t.deepEqual([...rgbScanlines(rgba, 4, 2)], [1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 13, 14, 15, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
  const wraps = Uint8Array.from([200, 0, 255, 9, 10, 255, 0, 9, 5, 5, 5, 9, 0, 0, 0, 9]);
  const expected = [1, 200, 0, 255, 66, 255, 1, 251, 6, 5, 251, 251, 251];
  t.deepEqual([...rgbScanlines(wraps, 4, 1)], expected, 'word path');
  const unaligned = new Uint8Array(wraps.length + 1);
  unaligned.set(wraps, 1);
  t.deepEqual([...rgbScanlines(unaligned.subarray(1), 4, 1)], expected, 'byte path');
});

test('same pixels, same bytes; higher levels are not larger', async (t) => {
  const rgba = pattern(64, 64);
  const a = await encodeImage(rgba, 64, 64, 'png');
  const b = await encodeImage(new Uint8Array(rgba), 64, 64, 'png');
  t.deepEqual(a, b);
  const fast = await encodeRgbaAsRgbPng(rgba, 64, 64, 1);
  const best = await encodeRgbaAsRgbPng(rgba, 64, 64, 9);
  t.true(best.length <= fast.length);
});

test('a wrong pixel count or level is refused with the numbers', async (t) => {
  await t.throwsAsync(encodeRgbaAsRgbPng(new Uint8Array(10), 2, 2, 4), { instanceOf: RangeError, message: 'png rgb from rgba: expected 2x2x4 = 16 bytes, got 10' });
  await t.throwsAsync(encodeRgbaAsRgbPng(new Uint8Array(16), 2, 2, 0), { instanceOf: RangeError, message: 'png level: expected an integer in [1, 9], got 0' });
});
