#!/usr/bin/python3
"""Train the judge of the generator: a small CNN classifier over the same classes and renders as the
generator (models/train/dataset.json), exported to ONNX with two outputs, `logits` and `features` (the
penultimate 128-d vector, for KID/FID), and its manifest.

Reproduce (from the repository root; a few minutes on one CPU thread):

    node dist/cli/main.js export --spec models/train/dataset.json --out data/generator-train-32
    /usr/bin/python3 models/train/train_classifier.py

Input: float32 [B,3,32,32] NCHW, RGB, (pixel/255 - mean)/std with mean = std = 0.5. 10% of the
renders (a seeded permutation) are held out for the validation accuracy written to the manifest. The
trained state dict is saved beside it as `weights.pt`.

With `--gradients` the ONNX graph also takes `target` (int64 [B]) and outputs the input-gradients of
the guidance criteria (`grad_entropy`, `grad_loss`, `grad_margin`), built and checked against
torch.autograd by export_guided.py; the guidance classifier of the sampler was made with

    /usr/bin/python3 models/train/train_classifier.py --name synth-classifier-32-guide --seed 1 --gradients
"""
import argparse
import datetime
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_image_folder, save_json  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
MEAN, STD = 0.5, 0.5


class SmallCNN(nn.Module):
    """Three conv stages (32, 64, 128 channels; two 3x3 conv-BN-ReLU each), global average pool."""

    def __init__(self, num_classes, width=(32, 64, 128)):
        super().__init__()
        layers, cin = [], 3
        for i, c in enumerate(width):
            layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True),
                       nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            if i < len(width) - 1:
                layers.append(nn.MaxPool2d(2))
            cin = c
        self.body = nn.Sequential(*layers)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(cin, num_classes)

    def forward(self, x):
        features = self.body(x).mean(dim=(2, 3))
        return self.head(self.drop(features)), features


def augment(x):
    """Random horizontal flip and a random shift of up to 2 pixels (edge padding)."""
    b = x.shape[0]
    flip = torch.rand(b) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (2, 2, 2, 2), mode='replicate')
    dx, dy = torch.randint(0, 5, (2,))
    return padded[:, :, dy:dy + 32, dx:dx + 32]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--spec', default='models/train/dataset.json')
    p.add_argument('--data', default='data/generator-train-32')
    p.add_argument('--name', default='synth-classifier-32')
    p.add_argument('--epochs', type=int, default=8)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--gradients', action='store_true',
                   help='export the guidance graph: target input and grad_{entropy,loss,margin} outputs (export_guided.py)')
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    classes = json.load(open(os.path.join(ROOT, args.spec)))['classes']
    images, labels = load_image_folder(os.path.join(ROOT, args.data), classes, cache=os.path.join(ROOT, args.data + '.npz'))
    x = (torch.from_numpy(images).float() / 255 - MEAN) / STD
    y = torch.from_numpy(labels)
    perm = torch.from_numpy(np.random.RandomState(args.seed).permutation(len(x)))
    n_val = len(x) // 10
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    model = SmallCNN(len(classes))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    steps_per_epoch = math.ceil(len(train_idx) / args.batch)
    total = steps_per_epoch * args.epochs
    out_dir = os.path.join(ROOT, 'models', args.name)
    os.makedirs(out_dir, exist_ok=True)
    log = open(os.path.join(out_dir, 'train-log.txt'), 'w')
    log.write(f'# {" ".join(sys.argv)}\n# {len(train_idx)} train / {n_val} validation images, {len(classes)} classes\n'
              f'# epoch train_loss train_acc val_acc elapsed_s\n')
    start, step = time.time(), 0

    def evaluate():
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, n_val, 500):
                idx = val_idx[i:i + 500]
                correct += (model(x[idx])[0].argmax(1) == y[idx]).sum().item()
        model.train()
        return correct / n_val

    for epoch in range(args.epochs):
        order = train_idx[torch.randperm(len(train_idx))]
        losses, correct = [], 0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            lr = args.lr * 0.5 * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g['lr'] = lr
            logits, _ = model(augment(x[idx]))
            loss = F.cross_entropy(logits, y[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            losses.append(loss.item())
            correct += (logits.argmax(1) == y[idx]).sum().item()
        val = evaluate()
        line = f'{epoch + 1} {np.mean(losses):.4f} {correct / len(order):.4f} {val:.4f} {time.time() - start:.0f}'
        print(line, flush=True)
        log.write(line + '\n')
        log.flush()
    val = evaluate()
    train_seconds = round(time.time() - start)
    model.eval()
    torch.save(model.state_dict(), os.path.join(out_dir, 'weights.pt'))

    class Exported(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, image):
            return self.inner(image)

    path = os.path.join(out_dir, 'model.onnx')
    if args.gradients:
        from export_guided import export_with_gradients, add_gradient_entries
        report = export_with_gradients(model, path, image_size=32, num_classes=len(classes))
        description = (f'Guidance classifier of the sampler (small CNN, trained with seed {args.seed} independently of '
                       'the judge synth-classifier-32): logits over the classes, the penultimate 128-d features and '
                       'the input-gradients of entropy, cross-entropy and top-2 margin for gradient guidance.')
    else:
        torch.onnx.export(Exported(model), (torch.zeros(2, 3, 32, 32),), path, opset_version=17,
                          input_names=['image'], output_names=['logits', 'features'],
                          dynamic_axes={'image': {0: 'B'}, 'logits': {0: 'B'}, 'features': {0: 'B'}})
        description = ('Small CNN judge of the default generator: logits over its classes and the '
                       'penultimate 128-d features (for KID/FID).')
    manifest = {
        'format': 'synth-classifier-model/1',
        'name': args.name,
        'kind': 'classifier',
        'description': description,
        'file': 'model.onnx',
        'input': {'name': 'image', 'dtype': 'float32', 'shape': ['B', 3, 32, 32], 'layout': 'NCHW',
                  'colorSpace': 'RGB', 'scale': 1 / 255, 'mean': [MEAN] * 3, 'std': [STD] * 3},
        'outputs': {'logits': {'name': 'logits', 'dtype': 'float32', 'shape': ['B', len(classes)]},
                    'features': {'name': 'features', 'dtype': 'float32', 'shape': ['B', 128]}},
        'image': {'width': 32, 'height': 32, 'channels': 3},
        'classes': classes,
        'training': {
            'script': 'models/train/train_classifier.py',
            'command': ' '.join(['/usr/bin/python3', 'models/train/train_classifier.py'] + sys.argv[1:]),
            'datasetSpec': args.spec, 'datasetCount': int(len(x)), 'validationCount': n_val,
            'validationAccuracy': round(val, 4), 'epochs': args.epochs, 'batchSize': args.batch,
            'learningRate': args.lr, 'seed': args.seed, 'threads': 1, 'torch': torch.__version__,
            'trainSeconds': train_seconds,
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d'),
        },
    }
    if args.gradients:
        manifest = add_gradient_entries(manifest, report)
    save_json(os.path.join(out_dir, 'model.json'), manifest)
    print(f'validation accuracy {val:.4f}; exported {path}')


if __name__ == '__main__':
    main()
