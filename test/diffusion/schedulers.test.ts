import test from 'ava';
import { readFileSync } from 'node:fs';
import {
  alphasCumprodFor, createScheduler, ddpmTimesteps, dpmTimesteps, npArange, npLinspace, roundHalfEven,
  type BetaSchedule, type PredictionType, type SchedulerName, type TimestepSpacing,
} from '../../src/diffusion/schedulers.js';

// Golden arrays from models/train/scheduler_reference.py (an independent torch re-implementation of
// diffusers' DDPM, DDIM and DPM-Solver++ 2M); regenerate with `/usr/bin/python3 models/train/scheduler_reference.py`.
const golden = (name: string) => JSON.parse(readFileSync(new URL(`./golden/${name}.json`, import.meta.url), 'utf8'));
const TOL = 1e-5;

interface Case {
  config: { betaSchedule: BetaSchedule; predictionType: PredictionType; steps: number; timestepSpacing: TimestepSpacing; clipSample?: boolean; eta?: number; clipSampleRange?: number; stepsOffset?: number; setAlphaToOne?: boolean };
  timesteps: number[];
  samples: number[][];
}

/** Largest |a - b| / max(1, |b|): absolute below 1, relative above (x̂0 of v/eps models can reach 1e2). */
function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return a.length === b.length ? worst : Infinity;
}

function roll(z: Float32Array, shift: number): Float32Array {
  const out = new Float32Array(z.length);
  for (let i = 0; i < z.length; i++) out[(i + shift) % z.length] = z[i];
  return out;
}

test('numpy helpers: round half to even, linspace and arange recipes', (t) => {
  t.deepEqual([0.5, 1.5, 2.5, 937.5, 812.5, 3.49].map(roundHalfEven), [0, 2, 2, 938, 812, 3], 'np.round rounds half to even');
  t.deepEqual(npLinspace(0, 999, 1), [0], 'linspace with one point is the start');
  t.is(npLinspace(0, 999, 4)[3], 999, 'linspace ends exactly at stop');
  t.deepEqual(npArange(1000, 0, -250), [1000, 750, 500, 250], 'arange excludes stop');
});

test('alphas_cumprod match the reference for every beta schedule (1e-5)', (t) => {
  const g = golden('schedules');
  for (const schedule of ['linear', 'scaled_linear', 'squaredcos_cap_v2'] as BetaSchedule[]) {
    const ac = alphasCumprodFor({ betaSchedule: schedule });
    t.is(ac.length, 1000, `${schedule}: 1000 training steps`);
    const err = maxError(ac, g.alphasCumprod[schedule]);
    t.true(err <= TOL, `${schedule}: alphas_cumprod max error ${err}`);
  }
});

test('timesteps match diffusers for every spacing and step count', (t) => {
  const g = golden('schedules');
  let checked = 0;
  for (const [family, fn] of [['ddpm', ddpmTimesteps], ['dpmpp2m', dpmTimesteps]] as const) {
    for (const [spacing, byN] of Object.entries(g.timesteps[family] as Record<string, Record<string, number[]>>)) {
      for (const [n, expected] of Object.entries(byN)) {
        t.deepEqual(fn(Number(n), spacing as TimestepSpacing), expected, `${family} ${spacing} N=${n}`);
        checked++;
      }
    }
  }
  t.true(checked >= 50, `checked ${checked} timestep lists`);
});

for (const name of ['ddpm', 'ddim', 'dpmpp2m'] as SchedulerName[]) {
  test(`${name}: x_{t-1} trajectories match the reference at 1e-5 (every schedule x prediction type)`, (t) => {
    const g = golden(name);
    const e = Float32Array.from(g.E as number[]);
    const z = Float32Array.from(g.Z as number[]);
    t.true(g.cases.length >= 9, 'at least 3 schedules x 3 prediction types');
    if (name !== 'dpmpp2m') t.true(g.cases.some((c: Case) => c.config.stepsOffset === 1 && c.config.clipSampleRange !== undefined || c.config.setAlphaToOne === false), 'cases beyond the defaults');
    for (const c of g.cases as Case[]) {
      const label = `${name} ${JSON.stringify(c.config)}`;
      const s = createScheduler(name, {
        steps: c.config.steps, predictionType: c.config.predictionType, timestepSpacing: c.config.timestepSpacing,
        schedule: { betaSchedule: c.config.betaSchedule }, clipSample: c.config.clipSample, eta: c.config.eta,
        clipSampleRange: c.config.clipSampleRange, stepsOffset: c.config.stepsOffset, setAlphaToOne: c.config.setAlphaToOne,
      });
      t.deepEqual([...s.timesteps], c.timesteps, `${label}: timesteps`);
      let x: Float32Array = Float32Array.from(g.xT as number[]);
      for (let i = 0; i < s.timesteps.length; i++) {
        const out = new Float32Array(x.length);
        for (let k = 0; k < x.length; k++) out[k] = e[k] * Math.cos(0.3 * i) + 0.2 * x[k];
        x = s.step(i, out, x, s.needsNoise(i) ? roll(z, i) : undefined);
        const err = maxError(x, c.samples[i]);
        if (err > TOL) return t.fail(`${label}: step ${i} (t=${s.timesteps[i]}) max error ${err}`);
      }
      t.pass();
    }
  });
}

test('steps run in order and stochastic steps demand noise', (t) => {
  const s = createScheduler('ddpm', { steps: 4 });
  const x = new Float32Array(8);
  t.throws(() => s.step(1, x, x), { instanceOf: RangeError, message: /expected step index 0/ });
  t.throws(() => s.step(0, x, x), { instanceOf: RangeError, message: /expected a noise array of 8 values/ });
  t.throws(() => s.step(0, new Float32Array(3), x, x), { instanceOf: RangeError, message: /model output of 8 values/ });
  const ddim = createScheduler('ddim', { steps: 4, eta: 0 });
  t.false(ddim.needsNoise(0), 'deterministic DDIM needs no noise');
  t.true(createScheduler('ddim', { steps: 4, eta: 0.5 }).needsNoise(0), 'DDIM with eta > 0 does');
});

test('bad options are RangeErrors naming the option', (t) => {
  t.throws(() => createScheduler('ddim', { steps: 0 }), { instanceOf: RangeError, message: /steps: expected an integer in \[1, 1000\], got 0/ });
  t.throws(() => createScheduler('ddim', { steps: 1001 }), { instanceOf: RangeError, message: /got 1001/ });
  t.throws(() => createScheduler('ddim', { steps: 10, eta: 2 }), { instanceOf: RangeError, message: /eta: expected a number in \[0, 1\]/ });
  t.throws(() => createScheduler('dpmpp2m', { steps: 10, predictionType: 'flow' as PredictionType }), { instanceOf: RangeError, message: /predictionType/ });
  t.throws(() => createScheduler('euler' as SchedulerName, { steps: 10 }), { instanceOf: RangeError, message: /scheduler: expected one of ddim, ddpm, dpmpp2m/ });
});
