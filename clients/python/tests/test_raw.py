"""Raw tensor samples (spec format "raw") against a real service started from the checkout's dist/.

    /usr/bin/python3 -m unittest discover clients/python/tests
"""
import io
import os
import sys
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))

from synth_client import Client, decode_npy, decode_png_numpy  # noqa: E402
from synth_client.local import LocalService  # noqa: E402
from synth_client.raw import decode_image_member  # noqa: E402

SPEC = {'name': 'py-raw', 'seed': 9, 'count': 4, 'resolution': [32, 24], 'classes': ['cube', 'torus'],
        'labels': ['segmentation', 'depth']}

service = None


def setUpModule():
    global service
    service = LocalService(repo_root=REPO)


def tearDownModule():
    if service is not None:
        service.stop()


class NpyTest(unittest.TestCase):
    """decode_npy reads what numpy writes; images must be uint8 [H, W, 3]."""

    def test_numpy_arrays_round_trip(self):
        for array in (np.arange(24, dtype=np.uint8).reshape(2, 4, 3), np.array([[1, 65535], [300, 0]], dtype=np.uint16)):
            buf = io.BytesIO()
            np.save(buf, array)
            got = decode_npy(buf.getvalue())
            self.assertEqual(got.dtype, array.dtype)
            np.testing.assert_array_equal(got, array)
        buf = io.BytesIO()
        np.save(buf, np.zeros((4, 4), dtype=np.float32))
        with self.assertRaisesRegex(ValueError, r'expected uint8 \[H, W, 3\], got float32 \[4, 4\]'):
            decode_image_member('npy', buf.getvalue())
        with self.assertRaisesRegex(ValueError, 'expected one of npy, png, jpg, webp'):
            decode_image_member('tiff', b'')


class RawStreamTest(unittest.TestCase):
    """The stream of a raw spec holds the same pixels as the PNG stream of the same spec, as arrays."""

    def test_raw_stream_equals_the_png_stream_without_decoding(self):
        client = Client(service.url)
        raw = list(client.stream({**SPEC, 'format': 'raw'}))
        png = list(client.stream(SPEC, decoder='numpy'))
        self.assertEqual(len(raw), 4)
        self.assertEqual([s.metadata['id'] for s in raw], [s.metadata['id'] for s in png], 'the same samples, in order')
        for r, p in zip(raw, png):
            self.assertEqual(r.image.dtype, np.uint8)
            self.assertEqual(r.image.shape, (24, 32, 3), 'uint8 [H, W, 3]')
            np.testing.assert_array_equal(r.image, p.image, 'PNG is lossless: the same pixels')
            self.assertEqual(r.label, p.label)
            self.assertEqual(r.metadata['file'], f"{r.metadata['id']}.npy")
            maps = r.metadata['maps']
            self.assertEqual(sorted(maps), ['depth', 'seg', 'sem'])
            self.assertEqual((maps['seg'].dtype, maps['seg'].shape), (np.uint8, (24, 32)))
            self.assertEqual((maps['depth'].dtype, maps['depth'].shape), (np.uint16, (24, 32)))
            np.testing.assert_array_equal(maps['seg'], decode_png_numpy(p.metadata['members']['seg.png'])[:, :, 0], 'the same instance ids as the PNG map')
            self.assertGreater(int((maps['seg'] > 0).sum()), 0, 'the object shows in the mask')
        part = list(client.stream({**SPEC, 'format': 'raw'}, start=2, end=4))
        self.assertEqual([s.metadata['index'] for s in part], [2, 3])
        np.testing.assert_array_equal(part[0].image, raw[2].image)


if __name__ == '__main__':
    unittest.main()
