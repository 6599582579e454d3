"""PNG decoding for the client: Pillow when it is importable, else a small pure-numpy decoder.

The numpy decoder reads what the service writes and a little more: 8-bit greyscale, grey+alpha, RGB,
RGBA and palette images, non-interlaced, every one of the five row filters (None, Sub, Up, Average,
Paeth). Sub and Up are vectorised over the row; Average and Paeth depend on the pixel to the left,
so they run per pixel over plain Python ints (about 50 ms for a 224x224 RGB image, well under a
millisecond at 32x32).
"""
import struct
import zlib

import numpy as np

try:  # Pillow is optional: Debian's python3-pil, or pip's Pillow
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover - depends on the machine
    _PILImage = None

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

#: Channels per PNG colour type (3 is a palette index).
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def have_pil():
    """True when Pillow is importable (then `decode_png(..., decoder='auto')` uses it)."""
    return _PILImage is not None


def decode_png(data, decoder='auto'):
    """Decode PNG bytes to an RGB uint8 array [H, W, 3].

    decoder: 'auto' (Pillow when importable, else numpy), 'pil' or 'numpy'.
    Raises ValueError for bytes that are not a PNG this decoder reads.
    """
    if decoder == 'auto':
        decoder = 'pil' if _PILImage is not None else 'numpy'
    if decoder == 'pil':
        if _PILImage is None:
            raise ValueError("decoder 'pil': Pillow is not installed (apt-get install python3-pil, or use decoder='numpy')")
        import io
        with _PILImage.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert('RGB'), dtype=np.uint8)
    if decoder == 'numpy':
        return to_rgb(decode_png_numpy(data))
    raise ValueError(f"decoder: expected 'auto', 'pil' or 'numpy', got {decoder!r}")


def to_rgb(img):
    """An [H, W, C] uint8 array (C = 1, 2, 3 or 4) as RGB [H, W, 3]: grey repeated, alpha dropped."""
    c = img.shape[2]
    if c in (1, 2):
        return np.repeat(img[:, :, :1], 3, axis=2)
    return np.ascontiguousarray(img[:, :, :3])


def decode_png_numpy(data):
    """Decode an 8-bit non-interlaced PNG with numpy only, keeping its channels: [H, W, C] uint8.

    C is 1 (grey), 2 (grey + alpha), 3 (RGB; palette images are expanded to RGB) or 4 (RGBA).
    Raises ValueError naming what is not supported (bit depth, interlacing, colour type).
    """
    data = bytes(data)
    if data[:8] != PNG_SIGNATURE:
        raise ValueError('not a PNG: the signature is missing')
    pos, idat, header, palette = 8, [], None, None
    while pos + 8 <= len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'PLTE':
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    if header is None:
        raise ValueError('not a PNG: no IHDR chunk')
    width, height, depth, color, _, _, interlace = header
    if depth != 8:
        raise ValueError(f'PNG bit depth: expected 8, got {depth}')
    if interlace != 0:
        raise ValueError('PNG interlacing: expected none (0), got Adam7 (1)')
    if color not in _CHANNELS:
        raise ValueError(f'PNG colour type: expected 0, 2, 3, 4 or 6, got {color}')
    if color == 3 and palette is None:
        raise ValueError('PNG palette image without a PLTE chunk')
    bpp = _CHANNELS[color]
    stride = width * bpp
    raw = zlib.decompress(b''.join(idat))
    if len(raw) < height * (stride + 1):
        raise ValueError(f'PNG data: expected {height * (stride + 1)} bytes after inflating, got {len(raw)}')
    rows = np.frombuffer(raw, dtype=np.uint8, count=height * (stride + 1)).reshape(height, stride + 1)
    out = np.empty((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        ftype, line = rows[y, 0], rows[y, 1:]
        if ftype == 0:
            cur = line.copy()
        elif ftype == 1:  # Sub: running sum per channel along the row
            cur = (np.cumsum(line.reshape(width, bpp).astype(np.uint32), axis=0) & 255).astype(np.uint8).reshape(stride)
        elif ftype == 2:  # Up
            cur = line + prev  # uint8 arithmetic wraps modulo 256
        elif ftype == 3:  # Average
            cur = _unfilter_average(line.tolist(), prev.tolist(), bpp)
        elif ftype == 4:  # Paeth
            cur = _unfilter_paeth(line.tolist(), prev.tolist(), bpp)
        else:
            raise ValueError(f'PNG row {y}: unknown filter type {ftype}')
        out[y] = cur
        prev = out[y]
    img = out.reshape(height, width, bpp)
    if color == 3:
        img = palette[img[:, :, 0]]
    return img


def _unfilter_average(line, prev, bpp):
    cur = list(line)
    for x in range(len(cur)):
        a = cur[x - bpp] if x >= bpp else 0
        cur[x] = (cur[x] + ((a + prev[x]) >> 1)) & 255
    return np.array(cur, dtype=np.uint8)


def _unfilter_paeth(line, prev, bpp):
    cur = list(line)
    for x in range(len(cur)):
        if x >= bpp:
            a, c = cur[x - bpp], prev[x - bpp]
        else:
            a = c = 0
        b = prev[x]
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
        cur[x] = (cur[x] + pred) & 255
    return np.array(cur, dtype=np.uint8)


def encode_png(img, filters=0):
    """Encode a uint8 array [H, W, C] (C = 1, 2, 3 or 4) as an 8-bit PNG.

    filters: one filter type (0-4) for every row, or a sequence giving each row's type (cycled). Meant
    for tests and small figures; it is not tuned for size.
    """
    img = np.ascontiguousarray(img, dtype=np.uint8)
    if img.ndim == 2:
        img = img[:, :, None]
    height, width, bpp = img.shape
    color = {1: 0, 2: 4, 3: 2, 4: 6}[bpp]
    seq = [filters] if isinstance(filters, int) else list(filters)
    rows = img.reshape(height, width * bpp).astype(np.int32)
    out = bytearray()
    prev = np.zeros(width * bpp, dtype=np.int32)
    for y in range(height):
        ftype = seq[y % len(seq)]
        cur = rows[y]
        left = np.concatenate([np.zeros(bpp, dtype=np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, dtype=np.int32), prev[:-bpp]])
        if ftype == 0:
            pred = np.zeros_like(cur)
        elif ftype == 1:
            pred = left
        elif ftype == 2:
            pred = prev
        elif ftype == 3:
            pred = (left + prev) >> 1
        elif ftype == 4:
            p = left + prev - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        else:
            raise ValueError(f'filters: expected types 0-4, got {ftype}')
        out.append(ftype)
        out += ((cur - pred) & 255).astype(np.uint8).tobytes()
        prev = cur

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)

    return (PNG_SIGNATURE + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, color, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(bytes(out), 6)) + chunk(b'IEND', b''))
