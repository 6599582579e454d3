import test from 'ava';
import { decodeNpy, encodeNpy, encodeRgbaAsRgbNpy, npyHeader } from '../../src/pipeline/npy.js';

test('npy files: numpy\'s header, padded to 64 bytes with a final newline, then the data little-endian', (t) => {
  const bytes = encodeNpy('uint16', [2, 3], Uint16Array.from([1, 2, 3, 256, 65535, 0]));
  t.deepEqual([...bytes.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 'magic and version 1.0');
  const headerLength = bytes.readUInt16LE(8);
  t.is((10 + headerLength) % 64, 0, 'data starts on a 64-byte boundary');
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  t.true(header.startsWith("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }"), header);
  t.true(header.endsWith(' \n'), 'space padding, newline last');
  t.deepEqual([...bytes.subarray(10 + headerLength)], [1, 0, 2, 0, 3, 0, 0, 1, 255, 255, 0, 0]);
  t.is(npyHeader('uint8', [5]), "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", 'one dimension: a one-tuple');
  const back = decodeNpy(bytes);
  t.deepEqual([back.dtype, back.shape, [...back.data]], ['uint16', [2, 3], [1, 2, 3, 256, 65535, 0]]);
});

test('an RGBA frame becomes uint8 [H, W, 3], alpha dropped; bad input is refused', (t) => {
  const rgba = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const npy = decodeNpy(encodeRgbaAsRgbNpy(rgba, 3, 2));
  t.deepEqual(npy.shape, [2, 3, 3]);
  t.deepEqual([...npy.data], [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 16, 17, 18, 20, 21, 22]);
  t.throws(() => encodeRgbaAsRgbNpy(rgba, 4, 2), { instanceOf: RangeError, message: 'npy rgb from rgba: expected 4x2x4 = 32 bytes, got 24' });
  t.throws(() => encodeNpy('uint8', [2, 2], new Uint8Array(3)), { instanceOf: RangeError, message: 'npy uint8 [2, 2]: expected 4 values, got 3' });
  t.throws(() => encodeNpy('uint16', [2], new Uint8Array(2)), { instanceOf: TypeError, message: 'npy uint16: expected a Uint16Array, got Uint8Array' });
  t.throws(() => decodeNpy(Buffer.from('not an array')), { instanceOf: RangeError, message: /magic/ });
});
