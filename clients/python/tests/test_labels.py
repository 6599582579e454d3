"""Tests of synth_client.labels: 16-bit depth and id masks decode with their values intact.

    /usr/bin/python3 -m unittest clients/python/tests/test_labels.py

Needs numpy only (no service).
"""
import io
import os
import struct
import sys
import unittest
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from synth_client.labels import (  # noqa: E402
    decode_label_map, decode_label_maps, decode_png_exact, depth_in_units, label_kind, webdataset_decoder)
from synth_client.png import decode_png_numpy, encode_png  # noqa: E402


def grey16_png(depth, filters):
    """A 16-bit greyscale PNG of `depth` (uint16 [H, W]): its filtered bytes are those of an 8-bit
    grey+alpha image of the big-endian bytes (both have 2 bytes per pixel), so encode_png writes them
    and the header is changed to bit depth 16, colour type 0."""
    be = depth.astype('>u2').view(np.uint8).reshape(depth.shape[0], depth.shape[1], 2)
    png = bytearray(encode_png(be, filters))
    ihdr = struct.pack('>IIBBBBB', depth.shape[1], depth.shape[0], 16, 0, 0, 0, 0)
    png[16:29] = ihdr
    png[29:33] = struct.pack('>I', zlib.crc32(b'IHDR' + ihdr) & 0xffffffff)
    return bytes(png)


class LabelMapTest(unittest.TestCase):
    def test_16_bit_depth_decodes_exactly_for_every_filter(self):
        rng = np.random.RandomState(3)
        depth = rng.randint(0, 65536, size=(7, 9)).astype(np.uint16)
        depth[0, 0], depth[1, 1] = 0, 65535
        png = grey16_png(depth, [0, 1, 2, 3, 4])
        got = decode_label_map('00000007.depth.png', png)
        self.assertEqual(got.dtype, np.uint16)
        self.assertEqual(got.shape, (7, 9))
        np.testing.assert_array_equal(got, depth)
        with self.assertRaises(ValueError):
            decode_png_numpy(png)  # the image decoder reads 8-bit images only

    def test_id_masks_keep_their_ids_and_normals_their_channels(self):
        ids = np.arange(48, dtype=np.uint8).reshape(6, 8)
        np.testing.assert_array_equal(decode_label_map('x.seg.png', encode_png(ids[:, :, None], [1, 4])), ids)
        normals = np.random.RandomState(1).randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
        np.testing.assert_array_equal(decode_png_exact(encode_png(normals, 3)), normals)
        buf = io.BytesIO()
        np.save(buf, ids)
        np.testing.assert_array_equal(decode_label_map('x.sem.npy', buf.getvalue()), ids)

    def test_webdataset_handler_takes_label_maps_only(self):
        depth = np.array([[0, 1500], [65535, 7]], dtype=np.uint16)
        png = grey16_png(depth, 1)
        np.testing.assert_array_equal(webdataset_decoder('depth.png', png), depth)
        self.assertIsNone(webdataset_decoder('png', png), 'the image itself goes to the next handler')
        self.assertIsNone(webdataset_decoder('json', b'{}'))
        self.assertIsNone(webdataset_decoder('cls', b'2'))
        maps = decode_label_maps({'png': b'', 'depth.png': png, 'json': b'{}'})
        self.assertEqual(list(maps), ['depth'])
        self.assertEqual(label_kind('00000001.normals.png'), 'normals')
        self.assertIsNone(label_kind('00000001.png'))

    def test_depth_in_units(self):
        units = depth_in_units(np.array([[0, 1500]], dtype=np.uint16))
        self.assertTrue(np.isnan(units[0, 0]), 'count 0: nothing hit')
        self.assertAlmostEqual(float(units[0, 1]), 1.5, places=6)

    def test_bad_input_is_named(self):
        with self.assertRaisesRegex(ValueError, 'expected a member named'):
            decode_label_map('x.png', b'')
        with self.assertRaisesRegex(ValueError, 'not a PNG'):
            decode_label_map('x.depth.png', b'not a png')


if __name__ == '__main__':
    unittest.main()
