"""Label maps with their values intact: 16-bit depth and id masks from WebDataset shards, ImageFolder
exports and session batches.

Label maps are PNGs (or .npy beside raw images): `<id>.seg.png` instance ids (uint8, 0 = background),
`<id>.sem.png` class label + 1 (uint8, 0 = background), `<id>.depth.png` depth in DEPTH_SCALE scene
units per count (uint16, 0 = nothing), `<id>.normals.png` normals as RGB (uint8). A generic image
decoder destroys them: webdataset's `.decode('rgb')` turns the 16-bit depth into 8-bit RGB floats and
the ids into colours. Decode them here instead:

    import webdataset as wds
    from synth_client.labels import webdataset_decoder
    ds = wds.WebDataset(url).decode(webdataset_decoder, 'rgb')   # label maps first, images as usual
    for sample in ds:
        sample['depth.png']   # numpy uint16 [H, W]; depth_in_units(...) for float scene units
        sample['seg.png']     # numpy uint8 [H, W]
"""
import struct
import zlib

import numpy as np

from .png import PNG_SIGNATURE, _unfilter_average, _unfilter_paeth
from .raw import decode_npy

#: Label map kinds (the part of a member name between the sample id and the extension).
LABEL_KINDS = ('seg', 'sem', 'depth', 'normals')

#: Scene units per count of a depth map (src/labels/depth.ts DEPTH_SCALE): 1 count = 0.001 units.
DEPTH_SCALE = 0.001

#: Channels per PNG colour type this decoder reads (grey, RGB, grey + alpha, RGBA).
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def decode_png_exact(data):
    """Decode an 8- or 16-bit non-interlaced PNG keeping its values: uint8 or uint16, [H, W] for grey,
    [H, W, C] otherwise. Unlike decode_png it never converts to RGB or to 8 bits.

    Raises ValueError naming what is not supported (bit depth, palette, interlacing).
    """
    data = bytes(data)
    if data[:8] != PNG_SIGNATURE:
        raise ValueError('not a PNG: the signature is missing')
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    if header is None:
        raise ValueError('not a PNG: no IHDR chunk')
    width, height, depth, color, _, _, interlace = header
    if depth not in (8, 16):
        raise ValueError(f'PNG bit depth: expected 8 or 16, got {depth}')
    if color not in _CHANNELS:
        raise ValueError(f'PNG colour type: expected 0, 2, 4 or 6 (label maps have no palette), got {color}')
    if interlace != 0:
        raise ValueError('PNG interlacing: expected none (0), got Adam7 (1)')
    channels = _CHANNELS[color]
    bpp = channels * depth // 8  # filters work on bytes, a pixel apart
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
        elif ftype == 1:  # Sub: running sum per byte lane along the row
            cur = (np.cumsum(line.reshape(width, bpp).astype(np.uint32), axis=0) & 255).astype(np.uint8).reshape(stride)
        elif ftype == 2:  # Up
            cur = line + prev
        elif ftype == 3:
            cur = _unfilter_average(line.tolist(), prev.tolist(), bpp)
        elif ftype == 4:
            cur = _unfilter_paeth(line.tolist(), prev.tolist(), bpp)
        else:
            raise ValueError(f'PNG row {y}: unknown filter type {ftype}')
        out[y] = cur
        prev = out[y]
    img = out.view('>u2').astype(np.uint16) if depth == 16 else out
    img = img.reshape(height, width, channels)
    return img[:, :, 0] if channels == 1 else img


def label_kind(name):
    """The label kind of a member name or extension ('00000007.depth.png', 'depth.png' -> 'depth'), or None."""
    parts = name.lower().split('.')
    if len(parts) >= 2 and parts[-2] in LABEL_KINDS and parts[-1] in ('png', 'npy'):
        return parts[-2]
    return None


def decode_label_map(name, data):
    """A label map member (`<id>.<kind>.png` or `.npy`, or just `<kind>.png`) as a numpy array with its
    values: seg and sem uint8 [H, W], depth uint16 [H, W], normals uint8 [H, W, 3].

    Raises ValueError for a name that is no label map, or bytes that do not decode.
    """
    kind = label_kind(name)
    if kind is None:
        raise ValueError(f"label map: expected a member named <id>.<kind>.png or .npy with kind one of {', '.join(LABEL_KINDS)}, got {name!r}")
    return decode_npy(data) if name.lower().endswith('.npy') else decode_png_exact(data)


def webdataset_decoder(key, data):
    """A webdataset decoder handler: label map members as numpy arrays (decode_label_map), None for any
    other member so the next handler ('rgb', 'pil', ...) decodes it. Put it first:
    `wds.WebDataset(url).decode(webdataset_decoder, 'rgb')`.
    """
    return decode_label_map(key, data) if label_kind(key) else None


def decode_label_maps(members):
    """The label maps among a sample's members (name or extension -> bytes, e.g. Sample.meta['members']
    of a session batch) as {kind: array}."""
    return {label_kind(name): decode_label_map(name, data) for name, data in members.items() if label_kind(name)}


def depth_in_units(depth, scale=DEPTH_SCALE):
    """A uint16 depth map as float32 scene units (count x scale), NaN where nothing was hit (count 0)."""
    out = depth.astype(np.float32) * np.float32(scale)
    out[depth == 0] = np.nan
    return out
