"""Client.evaluate against a real service (started from the checkout's dist/): a classifier along each
factor of a tiny grid, the report and one plot downloaded, and a bad mapping refused naming the field.

    /usr/bin/python3 -m unittest clients/python/tests/test_evaluate.py
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))

from synth_client import Client, SynthError  # noqa: E402
from synth_client.local import LocalService  # noqa: E402

SPEC = {'name': 'py-eval', 'seed': 3, 'mode': 'grid', 'resolution': [32, 32], 'classes': ['cube', 'torus'],
        'factors': {'yaw': {'values': [0, 90, 180]}, 'camera.distance': {'const': 2.3}}}

service = None


def setUpModule():
    global service
    service = LocalService(repo_root=REPO)


def tearDownModule():
    if service is not None:
        service.stop()


class EvaluateTest(unittest.TestCase):
    def test_evaluate_returns_the_report_and_its_files_download(self):
        client = Client(service.url)
        report = client.evaluate('synth-classifier-32', spec=SPEC, map={'torus': ['torus']}, batch=4, poll=0.2)
        self.assertEqual(report['count'], 6)
        self.assertEqual([f['factor'] for f in report['factors']], ['yaw'])
        self.assertEqual(sum(c['n'] for c in report['factors'][0]['cells']), 6)
        self.assertEqual(report['overall']['correct'], sum(c['correct'] for c in report['perClass']))
        png = client.evaluation_file(report['id'], report['plots']['factors']['yaw'])
        self.assertEqual(png[:8], b'\x89PNG\r\n\x1a\n')
        lines = client.evaluation_file(report['id'], 'predictions.jsonl').decode('utf-8').strip().split('\n')
        self.assertEqual(len(lines), 6)

    def test_a_mapping_naming_an_unknown_model_class_is_refused(self):
        with self.assertRaises(SynthError) as caught:
            Client(service.url).evaluate('synth-classifier-32', spec=SPEC, map={'cube': 'donut'})
        self.assertEqual(caught.exception.status, 400)
        self.assertIn('map.cube', str(caught.exception))


if __name__ == '__main__':
    unittest.main()
