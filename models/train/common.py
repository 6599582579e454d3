"""Shared helpers of the training scripts: PNG read/write without Pillow, the rendered dataset loader,
a tiny line-plot writer and JSON/time helpers.

Only the Debian packages python3-torch, python3-numpy and python3-onnx are assumed (no PyPI), so PNG
decoding is done here with zlib + numpy: the renderer writes 8-bit RGB or RGBA PNGs.
"""
import json
import os
import struct
import zlib

import numpy as np


def read_png(path):
    """Decode an 8-bit greyscale/RGB/RGBA non-interlaced PNG to a uint8 array [H, W, 3]."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(f'{path}: not a PNG file')
    pos, idat, width = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            width, height, depth, color, _, _, interlace = struct.unpack('>IIBBBBB', body)
            if depth != 8 or interlace != 0 or color not in (0, 2, 6):
                raise ValueError(f'{path}: expected an 8-bit non-interlaced grey/RGB/RGBA PNG, got depth {depth} color {color}')
        elif kind == b'IDAT':
            idat.append(body)
        elif kind == b'IEND':
            break
    channels = {0: 1, 2: 3, 6: 4}[color]
    stride = width * channels
    raw = np.frombuffer(zlib.decompress(b''.join(idat)), dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int32)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        ftype, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if ftype == 0:
            cur = line
        elif ftype == 2:
            cur = (line + prev) & 255
        else:
            cur = np.zeros(stride, dtype=np.int32)
            for x in range(stride):
                a = cur[x - channels] if x >= channels else 0
                b = prev[x]
                if ftype == 1:
                    p = a
                elif ftype == 3:
                    p = (a + b) >> 1
                else:
                    c = prev[x - channels] if x >= channels else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + p) & 255
        out[y] = cur
        prev = cur
    img = out.astype(np.uint8).reshape(height, width, channels)
    if channels == 1:
        img = np.repeat(img, 3, axis=2)
    return img[:, :, :3]


def write_png(path, rgb):
    """Write a uint8 array [H, W, 3] as an RGB PNG (filter 0 on every row)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width, _ = rgb.shape
    raw = b''.join(b'\x00' + rgb[y].tobytes() for y in range(height))

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff)

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(raw, 9)))
        f.write(chunk(b'IEND', b''))


def load_image_folder(root, classes, cache=None):
    """Load `root/images/<class>/*.png` for the given class order into (uint8 [N,3,H,W], int64 [N]).

    File order is sorted per class, so the result is deterministic. `cache` names an .npz file that
    keeps the decoded arrays (decoding ~8k PNGs in numpy takes a minute).
    """
    if cache and os.path.exists(cache):
        z = np.load(cache)
        if list(z['classes']) == list(classes):
            return z['images'], z['labels']
    images, labels = [], []
    for k, name in enumerate(classes):
        folder = os.path.join(root, 'images', name)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f'{folder}: missing class folder (export the dataset first)')
        for file in sorted(os.listdir(folder)):
            if file.endswith('.png'):
                images.append(read_png(os.path.join(folder, file)).transpose(2, 0, 1))
                labels.append(k)
    images = np.stack(images).astype(np.uint8)
    labels = np.array(labels, dtype=np.int64)
    if cache:
        os.makedirs(os.path.dirname(cache) or '.', exist_ok=True)
        np.savez(cache, images=images, labels=labels, classes=np.array(classes))
    return images, labels


# 3x5 bitmap glyphs for tick labels (rows top to bottom, 3 bits each)
_GLYPHS = {
    '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
    '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
    '.': [0, 0, 0, 0, 2], '-': [0, 0, 7, 0, 0], 'e': [0, 7, 7, 4, 7], ' ': [0, 0, 0, 0, 0],
    's': [0, 7, 6, 1, 7], 't': [2, 7, 2, 2, 3], 'p': [0, 7, 5, 7, 4], 'l': [6, 2, 2, 2, 7], 'o': [0, 7, 5, 5, 7],
}


def draw_text(img, x, y, text, scale=2, color=(60, 60, 60)):
    """Draw `text` (digits, '.', '-', 'e' and a few letters) with its top-left corner at (x, y)."""
    for ch in text:
        rows = _GLYPHS.get(ch, _GLYPHS[' '])
        for r, bits in enumerate(rows):
            for c in range(3):
                if bits & (4 >> c):
                    img[y + r * scale:y + (r + 1) * scale, x + c * scale:x + (c + 1) * scale] = color
        x += 4 * scale


def line_plot_png(path, series, width=640, height=360, log_y=True, x_max=None):
    """A minimal line chart (no matplotlib): `series` is a list of (values, (r, g, b)); axes and
    a tick per decade (log) or per fifth (linear) in grey. Values are plotted against their index."""
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    left, right, top, bottom = 56, width - 10, 10, height - 25
    all_values = np.concatenate([np.asarray(v, dtype=np.float64) for v, _ in series if len(v)])
    f = (lambda v: np.log10(np.maximum(v, 1e-12))) if log_y else (lambda v: v)
    lo, hi = f(all_values).min(), f(all_values).max()
    if hi - lo < 1e-9:
        hi = lo + 1
    ticks = np.arange(np.floor(lo), np.ceil(hi) + 1) if log_y else np.linspace(lo, hi, 6)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    for tick in ticks:
        y = int(round(bottom - (tick - lo) / (hi - lo) * (bottom - top)))
        img[y, left:right] = 225
        draw_text(img, 4, max(0, min(height - 10, y - 5)), f'1e{int(tick)}' if log_y else f'{tick:.3g}')
    img[top:bottom + 1, left] = 0
    img[bottom, left:right + 1] = 0
    if x_max is not None:
        draw_text(img, left - 3, bottom + 6, '0')
        label = f'{x_max} steps'
        draw_text(img, right - len(label) * 8, bottom + 6, label)
    for values, color in series:
        v = f(np.asarray(values, dtype=np.float64))
        n = len(v)
        if n < 2:
            continue
        xs = left + np.arange(n) / (n - 1) * (right - left)
        ys = bottom - (v - lo) / (hi - lo) * (bottom - top)
        for i in range(n - 1):
            steps = int(max(abs(xs[i + 1] - xs[i]), abs(ys[i + 1] - ys[i]), 1))
            for s in range(steps + 1):
                x = int(round(xs[i] + (xs[i + 1] - xs[i]) * s / steps))
                y = int(round(ys[i] + (ys[i + 1] - ys[i]) * s / steps))
                img[max(y - 1, 0):y + 1, x] = color
    write_png(path, img)


def save_json(path, value):
    with open(path, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')
