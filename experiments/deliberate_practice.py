#!/usr/bin/python3
"""Deliberate Practice over rendered data: a small CNN trained through synth's feedback sessions three
ways, with the same plateau-triggered round schedule, on a fixed held-out test set.

    npm run experiment:dp          # builds dist/, then runs this: about 16-20 min on the 2-core machine
    /usr/bin/python3 experiments/deliberate_practice.py [--quick] [--seeds 0,1,2] [--jobs 2] [--out DIR]
        [--methods uniform,pruned,dp] [--url URL] [--set KEY=JSON ...]

Methods (only the strategy that picks each round's new samples differs):
  uniform   the spec's own sampling (the static synthetic baseline)
  pruned    k x P uniform candidates scored by the session's classifier (the current model's ONNX
            snapshot, uploaded before each request); the P hardest kept
  dp        Deliberate Practice (Algorithm 1 of Askari-Hemmat et al., with the renderer's hardness map
            in place of entropy-guided diffusion): the model's per-sample losses are posted as feedback
            (the pool's at the first plateau; then each new batch's, on arrival, before it is trained
            on), and P new samples come from the `hardness` strategy

Loop (all methods): start from the same uniform pool of N0 samples (sample n of the spec with the
seed); train with minibatches drawn from the pool (logit-adjusted cross-entropy, so a pool with more of
the hard classes does not tilt the model's class prior); every `eval_every` steps measure validation
accuracy (EMA weights); when it has not improved for `patience` evaluations (or after
`max_round_steps`), that is a plateau: the round ends (test accuracy recorded), P new samples join the
pool, and training goes on; the run ends at the plateau after the pool reached the budget. The
validation and test sets are rendered once with their own seeds. Writes docs/experiments/deliberate-practice.md,
dp-experiment.png and dp-experiment.json (`--quick`: a smoke run into a temp folder).

Needs Debian's python3-torch and python3-numpy; matplotlib (python3-matplotlib) draws the figure when
importable, else a small numpy rasteriser does.
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ROOT, 'clients', 'python'))

from synth_client import Client  # noqa: E402
from synth_client.local import LocalService  # noqa: E402

CLASSES = ['cube', 'sphere', 'torus', 'car', 'truck', 'bus', 'dog', 'cat', 'horse', 'cow']
DISTANCE = [1.6, 4.0]
ELEVATION = [5, 50]
ENVIRONMENTS = ['studio', 'meadow', 'street', 'forest', 'living-room', 'night']
TEXTURES = ['default', 'noise', 'camouflage', 'checker']
# Factor combinations never rendered for training (split "train"); the test set has a part made of
# them only (split "holdout").
HOLDOUT = [
    {'class': 'dog', 'environment': 'street'},
    {'class': 'truck', 'environment': 'meadow'},
    {'class': 'horse', 'texture': 'checker'},
    {'class': 'car', 'texture': 'camouflage'},
    {'class': 'sphere', 'environment': 'night'},
]


def make_spec(seed, split='train', name='dp'):
    """The factor space: 10 classes at 32x32 (easy shapes, confusable vehicles and animals); far cameras
    (small objects), dark and busy environments and camouflage-like textures are its hard regions."""
    return {
        'name': name, 'seed': seed, 'resolution': [32, 32], 'classes': CLASSES,
        'factors': {
            'yaw': {'uniform': [0, 360]},
            'camera.distance': {'uniform': DISTANCE},
            'camera.elevation': {'uniform': ELEVATION},
            'environment': {'choice': ENVIRONMENTS},
            'texture': {'choice': TEXTURES},
        },
        'holdout': HOLDOUT, 'split': split,
    }


CONFIG = {
    'seeds': [0, 1, 2],
    'pool': 600,           # N0: the initial uniform pool
    'round': 300,          # P: new samples per round
    'budget': 2400,        # samples in the pool at the last round
    'eval_every': 50,      # τ: steps between validation evaluations
    'patience': 3,         # T: evaluations without improvement that make a plateau
    'max_round_steps': 800,
    'batch': 64,
    'lr': 2e-3,
    'weight_decay': 1e-4,
    'ema': 0.99,
    'logit_adjust': True,  # train with CE(logits + log pool class prior): no class-prior shift at test time
    'dp_feedback': 'fresh',  # losses posted: 'fresh' (each new batch on arrival; the pool at the first plateau) or 'pool'
    'width': [16, 32, 64, 64],
    'candidates': 4,       # pruned: k
    'dp_signal': 'loss',   # dp: what is posted as each sample's loss: 'loss' (cross-entropy) or 'entropy' (of the prediction, DP's criterion)
    'dp_options': {},      # dp: extra session options of the hardness strategy (e.g. {"temperatureScale": 0.25})
    'balance_classes': False,  # dp: True draws classes uniformly and tilts only the factor bins (session option balanceClasses); tried: 85.2 ± 0.9% vs 86.0 ± 0.7%
    'val': 600,
    'test': 2000,
    'test_holdout': 600,
    'jobs': 2,
    'threads': 1,
}
QUICK = {'seeds': [0], 'pool': 100, 'round': 50, 'budget': 200, 'eval_every': 20, 'patience': 2, 'max_round_steps': 200,
         'val': 100, 'test': 200, 'test_holdout': 60}
SEEDS_OFFSET = {'val': 70003, 'test': 70001, 'test_holdout': 70002}
METHODS = ['uniform', 'pruned', 'dp']
LABELS = {'uniform': 'static uniform', 'pruned': 'pruned baseline (k=4)', 'dp': 'Deliberate Practice (hardness)'}
COLORS = {'uniform': (0.35, 0.35, 0.35), 'pruned': (0.85, 0.45, 0.1), 'dp': (0.1, 0.4, 0.85)}


# --- data ----------------------------------------------------------------------------------------

def fetch(session, n, strategy=None, chunk=1000):
    """n samples of a session as (uint8 [n, 3, 32, 32], int64 [n], list of metadata)."""
    xs, ys, metas = [], [], []
    while len(ys) < n:
        for image, label, meta in session.batch(min(chunk, n - len(ys)), strategy=strategy):
            xs.append(image.transpose(2, 0, 1))
            ys.append(label)
            meta.pop('objects', None)
            metas.append(meta)
    return np.stack(xs).astype(np.uint8), np.array(ys, dtype=np.int64), metas


def render_fixed_sets(client, cfg, cache_dir):
    """Validation and test sets, rendered once with their own seeds (uniform sessions of their specs)."""
    out = {}
    for name, split in (('val', 'train'), ('test', 'train'), ('test_holdout', 'holdout')):
        session = client.create_session(make_spec(SEEDS_OFFSET[name], split, name=f'dp-{name}'), strategy='uniform')
        x, y, metas = fetch(session, cfg[name])
        path = os.path.join(cache_dir, f'{name}.npz')
        np.savez(path, x=x, y=y)
        with open(os.path.join(cache_dir, f'{name}.json'), 'w') as f:
            json.dump([m['factors'] for m in metas], f)
        out[name] = path
        session.delete()
    return out


def load_set(cache_dir, name):
    z = np.load(os.path.join(cache_dir, f'{name}.npz'))
    with open(os.path.join(cache_dir, f'{name}.json')) as f:
        factors = json.load(f)
    return z['x'], z['y'], factors


# --- model ---------------------------------------------------------------------------------------

def build_model(torch, width, classes):
    """A small CNN: conv-BN-ReLU stages (max-pooled between), global average pool, linear head."""
    nn = torch.nn
    layers, cin = [], 3
    for i, c in enumerate(width):
        layers += [nn.Conv2d(cin, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
        if i < len(width) - 1:
            layers.append(nn.MaxPool2d(2))
        cin = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))


MEAN, STD = 0.5, 0.5


def normalise(torch, x):
    return (torch.from_numpy(x).float() / 255 - MEAN) / STD


def augment(torch, x):
    """Random horizontal flip and a shift of up to 2 pixels (edge padding)."""
    F = torch.nn.functional
    flip = torch.rand(x.shape[0]) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    padded = F.pad(x, (2, 2, 2, 2), mode='replicate')
    dx, dy = torch.randint(0, 5, (2,)).tolist()
    return padded[:, :, dy:dy + x.shape[2], dx:dx + x.shape[3]]


def predict(torch, model, x, labels=None, chunk=1000, signal='loss'):
    """Logits-derived predictions (and, when labels are given, per-sample cross-entropy, or with
    signal='entropy' the prediction's entropy, DP's criterion), eval mode."""
    model.eval()
    preds, losses = [], []
    F = torch.nn.functional
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            logits = model(normalise(torch, x[i:i + chunk]))
            preds.append(logits.argmax(1).numpy())
            if labels is not None and signal == 'entropy':
                logp = F.log_softmax(logits, 1)
                losses.append((-(logp.exp() * logp).sum(1)).numpy())
            elif labels is not None:
                losses.append(F.cross_entropy(logits, torch.from_numpy(labels[i:i + chunk]), reduction='none').numpy())
    return np.concatenate(preds), (np.concatenate(losses) if labels is not None else None)


# --- one run -------------------------------------------------------------------------------------

def run(args):
    """Train one method with one seed; returns its curves. Runs in a worker process."""
    method, seed, url, cfg, cache_dir = args
    import torch
    from synth_client import export_classifier
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    started = time.time()
    timings = {'render': 0.0, 'train': 0.0, 'eval': 0.0, 'feedback': 0.0}
    client = Client(url)
    strategy = {'uniform': 'uniform', 'pruned': 'pruned', 'dp': 'hardness'}[method]
    options = {'candidates': cfg['candidates']}
    if method == 'dp' and cfg['balance_classes']:
        options['balanceClasses'] = True
    if method == 'dp':
        options.update(cfg['dp_options'])
    session = client.create_session(make_spec(1000 + seed), strategy=strategy, options=options)

    xv, yv, _ = load_set(cache_dir, 'val')
    xt, yt, ft = load_set(cache_dir, 'test')
    xh, yh, _ = load_set(cache_dir, 'test_holdout')

    t0 = time.time()
    pool_x, pool_y, pool_meta = fetch(session, cfg['pool'], strategy='uniform')  # the same pool for every method
    timings['render'] += time.time() - t0

    model = build_model(torch, cfg['width'], len(CLASSES))
    ema = build_model(torch, cfg['width'], len(CLASSES))
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg['lr'], weight_decay=cfg['weight_decay'])

    def update_ema():
        with torch.no_grad():
            for e, m in zip(ema.state_dict().values(), model.state_dict().values()):
                if e.dtype.is_floating_point:
                    e.mul_(cfg['ema']).add_(m, alpha=1 - cfg['ema'])
                else:
                    e.copy_(m)

    def accuracy(x, y):
        pred, _ = predict(torch, ema, x)
        return float((pred == y).mean()), pred

    evals, rounds, hardness_log = [], [], []

    def post_feedback(x, y, metas, what):
        pred, losses = predict(torch, ema, x, y, signal=cfg['dp_signal'])
        records = [{'id': m['id'], 'loss': float(l), 'correct': bool(p == t)} for m, l, p, t in zip(metas, losses, pred, y)]
        counts = session.feedback(records)
        view = session.info()
        hardness_log.append({
            'round': len(rounds) - 1, 'on': what, 'accepted': counts['accepted'], 'temperature': view['hardness']['temperature'],
            'classes': {c['class']: round(c['probability'], 4) for c in view['hardness']['classes']},
            'factors': {f['factor']: {b['label']: round(b['probability'], 4) for b in f['bins']} for f in view['hardness']['factors']},
        })
    step, best, stale, round_start = 0, -1.0, 0, 0
    x_pool = torch.from_numpy(pool_x)
    y_pool = torch.from_numpy(pool_y)

    def pool_log_prior():
        # A pool with more of some classes (hardness and pruned draw hard classes more often) would tilt the
        # model's prior towards them; the logit-adjusted loss (Menon et al. 2021) trains the balanced
        # classifier instead, the right one for a test set with the spec's class balance.
        counts = np.bincount(pool_y, minlength=len(CLASSES)).astype(np.float64) + 1
        return torch.from_numpy(np.log(counts / counts.sum())).float() if cfg['logit_adjust'] else torch.zeros(len(CLASSES))

    log_prior = pool_log_prior()
    while True:
        t0 = time.time()
        model.train()
        for _ in range(cfg['eval_every']):
            idx = torch.from_numpy(rng.randint(0, len(y_pool), cfg['batch']))
            x = augment(torch, (x_pool[idx].float() / 255 - MEAN) / STD)
            loss = torch.nn.functional.cross_entropy(model(x) + log_prior, y_pool[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            update_ema()
        step += cfg['eval_every']
        timings['train'] += time.time() - t0
        t0 = time.time()
        val, _ = accuracy(xv, yv)
        timings['eval'] += time.time() - t0
        evals.append({'step': step, 'samples': int(len(y_pool)), 'val': round(val, 4)})
        if val > best:
            best, stale = val, 0
        else:
            stale += 1
        if stale < cfg['patience'] and step - round_start < cfg['max_round_steps']:
            continue
        # A plateau: the round ends.
        t0 = time.time()
        test, pred = accuracy(xt, yt)
        held, _ = accuracy(xh, yh)
        timings['eval'] += time.time() - t0
        rounds.append({'round': len(rounds), 'samples': int(len(y_pool)), 'step': step, 'val': round(val, 4),
                       'test': round(test, 4), 'holdout': round(held, 4), 'plateau': stale >= cfg['patience']})
        print(f'[{method} seed {seed}] round {len(rounds) - 1}: {len(y_pool)} samples, step {step}, val {val:.3f}, '
              f'test {test:.3f}, held-out combos {held:.3f} ({time.time() - started:.0f}s)', flush=True)
        if len(y_pool) >= cfg['budget']:
            break
        n_new = min(cfg['round'], cfg['budget'] - len(y_pool))
        t0 = time.time()
        if method == 'dp' and (cfg['dp_feedback'] == 'pool' or len(rounds) == 1):
            # The pool's losses: every plateau ('pool'), or at the first plateau only, before any fresh batch exists.
            post_feedback(pool_x, pool_y, pool_meta, 'pool')
        elif method == 'pruned':
            onnx_bytes, manifest = export_classifier(ema, CLASSES, 32, MEAN, STD, name=f'dp-{method}-{seed}-r{len(rounds)}')
            session.upload_classifier(onnx_bytes, manifest)
        timings['feedback'] += time.time() - t0
        t0 = time.time()
        nx, ny, nmeta = fetch(session, n_new)
        timings['render'] += time.time() - t0
        if method == 'dp' and cfg['dp_feedback'] == 'fresh':
            # The latest batch's losses under the current model, before it trains on them: a fresh
            # estimate of where it fails (Algorithm 1 scores new candidates with the current model too).
            t0 = time.time()
            post_feedback(nx, ny, nmeta, 'latest batch')
            timings['feedback'] += time.time() - t0
        pool_x = np.concatenate([pool_x, nx])
        pool_y = np.concatenate([pool_y, ny])
        pool_meta += nmeta
        x_pool, y_pool = torch.from_numpy(pool_x), torch.from_numpy(pool_y)
        log_prior = pool_log_prior()
        stale, round_start = 0, step

    # Final: per-bin accuracy on the test set, how much of its per-sample loss the map's cells explain,
    # and what the pool ended up holding.
    test, pred = accuracy(xt, yt)
    _, test_losses = predict(torch, ema, xt, yt)
    explained = loss_explained(test_losses, ft, seed)
    held, _ = accuracy(xh, yh)
    bins = per_bin_accuracy(pred == yt, ft)
    pool_mix = mix_of([m['factors'] for m in pool_meta[cfg['pool']:]]) if len(pool_meta) > cfg['pool'] else {}
    info = session.info()
    return {
        'method': method, 'seed': seed, 'session': session.id, 'evals': evals, 'rounds': rounds, 'hardness': hardness_log,
        'final': {'samples': int(len(pool_y)), 'rendered': int(info['counts']['drawn']), 'steps': step, 'loss_explained': explained,
                  'test': round(test, 4), 'holdout': round(held, 4), 'bins': bins, 'added': pool_mix},
        'seconds': round(time.time() - started, 1), 'timings': {k: round(v, 1) for k, v in timings.items()},
    }


def bin_of(factors):
    """The report's bins of a sample: class, camera distance (4 equal bins), environment, texture."""
    d = factors['camera.distance']
    k = min(3, int((d - DISTANCE[0]) / (DISTANCE[1] - DISTANCE[0]) * 4))
    lo = DISTANCE[0] + k * (DISTANCE[1] - DISTANCE[0]) / 4
    return {'class': factors['class'], 'distance': f'{lo:.2f}-{lo + (DISTANCE[1] - DISTANCE[0]) / 4:.2f}',
            'environment': factors['environment'], 'texture': factors['texture']}


def map_cells(factors):
    """The session's hardness-map cells of a sample: its class, and (class, factor, bin) for each binned
    factor (4 equal-width bins of yaw, distance and elevation; environment; texture)."""
    def q(v, lo, hi):
        return min(3, max(0, int((v - lo) / (hi - lo) * 4)))
    c = factors['class']
    return [('class', c), (c, 'yaw', q(factors['yaw'], 0, 360)), (c, 'distance', q(factors['camera.distance'], *DISTANCE)),
            (c, 'elevation', q(factors['camera.elevation'], *ELEVATION)), (c, 'environment', factors['environment']),
            (c, 'texture', factors['texture'])]


RIDGE = [1, 3, 10, 30, 100, 300, 1000]


def loss_explained(losses, factors, seed=0):
    """How much of the per-sample loss variance the hardness map's cell structure can see: the
    cross-validated R² (2 folds) of a ridge regression on the map's cells (an additive model: class,
    and class × each factor's bin), and on class alone; the best over the ridge strengths in RIDGE,
    so an upper bound of what such a model explains out of sample."""
    cells = [map_cells(f) for f in factors]
    out = {}
    for name, keep in (('class', 1), ('map', None)):
        index = {}
        rows = [[index.setdefault(k, len(index)) for k in cs[:keep]] for cs in cells]
        X = np.zeros((len(rows), len(index)))
        for i, r in enumerate(rows):
            X[i, r] = 1
        y = np.asarray(losses, dtype=np.float64)
        fold = np.random.RandomState(seed).rand(len(y)) < 0.5
        best = -np.inf
        for lam in RIDGE:
            sse = sst = 0.0
            for train in (fold, ~fold):
                test = ~train
                A = X[train]
                mu = y[train].mean()
                w = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ (y[train] - mu))
                sse += float(((y[test] - mu - X[test] @ w) ** 2).sum())
                sst += float(((y[test] - y[test].mean()) ** 2).sum())
            best = max(best, 1 - sse / sst)
        out[name] = round(best, 4)
    return out


def per_bin_accuracy(correct, factors):
    out = {}
    for ok, f in zip(correct, factors):
        for axis, value in bin_of(f).items():
            cell = out.setdefault(axis, {}).setdefault(value, [0, 0])
            cell[0] += int(ok)
            cell[1] += 1
    return {axis: {v: round(c / n, 4) for v, (c, n) in sorted(cells.items())} for axis, cells in out.items()}


def mix_of(factors):
    """Share of each bin among the samples the rounds added."""
    out = {}
    for f in factors:
        for axis, value in bin_of(f).items():
            out.setdefault(axis, {}).setdefault(value, 0)
            out[axis][value] += 1
    return {axis: {v: round(c / len(factors), 4) for v, c in sorted(cells.items())} for axis, cells in out.items()}


# --- summary -------------------------------------------------------------------------------------

def summarise(results, cfg):
    by = {m: sorted([r for r in results if r['method'] == m], key=lambda r: r['seed']) for m in METHODS}
    summary = {}
    for m, runs in by.items():
        finals = np.array([r['final']['test'] for r in runs])
        held = np.array([r['final']['holdout'] for r in runs])
        grid = sorted({p['samples'] for r in runs for p in r['rounds']})
        curve = []
        for s in grid:
            vals = [max((p for p in r['rounds'] if p['samples'] == s), key=lambda p: p['step'])['test'] for r in runs if any(p['samples'] == s for p in r['rounds'])]
            hv = [max((p for p in r['rounds'] if p['samples'] == s), key=lambda p: p['step'])['holdout'] for r in runs if any(p['samples'] == s for p in r['rounds'])]
            curve.append({'samples': s, 'test_mean': float(np.mean(vals)), 'test_std': float(np.std(vals)), 'holdout_mean': float(np.mean(hv)), 'n': len(vals)})
        summary[m] = {
            'test_mean': float(finals.mean()), 'test_std': float(finals.std()), 'holdout_mean': float(held.mean()), 'holdout_std': float(held.std()),
            'samples': int(np.mean([r['final']['samples'] for r in runs])), 'rendered': int(np.mean([r['final']['rendered'] for r in runs])),
            'steps_mean': float(np.mean([r['final']['steps'] for r in runs])), 'curve': curve,
            'seconds_mean': float(np.mean([r['seconds'] for r in runs])),
            'loss_explained': {k: float(np.mean([r['final']['loss_explained'][k] for r in runs])) for k in ('class', 'map')},
        }
    target = summary['uniform']['test_mean']
    for m in METHODS:
        reached = [p['samples'] for p in summary[m]['curve'] if p['test_mean'] >= target - 1e-9]
        summary[m]['samples_to_uniform_final'] = reached[0] if reached else None
        steps = []
        for r in by[m]:
            hit = [p['step'] for p in r['rounds'] if p['test'] >= target - 1e-9]
            steps.append(hit[0] if hit else None)
        summary[m]['steps_to_uniform_final'] = steps
    u, d = summary['uniform'], summary['dp']
    spread = max(u['test_std'], d['test_std'])
    half = d['samples_to_uniform_final'] is not None and d['samples_to_uniform_final'] <= u['samples'] / 2
    beats = d['test_mean'] - u['test_mean'] > spread
    summary['target'] = {'uniform_final': target, 'dp_samples_to_uniform_final': d['samples_to_uniform_final'],
                         'half_samples': bool(half), 'dp_minus_uniform': d['test_mean'] - u['test_mean'], 'spread': spread,
                         'beats_by_more_than_spread': bool(beats), 'met': bool(half or beats)}
    return summary


def fmt_pm(mean, std):
    return f'{100 * mean:.1f} ± {100 * std:.1f}%'


def write_markdown(path, summary, results, cfg, total_seconds, figure_name):
    lines = ['# Deliberate Practice over rendered data', '',
             f'Written by `npm run experiment:dp` (experiments/deliberate_practice.py); total run time {total_seconds / 60:.1f} min '
             f'on this machine; {len(cfg["seeds"])} seeds per method. Accuracy is on a fixed test set rendered once '
             f'({cfg["test"]} samples of the training distribution, seed {SEEDS_OFFSET["test"]}) and, separately, on '
             f'{cfg["test_holdout"]} samples of factor combinations never rendered for training (held-out combos: '
             + ', '.join('+'.join(f'{k}={v}' for k, v in c.items()) for c in HOLDOUT) + ').', '',
             f'![accuracy vs samples and iterations]({figure_name})', '',
             '| method | samples used (rendered) | final accuracy | held-out-combo accuracy | samples to reach uniform\'s final accuracy | training steps |',
             '| --- | --- | --- | --- | --- | --- |']
    for m in METHODS:
        s = summary[m]
        reach = f'{s["samples_to_uniform_final"]:,}' if s['samples_to_uniform_final'] is not None else 'not reached'
        lines.append(f'| {LABELS[m]} | {s["samples"]:,} ({s["rendered"]:,}) | {fmt_pm(s["test_mean"], s["test_std"])} | '
                     f'{fmt_pm(s["holdout_mean"], s["holdout_std"])} | {reach} | {s["steps_mean"]:.0f} |')
    t = summary['target']
    lines += ['', f'Mean ± standard deviation over seeds {", ".join(map(str, cfg["seeds"]))}. "Samples to reach" reads the '
              'mean accuracy-vs-samples curve at the round ends (the pool sizes every method shares); rendered counts '
              'include the initial pool and, for pruned, the k candidates rendered per kept sample.', '',
              f'**Target** (DP reaches uniform\'s final accuracy with at most half the samples, or beats it at equal samples '
              f'by more than the seed-to-seed spread): **{"met" if t["met"] else "not met"}**. DP − uniform at '
              f'{summary["uniform"]["samples"]:,} samples: {100 * t["dp_minus_uniform"]:+.1f} points '
              f'(spread {100 * t["spread"]:.1f}); DP reached uniform\'s final accuracy at '
              f'{t["dp_samples_to_uniform_final"] if t["dp_samples_to_uniform_final"] is not None else "no"} samples.', '']
    lines += ['## How much of the loss the hardness map can see', '',
              'Share of the variance of the final models\' per-sample test loss explained out of sample (R², 2-fold cross-validation) '
              'by a ridge regression on the hardness map\'s cells (an additive model: class, and class × each factor\'s bin: '
              'yaw, distance and elevation quarters, environment, texture), and on class alone; the best over ridge strengths '
              f'{RIDGE[0]}–{RIDGE[-1]}, so an upper bound. The rest of the variance is per-sample: the exact pose, shape '
              'parameters, colour and light inside a cell, which `pruned` scores with the model and the map cannot see.', '',
              '| final models of | class alone | hardness-map cells |', '| --- | --- | --- |']
    for m in METHODS:
        e = summary[m]['loss_explained']
        lines.append(f'| {LABELS[m]} | {100 * e["class"]:.1f}% | {100 * e["map"]:.1f}% |')
    lines.append('')
    # Per-bin accuracy of the final models, and where each method's added samples went.
    lines += ['## Final accuracy per bin (test set, mean over seeds)', '', '| bin | ' + ' | '.join(LABELS[m] for m in METHODS) + ' | share of DP\'s added samples |',
              '| --- | ' + ' | '.join('---' for _ in METHODS) + ' | --- |']
    for axis in ('class', 'distance', 'environment', 'texture'):
        values = sorted({v for r in results for v in r['final']['bins'][axis]}, key=lambda v: (CLASSES.index(v) if axis == 'class' else v))
        for v in values:
            row = [f'{np.mean([r["final"]["bins"][axis].get(v, np.nan) for r in results if r["method"] == m]) * 100:.1f}%' for m in METHODS]
            share = np.mean([r['final']['added'].get(axis, {}).get(v, 0) for r in results if r['method'] == 'dp'])
            lines.append(f'| {axis} {v} | ' + ' | '.join(row) + f' | {100 * share:.1f}% |')
    lines += ['', '## Settings', '', '```json', json.dumps({k: v for k, v in cfg.items()}, indent=None), '```', '',
              'Spec (training split; the test sets use the same factors with their own seeds):', '', '```json',
              json.dumps(make_spec(1000), indent=None), '```', '']
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


# --- figure --------------------------------------------------------------------------------------

def iteration_curves(results, method):
    """Test accuracy against training steps (round ends, linearly interpolated), mean and std over seeds
    on a step grid that stops where the shortest run ends (beyond it, a mean over fewer seeds would jump)."""
    runs = [r for r in results if r['method'] == method]
    start = max(r['rounds'][0]['step'] for r in runs)
    end = min(r['rounds'][-1]['step'] for r in runs)
    grid = np.linspace(start, end, 60)
    vals = np.array([np.interp(grid, [p['step'] for p in r['rounds']], [p['test'] for p in r['rounds']]) for r in runs])
    return grid, vals.mean(0), vals.std(0), end


def final_points(results, method):
    """(mean steps, std steps, mean final accuracy, std) of a method's runs."""
    runs = [r for r in results if r['method'] == method]
    steps = np.array([r['final']['steps'] for r in runs], float)
    acc = np.array([r['final']['test'] for r in runs])
    return steps.mean(), steps.std(), acc.mean(), acc.std()


def plot(path, results, summary):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        return plot_fallback(path, results, summary)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    for m in METHODS:
        c = summary[m]['curve']
        xs = np.array([p['samples'] for p in c])
        mu = np.array([p['test_mean'] for p in c])
        sd = np.array([p['test_std'] for p in c])
        ho = np.array([p['holdout_mean'] for p in c])
        axes[0].plot(xs, 100 * mu, '-o', ms=3, color=COLORS[m], label=LABELS[m])
        axes[0].fill_between(xs, 100 * (mu - sd), 100 * (mu + sd), color=COLORS[m], alpha=0.15, lw=0)
        axes[0].plot(xs, 100 * ho, ':', color=COLORS[m], lw=1.2)
        grid, mean, std, _ = iteration_curves(results, m)
        axes[1].plot(grid, 100 * mean, '-', color=COLORS[m], label=LABELS[m])
        axes[1].fill_between(grid, 100 * (mean - std), 100 * (mean + std), color=COLORS[m], alpha=0.15, lw=0)
        sx, sxd, fy, fyd = final_points(results, m)
        axes[1].errorbar([sx], [100 * fy], xerr=[sxd], yerr=[100 * fyd], fmt='o', ms=4, color=COLORS[m], capsize=2)
    axes[0].axhline(100 * summary['uniform']['test_mean'], color=COLORS['uniform'], lw=0.8, ls='--')
    axes[0].set_xlabel('training samples (pool size)')
    axes[0].set_ylabel('test accuracy (%)')
    axes[0].set_title('accuracy vs samples (dotted: held-out combos)', fontsize=10)
    axes[1].set_xlabel('training iterations')
    axes[1].set_title('accuracy vs iterations (to the shortest run; dot: final ± std)', fontsize=10)
    axes[0].legend(fontsize=8, loc='lower right')
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle('Deliberate Practice over rendered data: mean ± std over seeds', fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return 'matplotlib'


def plot_fallback(path, results, summary):
    """The same two panels without matplotlib: mean lines, shaded spread, axes, ticks and a legend in a
    3x5 pixel font, written as a PNG with zlib."""
    from synth_client.png import encode_png
    W, H = 1100, 440
    img = np.full((H, W, 3), 255, dtype=np.uint8)
    panels = [(70, 30, 520, 390), (620, 30, 1070, 390)]
    series = []
    for m in METHODS:
        c = summary[m]['curve']
        series.append((0, m, np.array([p['samples'] for p in c], float), np.array([p['test_mean'] for p in c]), np.array([p['test_std'] for p in c])))
        grid, mean, std, _ = iteration_curves(results, m)
        series.append((1, m, grid, mean, std))
    ys = np.concatenate([s[3][np.isfinite(s[3])] for s in series])
    lo, hi = math.floor(ys.min() * 20 - 1) / 20, math.ceil(ys.max() * 20 + 1) / 20
    for k, (x0, y0, x1, y1) in enumerate(panels):
        xs = np.concatenate([s[2] for s in series if s[0] == k])
        xlo, xhi = 0.0, float(xs.max())
        tx = lambda v: x0 + (v - xlo) / (xhi - xlo) * (x1 - x0)  # noqa: E731
        ty = lambda v: y1 - (v - lo) / (hi - lo) * (y1 - y0)  # noqa: E731
        for t in np.arange(lo, hi + 1e-9, 0.05):
            y = int(round(ty(t)))
            img[y, x0:x1] = 230
            _text(img, x0 - 40, y - 5, f'{100 * t:.0f}')
        for t in np.linspace(xlo, xhi, 5):
            _text(img, int(tx(t)) - 12, y1 + 8, f'{t:.0f}')
        img[y0:y1 + 1, x0] = 0
        img[y1, x0:x1 + 1] = 0
        for kk, m, x, mu, sd in series:
            if kk != k:
                continue
            color = np.array([int(255 * v) for v in COLORS[m]], np.uint8)
            ok = np.isfinite(mu)
            px, pm, ps = tx(x[ok]), mu[ok], sd[ok]
            for i in range(len(px) - 1):
                for s in np.linspace(0, 1, max(2, int(abs(px[i + 1] - px[i])) + 1)):
                    xx = int(round(px[i] + s * (px[i + 1] - px[i])))
                    m_ = pm[i] + s * (pm[i + 1] - pm[i])
                    s_ = ps[i] + s * (ps[i + 1] - ps[i])
                    a, b = int(round(ty(m_ + s_))), int(round(ty(m_ - s_)))
                    band = img[a:b + 1, xx].astype(np.int32)
                    img[a:b + 1, xx] = (band * 0.85 + color * 0.15).astype(np.uint8)
            for i in range(len(px) - 1):
                n = int(max(abs(px[i + 1] - px[i]), abs(ty(pm[i + 1]) - ty(pm[i])), 1))
                for s in np.linspace(0, 1, n + 1):
                    xx = int(round(px[i] + s * (px[i + 1] - px[i])))
                    yy = int(round(ty(pm[i] + s * (pm[i + 1] - pm[i]))))
                    img[yy - 1:yy + 1, xx] = color
    _text(img, panels[0][0] + 120, 8, 'TEST ACCURACY VS SAMPLES')
    _text(img, panels[1][0] + 110, 8, 'TEST ACCURACY VS ITERATIONS')
    for i, m in enumerate(METHODS):
        y = panels[0][3] - 70 + 16 * i
        img[y:y + 8, panels[0][2] - 230:panels[0][2] - 218] = np.array([int(255 * v) for v in COLORS[m]], np.uint8)
        _text(img, panels[0][2] - 212, y - 1, {'uniform': 'UNIFORM', 'pruned': 'PRUNED', 'dp': 'DELIBERATE PRACTICE'}[m])
    with open(path, 'wb') as f:
        f.write(encode_png(img))
    return 'numpy'


_GLYPHS = {'0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
           '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7],
           '.': [0, 0, 0, 0, 2], '-': [0, 0, 7, 0, 0], '(': [1, 2, 2, 2, 1], ')': [4, 2, 2, 2, 4], '=': [0, 7, 0, 7, 0],
           'A': [2, 5, 7, 5, 5], 'B': [6, 5, 6, 5, 6], 'C': [3, 4, 4, 4, 3], 'D': [6, 5, 5, 5, 6], 'E': [7, 4, 6, 4, 7],
           'F': [7, 4, 6, 4, 4], 'G': [3, 4, 5, 5, 3], 'H': [5, 5, 7, 5, 5], 'I': [7, 2, 2, 2, 7], 'K': [5, 5, 6, 5, 5],
           'L': [4, 4, 4, 4, 7], 'M': [5, 7, 7, 5, 5], 'N': [6, 5, 5, 5, 5], 'O': [2, 5, 5, 5, 2], 'P': [6, 5, 6, 4, 4],
           'R': [6, 5, 6, 5, 5], 'S': [3, 4, 2, 1, 6], 'T': [7, 2, 2, 2, 2], 'U': [5, 5, 5, 5, 7], 'V': [5, 5, 5, 5, 2],
           'W': [5, 5, 7, 7, 5], 'Y': [5, 5, 2, 2, 2], 'Z': [7, 1, 2, 4, 7]}


def _text(img, x, y, text, scale=2):
    for ch in text:
        for r, bits in enumerate(_GLYPHS.get(ch.upper(), [0] * 5)):
            for c in range(3):
                if bits & (4 >> c):
                    img[max(0, y + r * scale):y + (r + 1) * scale, max(0, x + c * scale):x + (c + 1) * scale] = 60
        x += 4 * scale


# --- main ----------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--quick', action='store_true', help='a smoke run: one seed, tiny budgets (minutes)')
    p.add_argument('--seeds', help='comma-separated seeds (default 0,1,2)')
    p.add_argument('--jobs', type=int, help='runs in parallel (default 2; each trains on one thread)')
    p.add_argument('--methods', default=','.join(METHODS))
    p.add_argument('--out', help='where deliberate-practice.md, dp-experiment.png and dp-experiment.json go (default docs/experiments/; with --quick a temp folder)')
    p.add_argument('--url', help='use a running service instead of starting one')
    p.add_argument('--set', action='append', default=[], metavar='KEY=VALUE', help='override a CONFIG entry (JSON value)')
    args = p.parse_args()
    started = time.time()
    cfg = dict(CONFIG)
    if args.quick:
        cfg.update(QUICK)
    if args.seeds:
        cfg['seeds'] = [int(s) for s in args.seeds.split(',')]
    if args.jobs:
        cfg['jobs'] = args.jobs
    for kv in args.set:
        k, v = kv.split('=', 1)
        if k not in cfg:
            p.error(f'--set {k}: expected one of {", ".join(cfg)}')
        cfg[k] = json.loads(v)
    methods = args.methods.split(',')
    work = tempfile.mkdtemp(prefix='synth-dp-')
    args.out = args.out or (os.path.join(work, 'out') if args.quick else os.path.join(ROOT, 'docs', 'experiments'))
    os.makedirs(args.out, exist_ok=True)
    service = None if args.url else LocalService(repo_root=ROOT, data_dir=os.path.join(work, 'service'))
    try:
        url = args.url or service.url
        print(f'service at {url}; work dir {work}', flush=True)
        client = Client(url)
        t0 = time.time()
        render_fixed_sets(client, cfg, work)
        print(f'validation and test sets rendered in {time.time() - t0:.0f}s', flush=True)
        jobs = [(m, s, url, cfg, work) for s in cfg['seeds'] for m in methods]
        # Render-heavy (pruned) and train-heavy runs interleave across the workers.
        jobs.sort(key=lambda j: (j[1], ['pruned', 'uniform', 'dp'].index(j[0])))
        if cfg['jobs'] > 1:
            with mp.get_context('spawn').Pool(cfg['jobs']) as pool:
                results = list(pool.imap_unordered(run, jobs))
        else:
            results = [run(j) for j in jobs]
    finally:
        if service is not None:
            service.stop()
        # The cached sets and the service's data dir go; the outputs stay (in work/out with --quick).
        for name in os.listdir(work):
            if name != 'out':
                path = os.path.join(work, name)
                shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
    total = time.time() - started
    if set(methods) != set(METHODS):
        print(json.dumps([{k: r[k] for k in ('method', 'seed', 'final', 'seconds')} for r in results], indent=1))
        return
    summary = summarise(results, cfg)
    figure = plot(os.path.join(args.out, 'dp-experiment.png'), results, summary)
    write_markdown(os.path.join(args.out, 'deliberate-practice.md'), summary, results, cfg, total, 'dp-experiment.png')
    with open(os.path.join(args.out, 'dp-experiment.json'), 'w') as f:
        json.dump({'config': cfg, 'spec': make_spec(1000), 'seconds': round(total, 1), 'figure': figure,
                   'summary': summary, 'runs': sorted(results, key=lambda r: (r['method'], r['seed']))}, f, indent=1)
        f.write('\n')
    for m in METHODS:
        s = summary[m]
        print(f'{LABELS[m]:32s} samples {s["samples"]:5d} rendered {s["rendered"]:6d}  test {fmt_pm(s["test_mean"], s["test_std"])}  '
              f'held-out combos {fmt_pm(s["holdout_mean"], s["holdout_std"])}  reach {s["samples_to_uniform_final"]}  steps {s["steps_mean"]:.0f}')
    print(f'target met: {summary["target"]["met"]} ({json.dumps(summary["target"])})')
    print(f'total run time {total / 60:.1f} min ({total:.0f}s); figure drawn with {figure}; outputs in {args.out}')


if __name__ == '__main__':
    main()
