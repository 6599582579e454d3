"""The class-conditional pixel-space UNet of the default generator (32x32 RGB), and its diffusion schedule.

Signature, as exported to ONNX: (x: float32 [B,3,H,W], t: int64 [B], class: int64 [B]) -> float32 [B,3,H,W].
`class == num_classes` is the null class used for classifier-free guidance.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim, max_period=10000.0):
    """Sinusoidal embedding of (float) timesteps t [B] -> [B, dim] (cos half, then sin half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-Conv twice, with the embedding as a scale and shift after the second norm."""

    def __init__(self, cin, cout, emb_dim, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return h + self.skip(x)


class Attention(nn.Module):
    """Single-head self-attention over the pixels of a small feature map."""

    def __init__(self, ch, groups=8):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.out = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        att = torch.softmax(torch.einsum('bci,bcj->bij', q, k) / math.sqrt(c), dim=-1)
        y = torch.einsum('bij,bcj->bci', att, v).reshape(b, c, h, w)
        return x + self.out(y)


class UNet(nn.Module):
    """Three-level UNet: `channels` per level (32, 16, 8 px at 32x32 input), `blocks` ResBlocks per level,
    attention in the middle at the lowest resolution. Conditioning = time MLP + class embedding."""

    def __init__(self, num_classes, channels=(32, 64, 128), blocks=1, emb_dim=128, in_ch=3):
        super().__init__()
        self.num_classes = num_classes
        self.emb_dim = emb_dim
        self.time_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.class_emb = nn.Embedding(num_classes + 1, emb_dim)  # last row: the null class
        self.conv_in = nn.Conv2d(in_ch, channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        skip_ch = []
        ch = channels[0]
        for level, c in enumerate(channels):
            for _ in range(blocks):
                self.down.append(ResBlock(ch, c, emb_dim))
                ch = c
                skip_ch.append(ch)
            if level < len(channels) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.mid1 = ResBlock(ch, ch, emb_dim)
        self.mid_attn = Attention(ch)
        self.mid2 = ResBlock(ch, ch, emb_dim)
        self.up = nn.ModuleList()
        for level, c in reversed(list(enumerate(channels))):
            for _ in range(blocks):
                self.up.append(ResBlock(ch + skip_ch.pop(), c, emb_dim))
                ch = c
        self.norm_out = nn.GroupNorm(8, ch)
        self.conv_out = nn.Conv2d(ch, in_ch, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)
        self.channels = channels
        self.blocks = blocks

    def forward(self, x, t, y):
        emb = self.time_mlp(timestep_embedding(t, self.emb_dim)) + self.class_emb(y)
        h = self.conv_in(x)
        skips = []
        i = 0
        for level in range(len(self.channels)):
            for _ in range(self.blocks):
                h = self.down[i](h, emb)
                i += 1
                skips.append(h)
            if level < len(self.channels) - 1:
                h = self.downsample[level](h)
        h = self.mid2(self.mid_attn(self.mid1(h, emb)), emb)
        i = 0
        for level in reversed(range(len(self.channels))):
            for _ in range(self.blocks):
                h = self.up[i](torch.cat([h, skips.pop()], dim=1), emb)
                i += 1
            if level > 0:
                # nearest upsampling only: the next ResBlock's 3x3 convs smooth it (an extra conv at full
                # resolution would cost a third of the network's FLOPs)
                h = F.interpolate(h, scale_factor=2.0, mode='nearest')
        return self.conv_out(F.silu(self.norm_out(h)))


def betas_for(schedule, steps=1000, beta_start=1e-4, beta_end=0.02):
    """Training betas (float64) for 'linear', 'scaled_linear' or 'squaredcos_cap_v2', as in diffusers."""
    if schedule == 'linear':
        return torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)
    if schedule == 'scaled_linear':
        return torch.linspace(beta_start ** 0.5, beta_end ** 0.5, steps, dtype=torch.float64) ** 2
    if schedule == 'squaredcos_cap_v2':
        f = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
        return torch.tensor([min(1 - f((i + 1) / steps) / f(i / steps), 0.999) for i in range(steps)], dtype=torch.float64)
    raise ValueError(f'unknown beta schedule {schedule!r}')
