"""Raw tensor samples: spec format "raw" gives images as uint8 [H, W, 3] NumPy .npy members (and label
maps as .npy of their natural dtype: seg and sem uint8 [H, W], depth uint16 [H, W] in depth_scale units,
normals uint8 [H, W, 3]), which decode to numpy arrays with no image decoding at all.

    from synth_client import Client
    for image, label, meta in Client(url).stream({**spec, 'format': 'raw'}):
        image            # numpy uint8 [H, W, 3]
        meta['maps']     # {'seg': uint8 [H, W], 'depth': uint16 [H, W], ...} when the spec asks for labels
"""
import io

import numpy as np

from .png import decode_png

#: Image member extensions of a sample, by the spec's format.
IMAGE_MEMBERS = ('npy', 'png', 'jpg', 'webp')

#: Label map kinds a sample may carry.
LABEL_KINDS = ('seg', 'sem', 'depth', 'normals')


def decode_npy(data):
    """An .npy member's bytes as a numpy array (numpy's own reader; no pickled objects).

    Raises ValueError for bytes that are not an .npy file.
    """
    return np.load(io.BytesIO(bytes(data)), allow_pickle=False)


def decode_image_member(ext, data, decoder='auto'):
    """A sample's image member as an RGB uint8 array [H, W, 3]: `.npy` read as is, `.png` decoded.

    ext: the member's extension ('npy', 'png', 'jpg' or 'webp'; jpg and webp need Pillow).
    Raises ValueError for an extension it does not read, or an array that is not uint8 [H, W, 3].
    """
    if ext == 'npy':
        image = decode_npy(data)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f'image .npy: expected uint8 [H, W, 3], got {image.dtype} {list(image.shape)}')
        return image
    if ext == 'png':
        return decode_png(data, decoder)
    if ext in ('jpg', 'webp'):
        return decode_png(data, 'pil')  # Pillow reads any format it knows
    raise ValueError(f"image member: expected one of {', '.join(IMAGE_MEMBERS)}, got {ext!r}")


def take_image_and_maps(members, decoder='auto'):
    """Remove a sample's image member and its .npy label maps from `members` (extension -> bytes) and
    decode them: (image [H, W, 3] uint8, {kind: array}). PNG label maps stay in `members` as bytes.

    Raises ValueError when the sample has no image member.
    """
    ext = next((e for e in IMAGE_MEMBERS if e in members), None)
    if ext is None:
        raise ValueError(f"sample: expected an image member ({', '.join(IMAGE_MEMBERS)}), got {sorted(members)}")
    image = decode_image_member(ext, members.pop(ext), decoder)
    maps = {kind: decode_npy(members.pop(f'{kind}.npy')) for kind in LABEL_KINDS if f'{kind}.npy' in members}
    return image, maps
