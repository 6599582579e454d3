/**
 * POSIX ustar archives, written by hand (no dependency) and deterministic: mtime 0, uid/gid 0, mode
 * 0644, regular files only. A member is a 512-byte header then its data padded to 512 bytes; an
 * archive ends with two zero blocks (TAR_END). Members can be encoded apart and concatenated, which is
 * how WebDataset shards are assembled from per-sample fragments.
 */

/** Tar block size. */
export const TAR_BLOCK = 512;
/** End-of-archive marker: two zero blocks. */
export const TAR_END: Uint8Array = new Uint8Array(2 * TAR_BLOCK);

/** One file in an archive. */
export interface TarMember {
  name: string;
  data: Uint8Array;
}

function octal(value: number, width: number): string {
  // width - 1 octal digits, then NUL, as GNU tar and Python write them.
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/**
 * The header block of a member named `name` (ASCII, at most 100 bytes) holding `size` bytes.
 * @throws RangeError for a name that does not fit a plain ustar name field, or a size past 8 GiB.
 */
export function tarHeader(name: string, size: number): Buffer {
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(name) || name.length > 100) throw new RangeError(`tar member name: expected printable ASCII of at most 100 characters, got ${JSON.stringify(name)}`);
  if (!(Number.isSafeInteger(size) && size >= 0 && size < 8 ** 11)) throw new RangeError(`tar member ${name}: size ${size} does not fit a ustar header`);
  const h = Buffer.alloc(TAR_BLOCK);
  h.write(name, 0, 'ascii');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(0, 8), 329, 'ascii'); // devmajor
  h.write(octal(0, 8), 337, 'ascii'); // devminor
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** Encode members (in the given order) as tar bytes, without the end marker. */
export function encodeTarMembers(members: readonly TarMember[]): Buffer {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    parts.push(tarHeader(m.name, m.data.length), m.data);
    const pad = (TAR_BLOCK - (m.data.length % TAR_BLOCK)) % TAR_BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  return Buffer.concat(parts);
}

/**
 * Read the regular-file members of tar bytes (ustar or plain), in order.
 * @throws RangeError on a bad header checksum or a member running past the end.
 */
export function parseTar(bytes: Uint8Array): TarMember[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TarMember[] = [];
  let at = 0;
  while (at + TAR_BLOCK <= buf.length) {
    const h = buf.subarray(at, at + TAR_BLOCK);
    if (h.every((b) => b === 0)) break;
    const field = (o: number, n: number) => h.subarray(o, o + n).toString('ascii').replace(/\0.*$/s, '').trim();
    let sum = 0;
    for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (parseInt(field(148, 8), 8) !== sum) throw new RangeError(`tar: bad header checksum at byte ${at}`);
    const size = parseInt(field(124, 12), 8);
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const start = at + TAR_BLOCK;
    if (start + size > buf.length) throw new RangeError(`tar: member ${name} runs past the end`);
    const type = field(156, 1);
    if (type === '0' || type === '') out.push({ name, data: buf.subarray(start, start + size) });
    at = start + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
  }
  return out;
}
