#!/usr/bin/python3
"""Self-test of export_guided.py (a few seconds, one thread):

    /usr/bin/python3 models/train/test_export_guided.py

1. a tiny random CNN of the body -> global mean -> head form (Conv, BatchNorm, ReLU, MaxPool, strided
   Conv without bias, LeakyReLU, Dropout, Linear; random BatchNorm statistics) is exported with gradients
   to a temporary folder; the export's check (ONNX Runtime vs torch.autograd, max abs error <= 1e-4) must
   pass, the errors must also be small relative to the gradients, and the graph must have the agreed
   input/output names and the manifest entries;
2. a plain Sequential with the less common layers (grouped dilated Conv, AvgPool2d with padding and
   ceil_mode, overlapping padded MaxPool2d, Tanh, Sigmoid, strided Conv whose reverse pass needs
   output_padding, AdaptiveAvgPool2d(1), Flatten, Linear) passes the same check, also on images with ties
   inside the max-pool windows;
3. unsupported layers (nn.GELU, nn.Upsample) and an unsupported model form raise clear errors naming them.

Exits 0 and prints one summary line on success; prints the failure and exits 1 otherwise. Needs node
and onnxruntime-node (npm ci at the repository root) unless the onnxruntime Python package is installed.
"""
import os
import sys
import tempfile
import time
import traceback

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_guided as eg  # noqa: E402

REL_TOLERANCE = 1e-4


class TinyCNN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(8, 12, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(12), nn.LeakyReLU(0.1))
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(12, num_classes)

    def forward(self, x):
        features = self.body(x).mean(dim=(2, 3))
        return self.head(self.drop(features)), features


def randomise(model, gain=2.0):
    """Non-trivial BatchNorm statistics and larger weights, so the gradients are not tiny."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 0.4 - 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) * 0.4 - 0.2)
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            m.weight.data.mul_(gain)
    return model.eval()


def check_report(report, label, with_features):
    names = ['logits'] + (['features'] if with_features else []) + ['grad_entropy', 'grad_loss', 'grad_margin']
    assert sorted(report['maxAbsError']) == sorted(names), f'{label}: outputs {sorted(report["maxAbsError"])}'
    for name in names:
        assert report['maxAbsError'][name] <= eg.TOLERANCE, f'{label}: {name} abs error {report["maxAbsError"][name]}'
        assert report['relativeError'][name] <= REL_TOLERANCE, f'{label}: {name} relative error {report["relativeError"][name]}'
    return max(report['relativeError'].values())


def expect_error(fn, kind, *words):
    try:
        fn()
    except kind as e:
        for w in words:
            assert w in str(e), f'error does not name {w!r}: {e}'
        return
    raise AssertionError(f'expected {kind.__name__} naming {words}')


def main():
    import onnx
    torch.set_num_threads(1)
    torch.manual_seed(0)
    start, checks, worst = time.time(), 0, 0.0
    with tempfile.TemporaryDirectory(prefix='test-export-guided-') as tmp:
        # 1. body -> mean -> head
        model = randomise(TinyCNN(4))
        path = os.path.join(tmp, 'tiny', 'model.onnx')
        report = eg.export_with_gradients(model, path, image_size=16, num_classes=4, check_batch=5, seed=3, verbose=False)
        worst = max(worst, check_report(report, 'TinyCNN', True))
        checks += 1
        graph = onnx.load(path).graph
        assert [i.name for i in graph.input] == ['image', 'target'], [i.name for i in graph.input]
        assert [o.name for o in graph.output] == ['logits', 'features', 'grad_entropy', 'grad_loss', 'grad_margin']
        manifest = eg.add_gradient_entries({'input': {'name': 'image'}, 'outputs': {}, 'training': {}}, report)
        assert list(manifest) == ['input', 'target', 'outputs', 'training'], list(manifest)
        assert manifest['target'] == {'name': 'target', 'dtype': 'int64', 'shape': ['B']}
        assert manifest['outputs']['features']['shape'] == ['B', 12]
        assert manifest['outputs']['gradients']['margin'] == {'name': 'grad_margin', 'dtype': 'float32', 'shape': ['B', 3, 16, 16]}
        assert set(manifest['training']['gradientCheck']['maxAbsError']) == {'entropy', 'loss', 'margin'}
        # the gradients are per sample: a one-image batch gives the same gradient as inside the batch
        # (already implied by the check, which differentiates the batch sum; BatchNorm is in eval mode)

        # 2. plain Sequential, unusual layers, and ties inside the max-pool windows
        seq = randomise(nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=2, dilation=2, groups=3), nn.BatchNorm2d(6), nn.Tanh(),
            nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
            nn.Conv2d(6, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), nn.Sigmoid(),
            nn.Sequential(nn.Conv2d(8, 8, 2, stride=2), nn.ReLU()),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 5)), 1.5)
        path = os.path.join(tmp, 'seq', 'model.onnx')
        report = eg.export_with_gradients(seq, path, image_size=27, num_classes=5, seed=4, verbose=False)
        worst = max(worst, check_report(report, 'Sequential', False))
        checks += 1
        pooled = randomise(nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), eg.GlobalAvgPool(), nn.Linear(4, 3)))
        ties = (torch.randint(0, 2, (6, 3, 8, 8)).float(), torch.randint(0, 3, (6,)))
        report = eg.export_with_gradients(pooled, os.path.join(tmp, 'ties', 'model.onnx'), image_size=8, num_classes=3,
                                          check_inputs=ties, verbose=False)
        worst = max(worst, check_report(report, 'max-pool ties', False))
        checks += 1

        # 3. clear errors
        for layer, name in ((nn.GELU(), 'GELU'), (nn.Upsample(scale_factor=2), 'Upsample')):
            bad = nn.Sequential(nn.Conv2d(3, 4, 3), layer, eg.GlobalAvgPool(), nn.Linear(4, 2))
            expect_error(lambda: eg.export_with_gradients(bad, os.path.join(tmp, 'bad.onnx'), image_size=8, num_classes=2,
                                                          verbose=False),
                         eg.UnsupportedLayerError, name, 'unsupported layer', 'model.1')
            checks += 1

        class Odd(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Conv2d(3, 2, 3)

            def forward(self, x):
                return self.features(x).mean(dim=(2, 3))

        expect_error(lambda: eg.export_with_gradients(Odd(), os.path.join(tmp, 'odd.onnx'), image_size=8, num_classes=2,
                                                      verbose=False), eg.UnsupportedModelError, 'Odd', 'body')
        checks += 1
        assert not os.path.exists(os.path.join(tmp, 'bad.onnx')), 'an unsupported model was exported'
    print(f'test_export_guided: ok, {checks} checks passed (ONNX Runtime vs torch.autograd, worst relative error '
          f'{worst:.1e}) in {time.time() - start:.1f} s')


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: BLE001 - report any failure as one line and a non-zero exit
        traceback.print_exc()
        print(f'test_export_guided: FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}')
        sys.exit(1)
