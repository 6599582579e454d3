"""Tests of synth_client against a real service (started here from the checkout's dist/, at 32x32).

    /usr/bin/python3 -m unittest discover clients/python/tests

Needs numpy and a built service (npx tsc -p .). Pillow and torch are optional: the tests that need
them skip when they are missing (the numpy PNG decoder is tested either way).
"""
import io
import json
import os
import re
import sys
import tarfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))

from synth_client import Client, SynthError, decode_png, decode_png_numpy, encode_png, export_classifier, have_pil  # noqa: E402
from synth_client.client import BatchStream  # noqa: E402
from synth_client.local import LocalService  # noqa: E402

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

API_KEY = 'client-test-key'
CLASSES = ['cube', 'torus', 'sphere']
SPEC = {'name': 'py-client', 'seed': 5, 'resolution': [32, 32], 'classes': CLASSES,
        'factors': {'yaw': {'uniform': [0, 360]}, 'texture': {'choice': ['default', 'checker']}}}
SAMPLE_ID = re.compile(r'^[0-9a-f-]{36}-\d{8}$')

service = None


def setUpModule():
    global service
    service = LocalService(repo_root=REPO, api_keys=[API_KEY])


def tearDownModule():
    if service is not None:
        service.stop()


def client(**kw):
    return Client(service.url, api_key=API_KEY, **kw)


class PngTest(unittest.TestCase):
    """The numpy decoder against known pixels, for every filter type and colour type."""

    def test_every_filter_and_colour_type_round_trips(self):
        rng = np.random.RandomState(0)
        for channels in (1, 2, 3, 4):
            img = rng.randint(0, 256, size=(7, 9, channels)).astype(np.uint8)
            img[2:4] = 250  # runs of equal bytes, so the filters see wraparound both ways
            for filters in (0, 1, 2, 3, 4, [0, 1, 2, 3, 4]):
                data = encode_png(img, filters)
                got = decode_png_numpy(data)
                self.assertEqual(got.shape, img.shape, f'{channels} channels, filters {filters}')
                self.assertTrue(np.array_equal(got, img), f'{channels} channels, filters {filters}: pixels differ')
                rgb = decode_png(data, decoder='numpy')
                self.assertEqual(rgb.shape, (7, 9, 3))
                self.assertTrue(np.array_equal(rgb, np.repeat(img[:, :, :1], 3, 2) if channels < 3 else img[:, :, :3]))

    @unittest.skipUnless(have_pil(), 'Pillow is not installed')
    def test_numpy_and_pil_agree_on_pil_encoded_images(self):
        from PIL import Image
        rng = np.random.RandomState(1)
        smooth = (np.add.outer(np.arange(40), np.arange(50))[:, :, None] * [1, 2, 3] % 256).astype(np.uint8)
        for img in (rng.randint(0, 256, size=(40, 50, 3)).astype(np.uint8), smooth):
            for mode in ('RGB', 'RGBA', 'L'):
                buf = io.BytesIO()
                Image.fromarray(img).convert(mode).save(buf, format='PNG', optimize=True)
                self.assertTrue(np.array_equal(decode_png(buf.getvalue(), 'numpy'), decode_png(buf.getvalue(), 'pil')), mode)

    def test_bad_png_is_refused_with_the_reason(self):
        with self.assertRaisesRegex(ValueError, 'signature'):
            decode_png_numpy(b'GIF89a')
        with self.assertRaisesRegex(ValueError, "decoder: expected 'auto', 'pil' or 'numpy'"):
            decode_png(encode_png(np.zeros((2, 2, 3), np.uint8)), decoder='jpeg')


def fake_response(tar_bytes, count):
    class Response(io.BytesIO):
        headers = {'X-Synth-Batch': '4', 'X-Synth-Count': str(count)}
    return Response(tar_bytes)


def make_tar(samples, end=True):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT) as tar:
        for key, members in samples:
            for ext, data in members.items():
                info = tarfile.TarInfo(f'{key}.{ext}')
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    data = buf.getvalue()
    return data if end else data[:-1024]


class BatchStreamTest(unittest.TestCase):
    """Grouping of tar members into samples, offline."""

    def members(self, i, extra=None):
        m = {'png': encode_png(np.full((4, 4, 3), i, np.uint8)), 'json': json.dumps({'id': f's-{i}', 'label': i}).encode(), 'cls': str(i).encode()}
        return dict(m, **(extra or {}))

    def test_members_group_by_key_and_label_maps_are_kept(self):
        tar = make_tar([('s-0', self.members(0, {'seg.png': b'mask'})), ('s-1', self.members(1))])
        samples = list(BatchStream(fake_response(tar, 2), 'numpy'))
        self.assertEqual([s.label for s in samples], [0, 1])
        self.assertEqual(samples[0].metadata['members'], {'seg.png': b'mask'})
        self.assertNotIn('members', samples[1].metadata)
        self.assertEqual(int(samples[1].image[0, 0, 0]), 1)

    def test_a_short_stream_raises_truncated(self):
        tar = make_tar([('s-0', self.members(0))], end=False)
        stream = BatchStream(fake_response(tar, 3), 'numpy')
        with self.assertRaises(SynthError) as e:
            list(stream)
        self.assertEqual(e.exception.code, 'truncated')
        self.assertIn('1 of 3', e.exception.message)


class SessionTest(unittest.TestCase):
    """The client against the running service."""

    def test_batch_streams_decoded_samples_with_their_metadata(self):
        session = client().create_session(SPEC, strategy='hardness', options={'bins': 2})
        self.assertEqual(session.classes, sorted(CLASSES), 'label order: the class names sorted')
        stream = session.batch(6)
        self.assertEqual((stream.batch, stream.count), (0, 6))
        samples = list(stream)
        self.assertEqual(len(samples), 6)
        for i, (image, label, meta) in enumerate(samples):
            self.assertEqual(image.shape, (32, 32, 3))
            self.assertEqual(image.dtype, np.uint8)
            self.assertGreater(int(image.max()) - int(image.min()), 0, 'a rendered image, not a blank one')
            self.assertEqual(meta['id'], f'{session.id}-{i:08d}')
            self.assertRegex(meta['id'], SAMPLE_ID)
            self.assertEqual(session.classes[label], meta['class'])
            self.assertEqual(meta['strategy'], 'hardness')
            self.assertIn('hardness', meta)
            self.assertEqual(set(meta['bins']), {'yaw', 'texture'})
            self.assertIn(meta['factors']['texture'], ('default', 'checker'))
        self.assertEqual(session.info()['counts'], {'batches': 1, 'served': 6, 'drawn': 6})

    def test_a_batch_job_gives_the_same_kind_of_samples_as_a_stream(self):
        session = client().create_session(SPEC, strategy='hardness')
        job = session.batch_job(4)
        self.assertEqual((job['kind'], job['session']), ('batch', session.id))
        with session.open_batch_job(job, poll=0.1, timeout=120) as stream:
            self.assertEqual((stream.batch, stream.count), (0, 4))
            samples = list(stream)
        self.assertEqual([m['id'] for _, _, m in samples], [f'{session.id}-{i:08d}' for i in range(4)])
        self.assertTrue(all(image.shape == (32, 32, 3) for image, _, _ in samples))
        self.assertEqual(session.feedback([{'id': m['id'], 'loss': 0.5} for _, _, m in samples])['accepted'], 4)
        with self.assertRaises(SynthError) as e:
            session.batch_job(2, strategy='pruned')
        self.assertEqual((e.exception.status, e.exception.code), (409, 'conflict'))

    def test_numpy_and_pil_decoders_give_the_same_images(self):
        # Two uniform sessions with the same spec serve the same samples (sample n is sample n of the spec).
        a = [s.image for s in client(decoder='numpy').create_session(SPEC, 'uniform').batch(4)]
        self.assertEqual(len(a), 4)
        if not have_pil():
            self.skipTest('Pillow is not installed: the numpy decoder was checked alone')
        b = [s.image for s in client(decoder='pil').create_session(SPEC, 'uniform').batch(4)]
        for x, y in zip(a, b):
            self.assertTrue(np.array_equal(x, y), 'the two decoders disagree on a served PNG')

    def test_feedback_counts_accepted_and_rejected_records_over_several_posts(self):
        c = client()
        session = c.create_session(SPEC, 'hardness')
        samples = list(session.batch(5))
        other = c.create_session(SPEC, 'uniform')
        other_id = next(iter(other.batch(1))).metadata['id']
        records = [{'id': m['id'], 'loss': np.float32(3.0 if m['class'] == 'torus' else 0.1), 'correct': np.bool_(m['class'] != 'torus')}
                   for _, _, m in samples]
        records += [(f'{session.id}-00000999', 1.0, None), {'id': other_id, 'loss': 1.0}, {'id': 'not-an-id', 'correct': True}]
        counts = session.feedback(records, chunk_size=3)
        self.assertEqual(counts['posts'], 3, '8 records in chunks of 3')
        self.assertEqual(counts['accepted'], 5)
        self.assertEqual(counts['rejected'], 3)
        self.assertEqual(counts['otherSession'], 1)
        self.assertEqual(counts['unknownIds'], [f'{session.id}-00000999', other_id, 'not-an-id'])
        view = session.info()
        self.assertEqual(view['feedback']['accepted'], 5)
        self.assertEqual(view['hardness']['signal'], 'loss')
        with self.assertRaises(SynthError) as e:
            session.feedback([{'id': samples[0].metadata['id'], 'loss': -1}])
        self.assertEqual((e.exception.status, e.exception.code), (400, 'invalid_request'))
        self.assertTrue(e.exception.message.startswith('records[0].loss: expected a finite number >= 0'), e.exception.message)
        with self.assertRaisesRegex(ValueError, 'finite'):
            session.feedback([{'id': samples[0].metadata['id'], 'loss': float('nan')}])
        self.assertEqual(session.info()['feedback']['accepted'], 5, 'refused records applied nothing')

    def test_service_errors_raise_synth_error_with_status_code_and_message(self):
        c = client()
        with self.assertRaises(SynthError) as e:
            c.create_session(dict(SPEC, classes=['nope']))
        self.assertEqual((e.exception.status, e.exception.code), (400, 'invalid_request'))
        self.assertTrue(e.exception.message.startswith('spec.classes[0]: expected a known class'), e.exception.message)
        with self.assertRaises(SynthError) as e:
            c.session('0f8fad5b-d9cb-469f-a165-70867728950e')
        self.assertEqual(e.exception.status, 404)
        session = c.create_session(SPEC, 'uniform')
        with self.assertRaises(SynthError) as e:
            session.batch(2, strategy='pruned')
        self.assertEqual((e.exception.status, e.exception.code), (409, 'conflict'))
        with self.assertRaises(SynthError) as e:
            Client(service.url).sessions()
        self.assertEqual(e.exception.status, 401, 'no API key')
        self.assertEqual(c.session(session.id).id, session.id)
        self.assertIn(session.id, [s['id'] for s in c.sessions()])


class TinyNet(torch.nn.Module if HAVE_TORCH else object):
    def __init__(self, classes):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.head = torch.nn.Linear(8, classes)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3)))


@unittest.skipUnless(HAVE_TORCH, 'torch is not installed')
class TorchTest(unittest.TestCase):
    """export_classifier, a pruned batch scored by the uploaded snapshot, and SessionDataset."""

    def test_exported_classifier_installs_and_scores_a_pruned_batch(self):
        torch.manual_seed(0)
        model = TinyNet(len(CLASSES)).train()
        onnx_bytes, manifest = export_classifier(model, CLASSES, 32, mean=0.5, std=0.5, name='tiny')
        self.assertTrue(model.training, 'training mode restored')
        self.assertEqual(onnx_bytes[:1], b'\x08', 'an ONNX ModelProto (field 1, ir_version, first)')
        try:
            import onnx
            onnx.checker.check_model(onnx.load_from_string(onnx_bytes))
        except ImportError:
            pass
        self.assertEqual(manifest['format'], 'synth-classifier-model/1')
        self.assertEqual(manifest['input']['shape'], ['B', 3, 32, 32])
        self.assertEqual(manifest['outputs']['logits']['shape'], ['B', 3])
        self.assertEqual(manifest['classes'], CLASSES)
        session = client().create_session(SPEC, 'pruned', options={'candidates': 3})
        view = session.upload_classifier(onnx_bytes, manifest)
        self.assertEqual(view['classifier']['name'], 'tiny')
        self.assertEqual(view['classifier']['image'], [32, 32])
        samples = list(session.batch(4))
        self.assertEqual(len(samples), 4)
        self.assertTrue(all(m['strategy'] == 'pruned' and isinstance(m['criterion'], float) for _, _, m in samples))
        self.assertEqual(session.info()['counts']['drawn'], 12, 'k x n candidates rendered')
        # The scores are the snapshot's cross-entropy: recompute them here from the decoded images.
        x = torch.stack([torch.from_numpy(s.image.transpose(2, 0, 1).copy()).float() / 255 for s in samples])
        with torch.no_grad():
            ce = torch.nn.functional.cross_entropy(model.eval()((x - 0.5) / 0.5), torch.tensor([CLASSES.index(s.metadata['class']) for s in samples]), reduction='none')  # the model's own class order
        self.assertTrue(np.allclose(ce.numpy(), [m['criterion'] for _, _, m in samples], atol=1e-3), 'criterion is the cross-entropy')
        wrong = dict(manifest, classes=['cube', 'torus', 'dog'])
        with self.assertRaises(SynthError) as e:
            session.upload_classifier(onnx_bytes, wrong)
        self.assertEqual(e.exception.status, 400)
        self.assertIn('manifest.classes', e.exception.message)

    def test_session_dataset_streams_tensors_in_batches(self):
        from torch.utils.data import DataLoader
        from synth_client.torch import SessionDataset, collate
        session = client().create_session(SPEC, 'uniform')
        ds = SessionDataset(session, n=5, batch_size=2)
        self.assertEqual(len(ds), 5)
        batches = list(DataLoader(ds, batch_size=4, collate_fn=collate))
        images, labels, metas = batches[0]
        self.assertEqual(tuple(images.shape), (4, 3, 32, 32))
        self.assertEqual(images.dtype, torch.float32)
        self.assertTrue(0 <= float(images.min()) and float(images.max()) <= 1)
        self.assertEqual(labels.dtype, torch.int64)
        self.assertEqual([session.classes[int(v)] for v in labels], [m['class'] for m in metas])
        self.assertEqual(sum(len(b[1]) for b in batches), 5)
        self.assertEqual(session.info()['counts'], {'batches': 3, 'served': 5, 'drawn': 5}, 'batches of 2, 2 and 1')


if __name__ == '__main__':
    unittest.main()
