/**
 * NumPy `.npy` files (format version 1.0), written by hand: the magic string, a little-endian header
 * length, a Python-literal header dict padded with spaces to a multiple of 64 bytes and ending in a
 * newline (as numpy writes it), then the C-order array data. Same array, same bytes.
 */

/** Element types npy files are written with: numpy's `descr` of each. */
export const NPY_DTYPES = { uint8: '|u1', uint16: '<u2', float32: '<f4' } as const;
/** An element type encodeNpy writes. */
export type NpyDtype = keyof typeof NPY_DTYPES;

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY, version 1.0
const ALIGN = 64;
const ITEM_BYTES: Record<NpyDtype, number> = { uint8: 1, uint16: 2, float32: 4 };
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The header dict of an array: `{'descr': '|u1', 'fortran_order': False, 'shape': (224, 224, 3), }`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): string {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${NPY_DTYPES[dtype]}', 'fortran_order': False, 'shape': ${dims}, }`;
}

/** The bytes before the data: magic, version, header length, header padded to ALIGN with a final newline. */
function npyPreamble(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const dict = npyHeader(dtype, shape);
  const unpadded = MAGIC.length + 2 + dict.length + 1;
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const out = Buffer.alloc(total, 0x20);
  out.set(MAGIC, 0);
  out.writeUInt16LE(total - MAGIC.length - 2, MAGIC.length);
  out.write(dict, MAGIC.length + 2, 'latin1');
  out[total - 1] = 0x0a;
  return out;
}

/**
 * Encode `data` (C order) as an .npy file of `dtype` and `shape`.
 * @throws RangeError when the element count does not match the shape, or a dimension is not a non-negative integer.
 * @throws TypeError when the array type does not match `dtype`.
 */
export function encodeNpy(dtype: NpyDtype, shape: readonly number[], data: Uint8Array | Uint16Array | Float32Array): Buffer {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`npy shape: expected non-negative integers, got [${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new RangeError(`npy ${dtype} [${shape.join(', ')}]: expected ${count} values, got ${data.length}`);
  const expected = { uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array }[dtype];
  if (!(data instanceof expected)) throw new TypeError(`npy ${dtype}: expected a ${expected.name}, got ${data.constructor.name}`);
  const head = npyPreamble(dtype, shape);
  const out = Buffer.allocUnsafe(head.length + count * ITEM_BYTES[dtype]);
  head.copy(out, 0);
  if (LITTLE_ENDIAN || dtype === 'uint8') {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), head.length);
  } else {
    for (let i = 0; i < count; i++) {
      if (dtype === 'uint16') out.writeUInt16LE(data[i], head.length + 2 * i);
      else out.writeFloatLE(data[i], head.length + 4 * i);
    }
  }
  return out;
}

/**
 * An RGBA8 frame (rows top-down) as a uint8 [height, width, 3] .npy file, alpha dropped: the tensor a
 * trainer feeds without decoding anything.
 * @throws RangeError when the pixel count does not match width x height x 4.
 */
export function encodeRgbaAsRgbNpy(rgba: Uint8Array, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) throw new RangeError(`npy rgb from rgba: expected ${width}x${height}x4 = ${width * height * 4} bytes, got ${rgba.length}`);
  const head = npyPreamble('uint8', [height, width, 3]);
  const out = Buffer.allocUnsafe(head.length + width * height * 3);
  head.copy(out, 0);
  for (let i = 0, o = head.length; i < rgba.length; i += 4, o += 3) {
    out[o] = rgba[i];
    out[o + 1] = rgba[i + 1];
    out[o + 2] = rgba[i + 2];
  }
  return out;
}

/**
 * Read an .npy file this module writes (version 1.0, C order, one of NPY_DTYPES).
 * @throws RangeError naming what does not match.
 */
export function decodeNpy(bytes: Uint8Array): { dtype: NpyDtype; shape: number[]; data: Uint8Array | Uint16Array | Float32Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC.subarray(0, 6))) throw new RangeError('npy: expected the \\x93NUMPY magic string');
  if (buf[6] !== 1) throw new RangeError(`npy: expected format version 1, got ${buf[6]}`);
  const headerLength = buf.readUInt16LE(8);
  const dict = buf.subarray(10, 10 + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(dict)?.[1];
  const dtype = (Object.keys(NPY_DTYPES) as NpyDtype[]).find((d) => NPY_DTYPES[d] === descr);
  if (!dtype) throw new RangeError(`npy descr: expected one of ${Object.values(NPY_DTYPES).join(', ')}, got ${descr}`);
  if (!/'fortran_order':\s*False/.test(dict)) throw new RangeError('npy: expected C order (fortran_order False)');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (shapeText === undefined) throw new RangeError('npy: the header has no shape');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = 10 + headerLength;
  const size = count * ITEM_BYTES[dtype];
  if (buf.length !== start + size) throw new RangeError(`npy: expected ${size} data bytes for [${shape.join(', ')}] ${dtype}, got ${buf.length - start}`);
  const copy = new Uint8Array(buf.subarray(start, start + size)); // aligned, owned
  const data = dtype === 'uint8' ? copy : dtype === 'uint16' ? new Uint16Array(copy.buffer) : new Float32Array(copy.buffer);
  return { dtype, shape, data };
}
