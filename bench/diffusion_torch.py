#!/usr/bin/python3
"""PyTorch side of bench/diffusion.ts: the same UNet (models/train/unet.py with the EMA weights saved
beside the ONNX file as weights.pt), on the inputs the TS bench wrote (x, t, class as raw
float32/int64 files per model batch), timed at the same thread count. Prints JSON rows
{batch, seconds (best per forward), maxAbsDiff vs onnxruntime's output}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'models', 'train'))
from unet import UNet  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--model-dir', required=True)
    p.add_argument('--inputs', required=True)
    p.add_argument('--batches', required=True)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--rounds', type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    manifest = json.load(open(os.path.join(args.model_dir, 'model.json')))
    arch = manifest['training']['architecture']
    c, h, w = manifest['image']['channels'], manifest['image']['height'], manifest['image']['width']
    model = UNet(len(manifest['classes']), tuple(arch['channels']), arch['blocks'])
    model.load_state_dict(torch.load(os.path.join(args.model_dir, 'weights.pt')))
    model.eval()
    rows = []
    with torch.inference_mode():
        for b in [int(s) for s in args.batches.split(',')]:
            x = torch.from_numpy(np.fromfile(os.path.join(args.inputs, f'x{b}.bin'), dtype=np.float32).reshape(b, c, h, w))
            t = torch.from_numpy(np.fromfile(os.path.join(args.inputs, f't{b}.bin'), dtype=np.int64))
            y = torch.from_numpy(np.fromfile(os.path.join(args.inputs, f'c{b}.bin'), dtype=np.int64))
            ort = np.fromfile(os.path.join(args.inputs, f'ort{b}.bin'), dtype=np.float32).reshape(b, c, h, w)
            out = model(x, t, y)
            reps = max(3, round(48 / b))
            best = float('inf')
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                for _ in range(reps):
                    model(x, t, y)
                best = min(best, (time.perf_counter() - t0) / reps)
            rows.append({'batch': b, 'seconds': best, 'maxAbsDiff': float(np.abs(out.numpy() - ort).max())})
    print(json.dumps(rows))


if __name__ == '__main__':
    main()
