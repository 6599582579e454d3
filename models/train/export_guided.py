#!/usr/bin/python3
"""Export a PyTorch image classifier to ONNX together with the input-gradients of three guidance
criteria, so that the diffusion sampler's classifier guidance runs in ONNX Runtime (which has no
autograd).

The exported graph (opset 17, batch dimension `B` dynamic, image size fixed):

    inputs   image         float32 [B,3,H,W]  the normalised NCHW image, exactly as the model takes it
             target        int64   [B]        class index; only the loss gradient depends on it
    outputs  logits        float32 [B,K]
             features      float32 [B,D]      only for models that return (logits, features)
             grad_entropy  float32 [B,3,H,W]  d H / d image
             grad_loss     float32 [B,3,H,W]  d CE(target) / d image
             grad_margin   float32 [B,3,H,W]  d (p_top1 - p_top2) / d image

with p = softmax(logits) (natural log): H = -sum_k p_k log p_k, CE = -log p[target], margin =
p_top1 - p_top2 (the top-1/top-2 classes are picked by value and held constant, as autograd does for
topk + gather). Each gradient is per sample: the gradient of that sample's criterion, which is also the
gradient of the batch *sum* (a batch mean would be B times smaller).

torch.onnx cannot export autograd, so the backward pass is written out by hand with ordinary ONNX
operators: d criterion / d logits in closed form (dH/dz = -p (log p + H); dCE/dz = p - onehot(target);
dMargin/dz = J_softmax^T (e_top1 - e_top2) = p*v - p (p.v)), stacked along the batch into one 3B
reverse pass through the recorded forward activations, then split.

Accepted model forms (anything else raises UnsupportedModelError):
  * a plain nn.Sequential ending in logits (output `logits` only);
  * a module with `body` (nn.Sequential, 4-D output) and `head` (nn.Linear or nn.Sequential) whose forward
    is `head(dropout(body(x).mean(dim=(2, 3))))`, returning logits or (logits, features) with features =
    the pooled vector (this is SmallCNN in train_classifier.py). The forward itself is not parsed: the
    check below compares logits and features with the original model, so a different forward fails loudly.
Nested nn.Sequential are flattened. Supported layers (anything else raises UnsupportedLayerError naming
it): Conv2d (zeros padding, any stride/padding/dilation/groups, bias or not), BatchNorm2d (eval, running
stats), ReLU, LeakyReLU, Sigmoid, Tanh, MaxPool2d (any kernel/stride/padding/dilation/ceil_mode), AvgPool2d
(incl. padding, count_include_pad, ceil_mode, divisor_override), AdaptiveAvgPool2d(1), GlobalAvgPool (this
module: mean over H,W -> [B,C]), Flatten, Dropout* (identity in eval), Identity, Linear.

After the export, `export_with_gradients` CHECKS the ONNX graph: it runs it with onnxruntime (the Python
package if installed, else Node's onnxruntime-node through run_onnx.mjs beside this file) on seeded random
images and targets and compares logits, features and every gradient with torch.autograd on the original
model; it raises if any max abs error exceeds the tolerance (1e-4).

Python use:

    from export_guided import export_with_gradients
    report = export_with_gradients(model, 'out/model.onnx', image_size=32, num_classes=10)

CLI (from the repository root; writes <out>/model.onnx and the <out>/model.json manifest):

    /usr/bin/python3 models/train/export_guided.py --weights models/synth-classifier-32-guide/weights.pt \\
        --arch smallcnn --classes cube,sphere,torus,car,bus,chair,mug,tree,house,giraffe --out /tmp/guide
    /usr/bin/python3 models/train/export_guided.py --weights my.pt --arch my_model.py:build \\
        --classes cat,dog --image-size 64 --out models/my-guide

`--arch smallcnn` is train_classifier.SmallCNN; `--arch FILE.py:FUNC` calls FUNC(num_classes) from FILE to
build the module whose state dict is in --weights. `--classes` defaults to models/train/dataset.json's.
Input normalisation in the manifest: value = (pixel * scale - mean) / std (--scale, --mean, --std).
"""
import argparse
import datetime
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.dropout import _DropoutNd
from torch.nn.modules.utils import _pair

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
TOLERANCE = 1e-4
CRITERIA = ('entropy', 'loss', 'margin')
GRAD_OUTPUTS = {c: f'grad_{c}' for c in CRITERIA}


class UnsupportedLayerError(TypeError):
    """A layer the hand-written reverse pass does not know."""


class UnsupportedModelError(TypeError):
    """A model that is neither a plain Sequential nor body -> global mean -> head."""


class GradientCheckError(AssertionError):
    """The exported graph disagrees with torch.autograd beyond the tolerance."""


class GlobalAvgPool(nn.Module):
    """Mean over H and W: [B,C,H,W] -> [B,C] (for plain Sequential classifiers)."""

    def forward(self, x):
        return x.mean(dim=(2, 3))


SUPPORTED = (nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.MaxPool2d, nn.AvgPool2d,
             nn.AdaptiveAvgPool2d, GlobalAvgPool, nn.Flatten, _DropoutNd, nn.Identity, nn.Linear)
SUPPORTED_NAMES = ('Conv2d, BatchNorm2d, ReLU, LeakyReLU, Sigmoid, Tanh, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1), '
                   'GlobalAvgPool, Flatten, Dropout, Identity, Linear')


def _flatten(seq, where):
    layers = []
    for name, m in seq.named_children():
        path = f'{where}.{name}'
        if isinstance(m, nn.Sequential):
            layers += _flatten(m, path)
            continue
        if not isinstance(m, SUPPORTED):
            raise UnsupportedLayerError(f'export_guided: unsupported layer {type(m).__name__} at {path} ({m}); '
                                        f'the hand-written reverse pass supports {SUPPORTED_NAMES}')
        if isinstance(m, nn.Conv2d) and m.padding_mode != 'zeros':
            raise UnsupportedLayerError(f'export_guided: unsupported layer Conv2d at {path}: padding_mode={m.padding_mode!r} (only zeros)')
        if isinstance(m, nn.Conv2d) and isinstance(m.padding, str):
            raise UnsupportedLayerError(f'export_guided: unsupported layer Conv2d at {path}: padding={m.padding!r} '
                                        f'(give the padding as numbers)')
        if isinstance(m, nn.BatchNorm2d) and (not m.track_running_stats or m.running_var is None):
            raise UnsupportedLayerError(f'export_guided: unsupported layer BatchNorm2d at {path}: no running statistics')
        if isinstance(m, nn.Flatten) and m.start_dim == 0:
            raise UnsupportedLayerError(f'export_guided: unsupported layer Flatten at {path}: start_dim=0 merges the batch')
        if isinstance(m, nn.AdaptiveAvgPool2d) and _pair(m.output_size) != (1, 1):
            raise UnsupportedLayerError(f'export_guided: unsupported layer AdaptiveAvgPool2d at {path}: output_size '
                                        f'{m.output_size} (only 1)')
        layers.append(m)
    return layers


def resolve_layers(model):
    """(layers, features_at): the model as a flat layer list, and the count of layers whose output is
    the features vector (None for a plain Sequential)."""
    if isinstance(model, nn.Sequential):
        return _flatten(model, 'model'), None
    body, head = getattr(model, 'body', None), getattr(model, 'head', None)
    if isinstance(body, nn.Sequential) and isinstance(head, (nn.Linear, nn.Sequential)):
        layers = _flatten(body, 'model.body') + [GlobalAvgPool()]
        features_at = len(layers)
        layers += _flatten(head, 'model.head') if isinstance(head, nn.Sequential) else [head]
        return layers, features_at
    raise UnsupportedModelError(
        f'export_guided: unsupported model {type(model).__name__}: expected an nn.Sequential, or a module with '
        f'`body` (nn.Sequential) and `head` (nn.Linear or nn.Sequential) computing head(body(x).mean(dim=(2, 3)))')


def _conv_transpose_padding(in_size, out_size, stride, padding, dilation, kernel):
    """(output_padding, crop) so that conv_transpose2d maps out_size back to exactly in_size."""
    full = (out_size - 1) * stride - 2 * padding + dilation * (kernel - 1) + 1
    extra = in_size - full
    return (extra, 0) if extra >= 0 else (0, -extra)


class GradientGraph(nn.Module):
    """forward(image, target) -> logits[, features], grad_entropy, grad_loss, grad_margin."""

    def __init__(self, layers, features_at, image_size, with_features):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.features_at = features_at if with_features else None
        h, w = _pair(image_size)
        # BatchNorm2d (eval) folded to a per-channel affine x * scale + shift, used by both passes (so the
        # exporter does not fuse it into the conv and the conv weight is stored once, shared with the
        # reverse pass's ConvTranspose)
        self.consts = {}
        for i, layer in enumerate(layers):
            if isinstance(layer, nn.BatchNorm2d):
                scale = torch.rsqrt(layer.running_var.detach().double() + layer.eps)
                if layer.weight is not None:
                    scale = scale * layer.weight.detach().double()
                shift = -layer.running_mean.detach().double() * scale
                if layer.bias is not None:
                    shift = shift + layer.bias.detach().double()
                self.consts[i] = (scale.float().reshape(1, -1, 1, 1), shift.float().reshape(1, -1, 1, 1))
        shapes, x = [], torch.zeros(1, 3, h, w)
        with torch.no_grad():
            for i, layer in enumerate(layers):
                shapes.append(tuple(x.shape[1:]))
                x, _ = self._forward_layer(i, layer, x)
        if x.dim() != 2:
            raise UnsupportedModelError(f'export_guided: the model ends in shape {list(x.shape)}, expected logits [B,K]')
        self.in_shapes = shapes
        self.num_classes = x.shape[1]
        self.image_shape = (3, h, w)
        # constants of the reverse pass, per layer index
        for i, (layer, shape) in enumerate(zip(layers, shapes)):
            if isinstance(layer, (GlobalAvgPool, nn.AdaptiveAvgPool2d)):
                self.consts[i] = torch.full((1, 1) + shape[1:], 1.0 / (shape[1] * shape[2]))
            elif isinstance(layer, nn.AvgPool2d):
                k, s, p = _pair(layer.kernel_size), _pair(layer.stride or layer.kernel_size), _pair(layer.padding)
                ones = torch.ones(1, 1, *shape[1:])
                avg = F.avg_pool2d(ones, k, s, p, layer.ceil_mode, layer.count_include_pad, layer.divisor_override)
                count = F.avg_pool2d(ones, k, s, p, layer.ceil_mode, True, 1)
                self.consts[i] = (avg / count, torch.ones(shape[0], 1, *k), tuple(int(n) for n in avg.shape[2:]))

    def _forward_layer(self, i, layer, x):
        """(output, saved) where saved is what the reverse pass needs."""
        if isinstance(layer, nn.ReLU):
            return F.relu(x), (x > 0).to(x.dtype)
        if isinstance(layer, nn.LeakyReLU):
            slope = layer.negative_slope
            return F.leaky_relu(x, slope), (x > 0).to(x.dtype) * (1 - slope) + slope
        if isinstance(layer, nn.Sigmoid):
            y = torch.sigmoid(x)
            return y, y * (1 - y)
        if isinstance(layer, nn.Tanh):
            y = torch.tanh(x)
            return y, 1 - y * y
        if isinstance(layer, nn.MaxPool2d):
            y, idx = F.max_pool2d(x, layer.kernel_size, layer.stride or layer.kernel_size, layer.padding,
                                  layer.dilation, layer.ceil_mode, return_indices=True)
            return y, idx
        if isinstance(layer, (_DropoutNd, nn.Identity)):
            return x, None
        if isinstance(layer, GlobalAvgPool):
            return x.mean(dim=(2, 3)), None
        if isinstance(layer, nn.AdaptiveAvgPool2d):
            return x.mean(dim=(2, 3), keepdim=True), None
        if isinstance(layer, nn.Flatten):
            return torch.flatten(x, layer.start_dim, layer.end_dim), None
        if isinstance(layer, nn.BatchNorm2d):
            scale, shift = self.consts[i]
            return x * scale + shift, None
        return layer(x), None  # Conv2d, AvgPool2d, Linear

    def _backward_layer(self, i, layer, saved, g):
        """Gradient w.r.t. the layer input from the gradient w.r.t. its output (batch 3B)."""
        shape = self.in_shapes[i]
        if isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh)):
            return g * torch.cat([saved] * 3, 0)
        if isinstance(layer, (_DropoutNd, nn.Identity)):
            return g
        if isinstance(layer, nn.Linear):
            return torch.matmul(g, layer.weight)
        if isinstance(layer, nn.BatchNorm2d):
            return g * self.consts[i][0]
        if isinstance(layer, GlobalAvgPool):
            return g[:, :, None, None] * self.consts[i]
        if isinstance(layer, nn.AdaptiveAvgPool2d):
            return g * self.consts[i]
        if isinstance(layer, nn.Flatten):
            return g.reshape((-1,) + shape)
        if isinstance(layer, nn.Conv2d):
            out_hw = self._out_hw(shape, layer.stride, layer.padding, layer.dilation, layer.kernel_size)
            return self._transpose(g, layer.weight, shape, layer.stride, layer.padding, layer.dilation,
                                   layer.kernel_size, layer.groups, out_hw)
        if isinstance(layer, nn.AvgPool2d):
            scale, ones, out_hw = self.consts[i]
            k, s, p = _pair(layer.kernel_size), _pair(layer.stride or layer.kernel_size), _pair(layer.padding)
            return self._transpose(g * scale, ones, shape, s, p, (1, 1), k, shape[0], out_hw)
        if isinstance(layer, nn.MaxPool2d):
            n3, c = g.shape[0], shape[0]
            idx = torch.cat([saved] * 3, 0).flatten(2)
            out = torch.zeros(n3, c, shape[1] * shape[2], dtype=g.dtype)
            return out.scatter_add(2, idx, g.flatten(2)).reshape((-1,) + shape)
        raise UnsupportedLayerError(f'export_guided: unsupported layer {type(layer).__name__}')

    def _transpose(self, g, weight, in_shape, stride, padding, dilation, kernel, groups, out_hw):
        """conv_transpose2d back to in_shape (the adjoint of a zero-padded conv2d)."""
        pads, crops = [], []
        for d in range(2):
            op, crop = _conv_transpose_padding(in_shape[1 + d], out_hw[d], stride[d], padding[d], dilation[d], kernel[d])
            pads.append(op)
            crops.append(crop)
        y = F.conv_transpose2d(g, weight, None, stride, padding, tuple(pads), groups, dilation)
        if crops[0] or crops[1]:
            y = y[:, :, :in_shape[1], :in_shape[2]]
        return y

    @staticmethod
    def _out_hw(in_shape, stride, padding, dilation, kernel):
        return tuple((in_shape[1 + d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d] + 1 for d in range(2))

    def forward(self, image, target):
        x, saved, features = image, [], None
        for i, layer in enumerate(self.layers):
            x, s = self._forward_layer(i, layer, x)
            saved.append(s)
            if self.features_at is not None and i + 1 == self.features_at:
                features = x
        logits = x
        p = F.softmax(logits, dim=1)
        logp = F.log_softmax(logits, dim=1)
        classes = torch.arange(self.num_classes, dtype=torch.int64)[None, :]
        # d entropy / d logits
        h = -(p * logp).sum(dim=1, keepdim=True)
        g_entropy = -p * (logp + h)
        # d cross-entropy(target) / d logits
        g_loss = p - (classes == target[:, None]).to(p.dtype)
        # d (p_top1 - p_top2) / d logits = J^T v, J = diag(p) - p p^T, v = e_top1 - e_top2
        top = torch.topk(p, 2, dim=1).indices
        v = (classes == top[:, 0:1]).to(p.dtype) - (classes == top[:, 1:2]).to(p.dtype)
        pv = p * v
        g_margin = pv - p * pv.sum(dim=1, keepdim=True)
        g = torch.cat([g_entropy, g_loss, g_margin], 0)
        for i in range(len(self.layers) - 1, -1, -1):
            g = self._backward_layer(i, self.layers[i], saved[i], g)
        g = g.reshape((3, -1) + self.image_shape)
        grads = (g[0], g[1], g[2])
        return ((logits, features) if features is not None else (logits,)) + grads


def _model_outputs(model, image):
    out = model(image)
    if isinstance(out, (tuple, list)):
        if len(out) != 2:
            raise UnsupportedModelError(f'export_guided: the model returns {len(out)} values; expected logits or (logits, features)')
        return out[0], out[1]
    return out, None


def autograd_reference(model, image, target):
    """{output name: numpy} from torch.autograd on the original model (per-sample = gradient of the sum)."""
    image = image.clone().requires_grad_(True)
    logits, features = _model_outputs(model, image)
    p = F.softmax(logits, dim=1)
    logp = F.log_softmax(logits, dim=1)
    criteria = {
        'entropy': -(p * logp).sum(dim=1),
        'loss': F.cross_entropy(logits, target, reduction='none'),
        'margin': (lambda top: p.gather(1, top[:, 0:1]) - p.gather(1, top[:, 1:2]))(p.topk(2, dim=1).indices)[:, 0],
    }
    ref = {'logits': logits.detach().numpy()}
    if features is not None:
        ref['features'] = features.detach().numpy()
    for c in CRITERIA:
        (grad,) = torch.autograd.grad(criteria[c].sum(), image, retain_graph=True)
        ref[GRAD_OUTPUTS[c]] = grad.numpy()
    return ref


def run_onnx(path, feeds):
    """Run an ONNX graph on numpy feeds: onnxruntime (Python) if installed, else Node's onnxruntime-node."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        onnxruntime = None
    if onnxruntime is not None:
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = onnxruntime.InferenceSession(path, opts, providers=['CPUExecutionProvider'])
        names = [o.name for o in sess.get_outputs()]
        return dict(zip(names, sess.run(names, feeds)))
    node = shutil.which('node')
    if node is None:
        raise RuntimeError('export_guided: cannot run the ONNX check: neither the onnxruntime Python package nor node is installed')
    with tempfile.TemporaryDirectory(prefix='export-guided-') as io:
        spec = {}
        for name, value in feeds.items():
            value = np.ascontiguousarray(value)
            value.astype(value.dtype.newbyteorder('<')).tofile(os.path.join(io, f'{name}.bin'))
            spec[name] = {'file': f'{name}.bin', 'dtype': str(value.dtype), 'shape': list(value.shape)}
        with open(os.path.join(io, 'inputs.json'), 'w') as f:
            json.dump(spec, f)
        run = subprocess.run([node, os.path.join(HERE, 'run_onnx.mjs'), os.path.abspath(path), io],
                             capture_output=True, text=True, cwd=ROOT)
        if run.returncode != 0:
            raise RuntimeError(f'export_guided: run_onnx.mjs failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}'
                               ' (is onnxruntime-node installed? npm ci in the repository root)')
        with open(os.path.join(io, 'outputs.json')) as f:
            outs = json.load(f)
        return {name: np.fromfile(os.path.join(io, o['file']), dtype=np.dtype(o['dtype']).newbyteorder('<')).reshape(o['shape'])
                for name, o in outs.items()}


FORWARD_FILE = 'forward.onnx'


class _Forward(torch.nn.Module):
    """The model's forward pass alone: logits[, features]."""

    def __init__(self, model, with_features):
        super().__init__()
        self.model = model
        self.with_features = with_features

    def forward(self, image):
        logits, features = _model_outputs(self.model, image)
        return (logits, features) if self.with_features else logits


def export_with_gradients(model, path, *, image_size, num_classes, input_name='image', check_batch=4, seed=0,
                          tolerance=TOLERANCE, verbose=True, check_inputs=None):
    """Export `model` (set to eval mode) to `path` with logits[, features] and grad_{entropy,loss,margin}
    outputs, then check the graph in onnxruntime against torch.autograd on `model`.

    The check runs `check_batch` standard-normal images and uniform targets drawn from torch.Generator(seed),
    or the given `check_inputs` (image float32 [N,3,H,W], target int64 [N]).

    Returns {'outputs': {key: {'name', 'dtype', 'shape'}}, 'gradients': {criterion: {...}}, 'target': {...},
    'maxAbsError': {output name: float}, 'relativeError': {output name: max abs error / max |reference|},
    'tolerance': tolerance}. Raises UnsupportedLayerError /
    UnsupportedModelError before exporting, GradientCheckError when the check fails."""
    import onnx

    model.eval()
    layers, features_at = resolve_layers(model)
    h, w = _pair(image_size)
    with torch.no_grad():
        logits, features = _model_outputs(model, torch.zeros(2, 3, h, w))
    if logits.dim() != 2 or logits.shape[1] != num_classes or num_classes < 2:
        raise ValueError(f'export_guided: the model gives logits of shape {list(logits.shape)}, num_classes is '
                         f'{num_classes} (expected [B, num_classes], at least 2 classes for the margin)')
    with_features = features is not None
    if with_features and features_at is None:
        raise UnsupportedModelError('export_guided: a plain Sequential cannot return (logits, features)')
    graph = GradientGraph(layers, features_at, (h, w), with_features).eval()
    out_names = ['logits'] + (['features'] if with_features else []) + [GRAD_OUTPUTS[c] for c in CRITERIA]
    dyn = {name: {0: 'B'} for name in [input_name, 'target'] + out_names}
    example = (torch.randn(2, 3, h, w), torch.zeros(2, dtype=torch.int64))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(graph, example, path, opset_version=17, input_names=[input_name, 'target'],
                          output_names=out_names, dynamic_axes=dyn, do_constant_folding=True)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    # ONNX Runtime runs every node of a graph whatever outputs are fetched, so the forward-only graph
    # goes beside it: the service uses it where only logits (or features) are needed
    forward_path = os.path.join(os.path.dirname(os.path.abspath(path)), FORWARD_FILE)
    forward_names = ['logits'] + (['features'] if with_features else [])
    with torch.no_grad():
        torch.onnx.export(_Forward(model, with_features).eval(), (example[0],), forward_path, opset_version=17,
                          input_names=[input_name], output_names=forward_names,
                          dynamic_axes={name: {0: 'B'} for name in [input_name] + forward_names}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(forward_path), full_check=True)
    model.eval()  # torch.onnx.export restores the wrapper's mode, recursively: keep the model in eval mode

    # the check: seeded random images and targets, ONNX Runtime vs torch.autograd on the original model
    if check_inputs is None:
        gen = torch.Generator().manual_seed(seed)
        image = torch.randn(check_batch, 3, h, w, generator=gen)
        target = torch.randint(0, num_classes, (check_batch,), generator=gen)
    else:
        image, target = (torch.as_tensor(t) for t in check_inputs)
        image, target = image.float(), target.long()
    ref = autograd_reference(model, image, target)
    got = run_onnx(path, {input_name: image.numpy(), 'target': target.numpy()})
    with torch.no_grad():
        mirror = dict(zip(out_names, (t.numpy() for t in graph(image, target))))
    errors, relative, lines, bad = {}, {}, [], []
    for name in out_names:
        if got[name].shape != ref[name].shape:
            raise GradientCheckError(f'export_guided: {name}: ONNX shape {got[name].shape} != torch {ref[name].shape}')
        err = float(np.abs(got[name].astype(np.float64) - ref[name]).max())
        errors[name] = err
        scale = float(np.abs(ref[name]).max())
        relative[name] = err / scale if scale > 0 else err
        torch_err = float(np.abs(mirror[name].astype(np.float64) - ref[name]).max())
        lines.append(f'  {name:13s} max abs error {err:.3e} (max |ref| {scale:.3e}; hand-written pass in torch {torch_err:.3e})')
        if not err <= tolerance:
            bad.append(name)
    if verbose:
        print(f'export_guided: {path}: ONNX Runtime vs torch.autograd, {len(image)} images, tolerance {tolerance:g}')
        print('\n'.join(lines))
    if bad:
        raise GradientCheckError(f'export_guided: {", ".join(bad)} differ from torch.autograd by more than {tolerance:g}:\n' + '\n'.join(lines))
    size = ['B', 3, h, w]
    outputs = {'logits': {'name': 'logits', 'dtype': 'float32', 'shape': ['B', num_classes]}}
    if with_features:
        outputs['features'] = {'name': 'features', 'dtype': 'float32', 'shape': ['B', int(features.shape[1])]}
    return {
        'outputs': outputs,
        'gradients': {c: {'name': GRAD_OUTPUTS[c], 'dtype': 'float32', 'shape': list(size)} for c in CRITERIA},
        'target': {'name': 'target', 'dtype': 'int64', 'shape': ['B']},
        'forwardFile': FORWARD_FILE,
        'maxAbsError': errors,
        'relativeError': relative,
        'tolerance': tolerance,
    }


def add_gradient_entries(manifest, report):
    """Return a copy of a classifier manifest with `target`, `outputs.gradients` and
    `training.gradientCheck` from export_with_gradients' report (key order kept: target after input)."""
    out = {}
    for key, value in manifest.items():
        out[key] = value
        if key == 'file':
            out['forwardFile'] = report['forwardFile']
        if key == 'input':
            out['target'] = report['target']
    out['outputs'] = dict(manifest['outputs'], **report['outputs'], gradients=report['gradients'])
    training = dict(manifest.get('training', {}))
    training['gradientCheck'] = {
        'maxAbsError': {c: float(f"{report['maxAbsError'][GRAD_OUTPUTS[c]]:.3g}") for c in CRITERIA},
        'tolerance': report['tolerance'],
        'against': 'torch.autograd',
    }
    out['training'] = training
    return out


def _build_arch(arch, num_classes):
    if arch == 'smallcnn':
        sys.path.insert(0, HERE)
        from train_classifier import SmallCNN
        return SmallCNN(num_classes)
    if ':' in arch:
        file, func = arch.rsplit(':', 1)
        spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(file))[0], file)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return getattr(mod, func)(num_classes)
    raise SystemExit(f'export_guided: --arch {arch!r}: expected smallcnn or FILE.py:FUNC')


def main():
    p = argparse.ArgumentParser(description='Export a PyTorch classifier to ONNX with input-gradient outputs '
                                            '(see the top of this file).')
    p.add_argument('--weights', required=True, help='state dict (torch.save) of the model')
    p.add_argument('--arch', default='smallcnn', help='smallcnn, or FILE.py:FUNC building the model from num_classes')
    p.add_argument('--classes', help='comma-separated class names (default: models/train/dataset.json)')
    p.add_argument('--out', required=True, help='output folder: model.onnx + model.json')
    p.add_argument('--name', help='manifest name (default: the folder name)')
    p.add_argument('--description')
    p.add_argument('--image-size', type=int, default=32)
    p.add_argument('--scale', type=float, default=1 / 255)
    p.add_argument('--mean', type=float, nargs=3, default=[0.5] * 3)
    p.add_argument('--std', type=float, nargs=3, default=[0.5] * 3)
    p.add_argument('--check-batch', type=int, default=4)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.classes:
        classes = [c for c in args.classes.split(',') if c]
    else:
        classes = json.load(open(os.path.join(HERE, 'dataset.json')))['classes']
    model = _build_arch(args.arch, len(classes))
    model.load_state_dict(torch.load(args.weights, map_location='cpu'))
    path = os.path.join(args.out, 'model.onnx')
    report = export_with_gradients(model, path, image_size=args.image_size, num_classes=len(classes),
                                   check_batch=args.check_batch, seed=args.seed)
    name = args.name or os.path.basename(os.path.abspath(args.out))
    s = args.image_size
    manifest = {
        'format': 'synth-classifier-model/1',
        'name': name,
        'kind': 'classifier',
        'description': args.description or f'{args.arch} classifier with input-gradient outputs for guidance '
                                           f'(exported by models/train/export_guided.py).',
        'file': 'model.onnx',
        'input': {'name': 'image', 'dtype': 'float32', 'shape': ['B', 3, s, s], 'layout': 'NCHW',
                  'colorSpace': 'RGB', 'scale': args.scale, 'mean': args.mean, 'std': args.std},
        'outputs': {},
        'image': {'width': s, 'height': s, 'channels': 3},
        'classes': classes,
        'training': {
            'weights': os.path.relpath(os.path.abspath(args.weights), ROOT),
            'arch': args.arch,
            'command': ' '.join(['/usr/bin/python3', 'models/train/export_guided.py'] + sys.argv[1:]),
            'torch': torch.__version__,
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d'),
        },
    }
    manifest = add_gradient_entries(manifest, report)
    with open(os.path.join(args.out, 'model.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    print(f'export_guided: wrote {path} and {os.path.join(args.out, "model.json")}')


if __name__ == '__main__':
    main()
