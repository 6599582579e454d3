#!/usr/bin/python3
"""Golden output of the committed default generator for test/diffusion/model.test.ts, computed without
any of the TypeScript code: PyTorch runs the UNet (weights.pt, the same EMA weights as model.onnx),
scheduler_reference.py takes the steps, and synth_random.py rebuilds the starting noise that the TS
sampler draws from rngFor(seed, noiseIndex, 'noise') (Box-Muller). The test runs our sampler over
onnxruntime with the same settings and compares at 1e-4.

    /usr/bin/python3 models/train/make_model_golden.py [--name synth-unet-32]
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from scheduler_reference import DDIM, DDPM, DPMSolverPP2M  # noqa: E402
from synth_random import Rng  # noqa: E402
from unet import UNet  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))

CASES = [
    {'scheduler': 'dpmpp2m', 'steps': 4, 'cfg': 3.0, 'eta': 0.0, 'seed': 42, 'requests': [['car', 0], ['house', 1]]},
    {'scheduler': 'ddim', 'steps': 3, 'cfg': 1.0, 'eta': 0.5, 'seed': 7, 'requests': [['giraffe', 3], ['mug', 3]]},
    {'scheduler': 'ddpm', 'steps': 3, 'cfg': 2.0, 'eta': 0.0, 'seed': 9, 'requests': [['tree', 0], ['cube', 5]]},
]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--name', default='synth-unet-32')
    args = p.parse_args()
    torch.set_num_threads(1)
    model_dir = os.path.join(ROOT, 'models', args.name)
    manifest = json.load(open(os.path.join(model_dir, 'model.json')))
    arch = manifest['training']['architecture']
    model = UNet(len(manifest['classes']), tuple(arch['channels']), arch['blocks'])
    model.load_state_dict(torch.load(os.path.join(model_dir, 'weights.pt')))
    model.eval()
    c, h, w = manifest['image']['channels'], manifest['image']['height'], manifest['image']['width']
    per = c * h * w
    schedule, pred = manifest['schedule']['betaSchedule'], manifest['predictionType']
    out_cases = []
    for case in CASES:
        classes = [manifest['classes'].index(name) for name, _ in case['requests']]
        rngs = [Rng(case['seed'], k, 'noise') for _, k in case['requests']]
        x = torch.tensor([r.normals(per) for r in rngs], dtype=torch.float32).to(torch.float64)
        if case['scheduler'] == 'dpmpp2m':
            sched = DPMSolverPP2M(schedule, pred, case['steps'])
        elif case['scheduler'] == 'ddim':
            sched = DDIM(schedule, pred, case['steps'], eta=case['eta'])
        else:
            sched = DDPM(schedule, pred, case['steps'])
        b = len(classes)
        guided = case['cfg'] != 1
        for i, t in enumerate(sched.timesteps):
            xin = x.to(torch.float32).reshape(b, c, h, w)
            labels = classes + [manifest['nullClass']] * b if guided else classes
            feed = torch.cat([xin, xin]) if guided else xin
            with torch.no_grad():
                out = model(feed, torch.full((len(labels),), int(t), dtype=torch.int64), torch.tensor(labels)).reshape(len(labels), per).to(torch.float64)
            if guided:
                out = out[b:] + case['cfg'] * (out[:b] - out[b:])
            stochastic = (case['scheduler'] == 'ddpm' and t > 0) or (case['scheduler'] == 'ddim' and case['eta'] > 0)
            noise = torch.tensor([r.normals(per) for r in rngs], dtype=torch.float32).to(torch.float64) if stochastic else None
            x = sched.step(i, out, x, noise)
        lo, hi = manifest['image']['range']
        x = x.clamp(lo, hi)
        out_cases.append({**case, 'output': [float(f'{v:.7g}') for v in x.flatten().tolist()]})
    path = os.path.join(ROOT, 'test', 'diffusion', 'golden', f'{args.name}.json')
    with open(path, 'w') as f:
        json.dump({'model': args.name, 'generator': 'models/train/make_model_golden.py', 'cases': out_cases}, f)
        f.write('\n')
    print('wrote', path)


if __name__ == '__main__':
    main()
