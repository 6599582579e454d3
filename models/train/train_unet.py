#!/usr/bin/python3
"""Train the default generator: a class-conditional pixel-space UNet (32x32 RGB) on renders of
models/train/dataset.json, then export it to ONNX with its manifest.

Reproduce (from the repository root; ~50 minutes on one CPU thread):

    node dist/cli/main.js export --spec models/train/dataset.json --out data/generator-train-32
    /usr/bin/python3 models/train/train_unet.py            # trains, checkpoints to data/unet-ckpt/, exports
    /usr/bin/python3 models/train/train_unet.py --export-only   # re-export from the last checkpoint

What it does: DDPM training (Ho et al. 2020) with the diffusers `squaredcos_cap_v2` schedule over 1000
steps and v-prediction (Salimans & Ho 2022: the target is v = sqrt(a) eps - sqrt(1-a) x0); 10% of
labels are replaced by the null class (index = number of classes) so one network gives both the
conditional and the unconditional prediction for classifier-free guidance (Ho & Salimans 2022).
Random horizontal flips; AdamW, linear warm-up then cosine decay; an exponential moving average of
the weights is what gets exported. Everything is seeded (torch, numpy), and one thread is used
(torch.set_num_threads(1)), so a rerun on the same machine and torch build gives the same weights.
A checkpoint is written every --ckpt-every steps; --resume continues from it, and a stopped run can
still be exported with --export-only.
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
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_image_folder, line_plot_png, save_json  # noqa: E402
from unet import UNet, betas_for  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--spec', default='models/train/dataset.json', help='the factor spec the data was rendered from')
    p.add_argument('--data', default='data/generator-train-32', help='ImageFolder export of --spec')
    p.add_argument('--name', default='synth-unet-32', help='model name: output goes to models/<name>/')
    p.add_argument('--ckpt', default='data/unet-ckpt', help='checkpoint folder (not committed)')
    p.add_argument('--channels', default='32,64,96')
    p.add_argument('--blocks', type=int, default=1)
    p.add_argument('--steps', type=int, default=2400)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--lr', type=float, default=8e-4)
    p.add_argument('--warmup', type=int, default=100)
    p.add_argument('--ema', type=float, default=0.998)
    p.add_argument('--p-uncond', type=float, default=0.1, help='label dropout to the null class')
    p.add_argument('--schedule', default='squaredcos_cap_v2', choices=['linear', 'scaled_linear', 'squaredcos_cap_v2'])
    p.add_argument('--prediction', default='v_prediction', choices=['epsilon', 'v_prediction', 'sample'])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--log-every', type=int, default=25)
    p.add_argument('--ckpt-every', type=int, default=200)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--export-only', action='store_true')
    return p.parse_args()


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def export(model, classes, args, history, meta):
    """Write models/<name>/model.onnx (opset 17, dynamic batch), model.json, loss-curve.png."""
    out_dir = os.path.join(ROOT, 'models', args.name)
    os.makedirs(out_dir, exist_ok=True)
    model = model.eval().to(memory_format=torch.contiguous_format)
    x = torch.randn(2, 3, 32, 32)
    t = torch.tensor([999, 10], dtype=torch.int64)
    y = torch.tensor([0, len(classes)], dtype=torch.int64)
    path = os.path.join(out_dir, 'model.onnx')
    torch.onnx.export(
        model, (x, t, y), path, opset_version=17, input_names=['x', 't', 'class'], output_names=['pred'],
        dynamic_axes={'x': {0: 'B'}, 't': {0: 'B'}, 'class': {0: 'B'}, 'pred': {0: 'B'}}, do_constant_folding=True,
    )
    n_params = sum(p.numel() for p in model.parameters())
    # the EMA weights as a torch state_dict too, for the PyTorch benchmark and golden scripts
    torch.save(model.state_dict(), os.path.join(out_dir, 'weights.pt'))
    spec = json.load(open(os.path.join(ROOT, args.spec)))
    manifest = {
        'format': 'synth-diffusion-model/1',
        'name': args.name,
        'kind': 'denoiser',
        'description': f'Class-conditional pixel-space UNet ({n_params / 1e6:.2f}M parameters) trained on '
                       f'{len(classes)} classes of synth renders at 32x32; the default generator of `synth generate`.',
        'file': 'model.onnx',
        'inputs': {
            'sample': {'name': 'x', 'dtype': 'float32', 'shape': ['B', 3, 32, 32]},
            'timestep': {'name': 't', 'dtype': 'int64', 'shape': ['B']},
            'class': {'name': 'class', 'dtype': 'int64', 'shape': ['B']},
        },
        'outputs': {'prediction': {'name': 'pred', 'dtype': 'float32', 'shape': ['B', 3, 32, 32]}},
        'image': {'width': 32, 'height': 32, 'channels': 3, 'range': [-1, 1]},
        'predictionType': args.prediction,
        'schedule': {'numTrainTimesteps': 1000, 'betaSchedule': args.schedule, 'betaStart': 0.0001, 'betaEnd': 0.02},
        'classes': classes,
        'nullClass': len(classes),
        'defaults': {'scheduler': 'dpmpp2m', 'steps': 25, 'cfg': 3.0, 'eta': 0.0},
        'training': {
            'script': 'models/train/train_unet.py',
            # the command of the last training run (not of an --export-only re-export)
            'command': ' '.join(['/usr/bin/python3', 'models/train/train_unet.py'] + (meta['runs'][-1]['args'] if meta.get('runs') else sys.argv[1:])),
            'runs': meta.get('runs', []),
            'datasetSpec': args.spec,
            'datasetName': spec.get('name'),
            'datasetCount': meta['n_images'],
            'steps': meta['step'],
            'plannedSteps': args.steps,
            'batchSize': args.batch,
            'learningRate': args.lr,
            'labelDropout': args.p_uncond,
            'ema': args.ema,
            'seed': args.seed,
            'architecture': {'channels': [int(c) for c in args.channels.split(',')], 'blocks': args.blocks,
                             'attention': 'middle, 8x8', 'parameters': n_params},
            'finalLoss': meta['final_loss'],
            'finalLossWindow': 'mean training loss over the last 200 steps',
            'trainSeconds': round(meta['seconds']),
            'threads': 1,
            'torch': torch.__version__,
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d'),
        },
    }
    save_json(os.path.join(out_dir, 'model.json'), manifest)
    if history:
        losses = np.array([h[1] for h in history])
        k = max(1, len(losses) // 40)
        smooth = np.convolve(losses, np.ones(k) / k, mode='valid')
        line_plot_png(os.path.join(out_dir, 'loss-curve.png'), [(losses, (170, 190, 230)), (smooth, (20, 60, 160))], x_max=history[-1][0])
    print(f'exported {path} ({os.path.getsize(path) / 1e6:.1f} MB) and model.json', flush=True)


def main():
    args = parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    spec = json.load(open(os.path.join(ROOT, args.spec)))
    classes = spec['classes']
    channels = tuple(int(c) for c in args.channels.split(','))
    model = UNet(len(classes), channels, args.blocks)
    ema = UNet(len(classes), channels, args.blocks)
    ema.load_state_dict(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    ckpt_path = os.path.join(ROOT, args.ckpt, 'last.pt')
    step, history, seconds, state = 0, [], 0.0, {}
    if args.resume or args.export_only:
        state = torch.load(ckpt_path)
        model.load_state_dict(state['model'])
        ema.load_state_dict(state['ema'])
        opt.load_state_dict(state['opt'])
        step, history, seconds = state['step'], state['history'], state['seconds']
        torch.set_rng_state(state['torch_rng'])
        np.random.set_state(state['numpy_rng'])
    log_path = os.path.join(ROOT, 'models', args.name, 'train-log.txt')
    os.makedirs(os.path.dirname(log_path), exist_ok=True)

    images, labels = load_image_folder(os.path.join(ROOT, args.data), classes,
                                       cache=os.path.join(ROOT, args.data + '.npz'))
    meta = {'n_images': int(len(images)), 'step': step, 'seconds': seconds, 'runs': state.get('runs', [{'fromStep': 0, 'args': []}]) if (args.resume or args.export_only) else [],
            'final_loss': float(np.mean([h[1] for h in history[-8:]])) if history else None}
    if args.export_only:
        export(ema, classes, args, history, meta)
        return
    data = torch.from_numpy(images).float().div_(127.5).sub_(1.0)
    targets = torch.from_numpy(labels)
    alphas_cumprod = torch.cumprod(1 - betas_for(args.schedule), 0).float()
    model = model.to(memory_format=torch.channels_last)
    n_params = sum(p.numel() for p in model.parameters())
    mode = 'a' if args.resume else 'w'
    with open(log_path, mode) as log:
        if not args.resume:
            log.write(f'# {" ".join(sys.argv)}\n# {len(images)} images, {len(classes)} classes: {", ".join(classes)}\n'
                      f'# UNet channels={channels} blocks={args.blocks} params={n_params} schedule={args.schedule} '
                      f'prediction={args.prediction} batch={args.batch} lr={args.lr} ema={args.ema} seed={args.seed}\n'
                      f'# step loss lr elapsed_s images_per_s\n')
        start = time.time() - seconds
        window = []
        # every (re)start, with the step it started from: a resumed run may change --steps (the LR schedule)
        runs = meta['runs'] + [{'fromStep': step, 'args': sys.argv[1:]}]
        meta['runs'] = runs
        if args.resume:
            log.write(f'# resumed at step {step}: {" ".join(sys.argv)}\n')
        while step < args.steps:
            lr = lr_at(step, args)
            for g in opt.param_groups:
                g['lr'] = lr
            idx = torch.randint(0, len(data), (args.batch,))
            x0 = data[idx]
            flip = torch.rand(args.batch) < 0.5
            x0 = torch.where(flip[:, None, None, None], x0.flip(3), x0)
            y = targets[idx].clone()
            y[torch.rand(args.batch) < args.p_uncond] = len(classes)
            t = torch.randint(0, 1000, (args.batch,))
            noise = torch.randn_like(x0)
            a = alphas_cumprod[t][:, None, None, None]
            xt = (a.sqrt() * x0 + (1 - a).sqrt() * noise).contiguous(memory_format=torch.channels_last)
            if args.prediction == 'epsilon':
                target = noise
            elif args.prediction == 'v_prediction':
                target = a.sqrt() * noise - (1 - a).sqrt() * x0
            else:
                target = x0
            loss = F.mse_loss(model(xt, t, y), target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            decay = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)
            step += 1
            window.append(loss.item())
            if step % args.log_every == 0 or step == args.steps:
                elapsed = time.time() - start
                mean = float(np.mean(window))
                history.append((step, mean))
                window = []
                log.write(f'{step} {mean:.5f} {lr:.2e} {elapsed:.0f} {step * args.batch / max(elapsed, 1e-9):.1f}\n')
                log.flush()
            if step % args.ckpt_every == 0 or step == args.steps:
                os.makedirs(os.path.dirname(ckpt_path), exist_ok=True)
                torch.save({'model': model.state_dict(), 'ema': ema.state_dict(), 'opt': opt.state_dict(), 'runs': runs,
                            'step': step, 'history': history, 'seconds': time.time() - start,
                            'torch_rng': torch.get_rng_state(), 'numpy_rng': np.random.get_state()}, ckpt_path + '.tmp')
                os.replace(ckpt_path + '.tmp', ckpt_path)
    meta.update(step=step, seconds=time.time() - start,
                final_loss=float(np.mean([h[1] for h in history[-8:]])))
    export(ema, classes, args, history, meta)


if __name__ == '__main__':
    main()
