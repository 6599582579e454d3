#!/usr/bin/python3
"""Independent reference of the Hugging Face diffusers schedulers, for the golden tests of the
TypeScript sampler (src/diffusion/schedulers.ts). Writes test/diffusion/golden/*.json.

    /usr/bin/python3 models/train/scheduler_reference.py

Re-implemented here (not imported: diffusers is not installed) from the definitions of
DDPMScheduler, DDIMScheduler and DPMSolverMultistepScheduler (algorithm_type="dpmsolver++",
solver_order=2, solver_type="midpoint", lower_order_final=True, final_sigmas_type="zero") in
diffusers/src/diffusers/schedulers/ (read at commit 58eb52c0), with their defaults:
DDPM: variance_type fixed_small, clip_sample True (range 1), timestep_spacing leading, steps_offset 0.
DDIM: set_alpha_to_one True, clip_sample True, timestep_spacing leading; note that DDIM's previous
timestep is always t - T // N, whatever the spacing (as in diffusers).
Cases beyond the defaults: clip_sample False, clip_sample_range, steps_offset (added to leading
timesteps only, as diffusers does) and DDIM's set_alpha_to_one False (the last step goes to
alphas_cumprod[0], not 1).
DPM-Solver++: timestep_spacing linspace; sigmas interpolated at the timesteps, then a final 0.

Arithmetic is float64 throughout (diffusers runs in float32; the difference is float32 rounding,
below 1e-6 relative on every coefficient), timesteps are computed with numpy exactly as diffusers does
(np.linspace / np.arange / np.round, which rounds half to even).

Each trajectory starts from a fixed x_T of shape [1, 2, 4, 4]; the "model output" at step i is the
deterministic function m_i(x) = E * cos(0.3 i) + 0.2 x (E a fixed array), and the noise of the
stochastic steps is roll(Z, i) (Z a fixed array): both are easy to rebuild in the test.
"""
import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'diffusion', 'golden')
T = 1000
DT = torch.float64


def betas_for(schedule, beta_start=0.0001, beta_end=0.02, steps=T):
    if schedule == 'linear':
        return torch.linspace(beta_start, beta_end, steps, dtype=DT)
    if schedule == 'scaled_linear':
        return torch.linspace(beta_start ** 0.5, beta_end ** 0.5, steps, dtype=DT) ** 2
    if schedule == 'squaredcos_cap_v2':
        def alpha_bar(t):
            return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return torch.tensor([min(1 - alpha_bar((i + 1) / steps) / alpha_bar(i / steps), 0.999) for i in range(steps)], dtype=DT)
    raise ValueError(schedule)


def alphas_cumprod_for(schedule):
    return torch.cumprod(1.0 - betas_for(schedule), dim=0)


def ddpm_ddim_timesteps(n, spacing, steps_offset=0):
    """DDPMScheduler / DDIMScheduler.set_timesteps."""
    if spacing == 'linspace':
        return np.linspace(0, T - 1, n).round()[::-1].copy().astype(np.int64)
    if spacing == 'leading':
        ratio = T // n
        return (np.arange(0, n) * ratio).round()[::-1].copy().astype(np.int64) + steps_offset
    if spacing == 'trailing':
        ratio = T / n
        return np.round(np.arange(T, 0, -ratio)).astype(np.int64) - 1
    raise ValueError(spacing)


def dpm_timesteps(n, spacing, steps_offset=0):
    """DPMSolverMultistepScheduler.set_timesteps (lambda_min_clipped = -inf, so last_timestep = T)."""
    last = T
    if spacing == 'linspace':
        return np.linspace(0, last - 1, n + 1).round()[::-1][:-1].copy().astype(np.int64)
    if spacing == 'leading':
        ratio = last // (n + 1)
        return (np.arange(0, n + 1) * ratio).round()[::-1][:-1].copy().astype(np.int64) + steps_offset
    if spacing == 'trailing':
        ratio = T / n
        return np.arange(last, 0, -ratio).round().copy().astype(np.int64) - 1
    raise ValueError(spacing)


def predicted_x0_eps(pred_type, out, x, a):
    """(x0, eps) from a model output under a prediction type, at alpha-bar a (a 0-dim tensor)."""
    if pred_type == 'epsilon':
        x0 = (x - (1 - a) ** 0.5 * out) / a ** 0.5
        return x0, out
    if pred_type == 'sample':
        return out, (x - a ** 0.5 * out) / (1 - a) ** 0.5
    if pred_type == 'v_prediction':
        return a ** 0.5 * x - (1 - a) ** 0.5 * out, a ** 0.5 * out + (1 - a) ** 0.5 * x
    raise ValueError(pred_type)


class DDPM:
    def __init__(self, schedule, pred_type, n, spacing='leading', clip=True, clip_range=1.0, steps_offset=0):
        self.ac = alphas_cumprod_for(schedule)
        self.pred_type, self.clip, self.clip_range = pred_type, clip, clip_range
        self.timesteps = ddpm_ddim_timesteps(n, spacing, steps_offset)

    def step(self, i, out, x, noise):
        t = int(self.timesteps[i])
        prev_t = int(self.timesteps[i + 1]) if i + 1 < len(self.timesteps) else -1
        a = self.ac[t]
        a_prev = self.ac[prev_t] if prev_t >= 0 else torch.tensor(1.0, dtype=DT)
        alpha_t = a / a_prev
        beta_t = 1 - alpha_t
        x0, _ = predicted_x0_eps(self.pred_type, out, x, a)
        if self.clip:
            x0 = x0.clamp(-self.clip_range, self.clip_range)
        mean = (a_prev ** 0.5 * beta_t / (1 - a)) * x0 + (alpha_t ** 0.5 * (1 - a_prev) / (1 - a)) * x
        if t > 0:
            variance = torch.clamp((1 - a_prev) / (1 - a) * beta_t, min=1e-20)
            mean = mean + variance ** 0.5 * noise
        return mean


class DDIM:
    def __init__(self, schedule, pred_type, n, spacing='leading', clip=True, eta=0.0, clip_range=1.0, steps_offset=0, set_alpha_to_one=True):
        self.ac = alphas_cumprod_for(schedule)
        self.pred_type, self.clip, self.eta, self.n, self.clip_range = pred_type, clip, eta, n, clip_range
        self.timesteps = ddpm_ddim_timesteps(n, spacing, steps_offset)
        self.final_alpha_cumprod = torch.tensor(1.0, dtype=DT) if set_alpha_to_one else self.ac[0]

    def step(self, i, out, x, noise):
        t = int(self.timesteps[i])
        prev_t = t - T // self.n
        a = self.ac[t]
        a_prev = self.ac[prev_t] if prev_t >= 0 else self.final_alpha_cumprod
        x0, eps = predicted_x0_eps(self.pred_type, out, x, a)
        if self.clip:
            x0 = x0.clamp(-self.clip_range, self.clip_range)
        variance = (1 - a_prev) / (1 - a) * (1 - a / a_prev)
        std = self.eta * variance ** 0.5
        prev = a_prev ** 0.5 * x0 + (1 - a_prev - std ** 2) ** 0.5 * eps
        if self.eta > 0:
            prev = prev + std * noise
        return prev


class DPMSolverPP2M:
    def __init__(self, schedule, pred_type, n, spacing='linspace'):
        ac = alphas_cumprod_for(schedule)
        self.pred_type = pred_type
        self.timesteps = dpm_timesteps(n, spacing)
        all_sigmas = ((1 - ac) / ac) ** 0.5
        self.sigmas = torch.cat([all_sigmas[torch.from_numpy(self.timesteps)], torch.zeros(1, dtype=DT)])
        self.outputs = []

    @staticmethod
    def alpha_sigma(sigma):
        alpha = 1 / (sigma ** 2 + 1) ** 0.5
        return alpha, sigma * alpha

    def step(self, i, out, x, noise):
        n = len(self.timesteps)
        alpha_s0, sigma_s0 = self.alpha_sigma(self.sigmas[i])
        if self.pred_type == 'epsilon':
            m = (x - sigma_s0 * out) / alpha_s0
        elif self.pred_type == 'sample':
            m = out
        else:
            m = alpha_s0 * x - sigma_s0 * out
        self.outputs = (self.outputs + [m])[-2:]
        alpha_t, sigma_t = self.alpha_sigma(self.sigmas[i + 1])
        lam_t = torch.log(alpha_t) - torch.log(sigma_t)
        lam_s0 = torch.log(alpha_s0) - torch.log(sigma_s0)
        h = lam_t - lam_s0
        # final_sigmas_type "zero": the last step is always first order
        first_order = i == 0 or i == n - 1
        if first_order:
            return (sigma_t / sigma_s0) * x - (alpha_t * (torch.exp(-h) - 1.0)) * m
        alpha_s1, sigma_s1 = self.alpha_sigma(self.sigmas[i - 1])
        lam_s1 = torch.log(alpha_s1) - torch.log(sigma_s1)
        r0 = (lam_s0 - lam_s1) / h
        d0, d1 = self.outputs[-1], (1.0 / r0) * (self.outputs[-1] - self.outputs[-2])
        return (sigma_t / sigma_s0) * x - (alpha_t * (torch.exp(-h) - 1.0)) * d0 - 0.5 * (alpha_t * (torch.exp(-h) - 1.0)) * d1


def f32(a):
    """Round through float32, so the TS side (Float32Array inputs) sees the same values."""
    return torch.tensor(np.asarray(a, dtype=np.float32), dtype=DT)


def trajectory(sched, x_t, e, z):
    xs = [x_t]
    x = x_t
    for i in range(len(sched.timesteps)):
        out = e * math.cos(0.3 * i) + 0.2 * x
        noise = torch.roll(z, shifts=i)
        x = sched.step(i, out, x, noise)
        xs.append(x)
    return xs


def rounded(t):
    return [float(f'{v:.10g}') for v in t.flatten().tolist()]


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(1234)
    shape = [1, 2, 4, 4]
    x_t = f32(rng.randn(*shape))
    e = f32(rng.randn(*shape))
    z = f32(rng.randn(*shape).reshape(-1)).reshape(shape)
    schedules = ['linear', 'scaled_linear', 'squaredcos_cap_v2']
    preds = ['epsilon', 'v_prediction', 'sample']

    common = {'shape': shape, 'xT': rounded(x_t), 'E': rounded(e), 'Z': rounded(z),
              'modelOutput': 'E * cos(0.3 * i) + 0.2 * x_i', 'noise': 'roll(Z, i) over the flattened array',
              'generator': 'models/train/scheduler_reference.py'}
    # schedules and timesteps
    spacings = ['leading', 'trailing', 'linspace']
    ns = [1, 3, 7, 10, 16, 25, 50, 999, 1000]
    doc = {
        'generator': common['generator'],
        'alphasCumprod': {s: rounded(alphas_cumprod_for(s)) for s in schedules},
        'timesteps': {
            'ddpm': {sp: {str(n): ddpm_ddim_timesteps(n, sp).tolist() for n in ns} for sp in spacings},
            'dpmpp2m': {sp: {str(n): dpm_timesteps(n, sp).tolist() for n in ns if not (sp == 'leading' and n >= 1000)} for sp in spacings},
        },
    }
    with open(os.path.join(OUT, 'schedules.json'), 'w') as f:
        json.dump(doc, f)
        f.write('\n')

    for name in ['ddpm', 'ddim', 'dpmpp2m']:
        cases = []
        configs = []
        for s in schedules:
            for p in preds:
                if name == 'ddpm':
                    configs.append(dict(betaSchedule=s, predictionType=p, steps=10, timestepSpacing='leading', clipSample=True))
                elif name == 'ddim':
                    configs.append(dict(betaSchedule=s, predictionType=p, steps=10, timestepSpacing='leading', clipSample=True, eta=0.0))
                    configs.append(dict(betaSchedule=s, predictionType=p, steps=10, timestepSpacing='leading', clipSample=True, eta=0.5))
                else:
                    configs.append(dict(betaSchedule=s, predictionType=p, steps=10, timestepSpacing='linspace'))
        # spacing variants and edge cases
        if name == 'ddpm':
            configs.append(dict(betaSchedule='linear', predictionType='epsilon', steps=7, timestepSpacing='trailing', clipSample=False))
            configs.append(dict(betaSchedule='squaredcos_cap_v2', predictionType='v_prediction', steps=16, timestepSpacing='linspace', clipSample=True))
            configs.append(dict(betaSchedule='linear', predictionType='sample', steps=10, timestepSpacing='leading', clipSample=True, clipSampleRange=0.5, stepsOffset=1))
        elif name == 'ddim':
            configs.append(dict(betaSchedule='scaled_linear', predictionType='epsilon', steps=7, timestepSpacing='trailing', clipSample=False, eta=0.0))
            configs.append(dict(betaSchedule='squaredcos_cap_v2', predictionType='v_prediction', steps=16, timestepSpacing='linspace', clipSample=True, eta=1.0))
            configs.append(dict(betaSchedule='linear', predictionType='epsilon', steps=1, timestepSpacing='leading', clipSample=True, eta=0.0))
            # latent-model settings (Stable Diffusion's scheduler_config.json): no clipping, offset 1, final alpha ᾱ_0
            configs.append(dict(betaSchedule='scaled_linear', predictionType='epsilon', steps=10, timestepSpacing='leading', clipSample=False, eta=0.0, stepsOffset=1, setAlphaToOne=False))
            configs.append(dict(betaSchedule='linear', predictionType='v_prediction', steps=7, timestepSpacing='leading', clipSample=True, clipSampleRange=1.5, eta=0.5, setAlphaToOne=False))
        else:
            configs.append(dict(betaSchedule='linear', predictionType='epsilon', steps=7, timestepSpacing='trailing'))
            configs.append(dict(betaSchedule='squaredcos_cap_v2', predictionType='v_prediction', steps=16, timestepSpacing='leading'))
            configs.append(dict(betaSchedule='scaled_linear', predictionType='epsilon', steps=1, timestepSpacing='linspace'))
            configs.append(dict(betaSchedule='squaredcos_cap_v2', predictionType='epsilon', steps=2, timestepSpacing='linspace'))
        for c in configs:
            if name == 'ddpm':
                sched = DDPM(c['betaSchedule'], c['predictionType'], c['steps'], c['timestepSpacing'], c['clipSample'],
                             c.get('clipSampleRange', 1.0), c.get('stepsOffset', 0))
            elif name == 'ddim':
                sched = DDIM(c['betaSchedule'], c['predictionType'], c['steps'], c['timestepSpacing'], c['clipSample'], c['eta'],
                             c.get('clipSampleRange', 1.0), c.get('stepsOffset', 0), c.get('setAlphaToOne', True))
            else:
                sched = DPMSolverPP2M(c['betaSchedule'], c['predictionType'], c['steps'], c['timestepSpacing'])
            xs = trajectory(sched, x_t, e, z)
            cases.append({'config': c, 'timesteps': sched.timesteps.tolist(), 'samples': [rounded(x) for x in xs[1:]]})
        with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
            json.dump({**common, 'scheduler': name, 'cases': cases}, f)
            f.write('\n')
        print(f'{name}: {len(cases)} cases')


if __name__ == '__main__':
    main()
