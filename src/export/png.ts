/**
 * A small PNG encoder for label maps: 8-bit grey (masks), 16-bit grey (depth), 8-bit RGB (normals).
 * sharp's raw input does not cover 16-bit grey cleanly, and label maps need exact values, so these are
 * written here: IHDR, one zlib IDAT of unfiltered rows, IEND. Same input, same bytes.
 */
import { deflate, constants } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

/** Pixel layouts encodePng writes. */
export type PngKind = 'grey8' | 'grey16' | 'rgb8';

const KIND: Record<PngKind, { channels: number; bitDepth: number; colorType: number }> = {
  grey8: { channels: 1, bitDepth: 8, colorType: 0 },
  grey16: { channels: 1, bitDepth: 16, colorType: 0 },
  rgb8: { channels: 3, bitDepth: 8, colorType: 2 },
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encode pixels (rows top-down; `grey16` takes a Uint16Array, the others a Uint8Array) as PNG.
 * @throws RangeError when the pixel count does not match width x height x channels.
 */
export async function encodePng(kind: PngKind, pixels: Uint8Array | Uint16Array, width: number, height: number): Promise<Buffer> {
  const { channels, bitDepth, colorType } = KIND[kind];
  if (pixels.length !== width * height * channels) {
    throw new RangeError(`png ${kind}: expected ${width}x${height}x${channels} = ${width * height * channels} values, got ${pixels.length}`);
  }
  if ((bitDepth === 16) !== (pixels instanceof Uint16Array)) {
    throw new TypeError(`png ${kind}: expected a ${bitDepth === 16 ? 'Uint16Array' : 'Uint8Array'}, got ${pixels.constructor.name}`);
  }
  const rowBytes = width * channels * (bitDepth / 8);
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (rowBytes + 1); // raw[at] = 0: filter type None
    if (bitDepth === 8) raw.set((pixels as Uint8Array).subarray(y * rowBytes, (y + 1) * rowBytes), at + 1);
    else for (let x = 0, i = y * width * channels; x < width * channels; x++, i++) raw.writeUInt16BE(pixels[i], at + 1 + 2 * x);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const idat = await deflateAsync(raw, { level: 6, strategy: constants.Z_DEFAULT_STRATEGY });
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}
