/** `synth generate`: sample a diffusion model into an ImageFolder dataset, optionally with classifier-feedback guidance. */
import { interruptible } from './interrupt.js';
import { InputError, inputError, renameInputPaths } from '../core/errors.js';
import { createProgressPrinter, formatDuration, type Progress } from '../core/progress.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE, loadDenoiser, loadGuidance, type LoadedGuidance } from '../diffusion/load.js';
import { classIndices, generateDataset, GENERATE_DEFAULTS, guidanceLabel, type GuidanceLabel } from '../diffusion/generate.js';
import { CRITERIA, GUIDANCE_MODES, MAX_CANDIDATES, type Criterion, type GuidanceMode, type GuidanceOptions } from '../diffusion/guidance.js';
import { resolveSettings, SAMPLE_DEFAULTS } from '../diffusion/sampler.js';
import { SCHEDULER_NAMES, TIMESTEP_SPACINGS, type SchedulerName, type TimestepSpacing } from '../diffusion/schedulers.js';
import { parseCommandArgs, intOption, choiceOption } from './args.js';

/** Usage lines of `synth generate`, for the main usage text. */
export const GENERATE_USAGE = `  synth generate --class C[,C...] --out DIR [--model ${DEFAULT_GENERATOR}] [--count ${GENERATE_DEFAULTS.count} per class]
                [--steps ${SAMPLE_DEFAULTS.steps}] [--cfg ${SAMPLE_DEFAULTS.cfg}] [--scheduler ${SCHEDULER_NAMES.join('|')}] [--eta E (ddim)]
                [--spacing ${TIMESTEP_SPACINGS.join('|')}] [--seed S] [--batch ${SAMPLE_DEFAULTS.batch}] [--threads T] [--overwrite] [--quiet]
                [--guidance ${CRITERIA.join('|')} [--guidance-mode ${GUIDANCE_MODES.join('|')}] [--guidance-scale S]
                 [--guidance-steps N|i,j,k] [--candidates M (svdd)] [--particles K (particles)] [--classifier ${DEFAULT_GUIDE}|NAME|PATH]]`;

/** The guidance flags that need --guidance. */
const GUIDANCE_FLAGS = ['guidance-mode', 'guidance-scale', 'guidance-steps', 'candidates', 'particles', 'classifier'] as const;

/** A float option: undefined when absent, InputError when not a number in [min, max]. */
function numberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw inputError(`--${name}`, `a number in [${min}, ${max}]`, value);
  return n;
}

/** `--guidance-steps`: a count N of evenly spread steps, or step indices i,j,k (one index: `i,`). */
function guidanceStepsOption(value: string | undefined): number | number[] | undefined {
  if (value === undefined) return undefined;
  if (!value.includes(',')) return intOption('guidance-steps', value, 1, 100_000);
  const parts = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw inputError('--guidance-steps', 'a count N, or step indices i,j,k (0-based)', value);
  return parts.map(Number);
}

/**
 * The guidance options of the flags, or null without --guidance.
 * @throws InputError for a guidance flag without --guidance (naming --guidance), or a bad value
 */
export function guidanceFlags(values: Partial<Record<'guidance' | (typeof GUIDANCE_FLAGS)[number], string>>): (GuidanceOptions & { classifier: string }) | null {
  if (values.guidance === undefined) {
    const stray = GUIDANCE_FLAGS.find((f) => values[f] !== undefined);
    if (stray) throw inputError('--guidance', `a criterion (${CRITERIA.join(', ')}) when --${stray} is given (the guidance flags steer guided sampling only)`, undefined);
    return null;
  }
  const criterion = choiceOption<Criterion>('guidance', values.guidance, CRITERIA, CRITERIA[0]);
  const mode = values['guidance-mode'] === undefined ? undefined : choiceOption<GuidanceMode>('guidance-mode', values['guidance-mode'], GUIDANCE_MODES, 'gradient');
  const effective = mode ?? 'gradient';
  if (values.candidates !== undefined && effective !== 'svdd') throw inputError('--candidates', `--guidance-mode svdd alongside it (particles mode takes --particles), not ${effective}`, values.candidates);
  if (values.particles !== undefined && effective !== 'particles') throw inputError('--particles', `--guidance-mode particles alongside it (svdd takes --candidates), not ${effective}`, values.particles);
  const candidates = intOption('candidates', values.candidates, 2, MAX_CANDIDATES) ?? intOption('particles', values.particles, 2, MAX_CANDIDATES);
  return {
    criterion, mode, scale: numberOption('guidance-scale', values['guidance-scale'], 0, 1000), steps: guidanceStepsOption(values['guidance-steps']),
    candidates, classifier: values.classifier ?? DEFAULT_GUIDE,
  };
}

/** Guidance settings in one line: `entropy, svdd (scale 0, 4 candidates, steps 0,1,2,3) by synth-classifier-32`. */
export function describeGuidance(g: GuidanceLabel): string {
  const count = g.mode === 'svdd' ? `, ${g.candidates} candidates` : g.mode === 'particles' ? `, ${g.candidates} particles` : '';
  return `${g.criterion}, ${g.mode} (scale ${g.scale}${count}, steps ${g.steps.join(',')}) by ${g.classifier}`;
}

/** Run `synth generate`; resolves to the exit code. */
export async function commandGenerate(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, {
    model: { type: 'string' }, class: { type: 'string' }, count: { type: 'string' }, steps: { type: 'string' },
    cfg: { type: 'string' }, scheduler: { type: 'string' }, eta: { type: 'string' }, spacing: { type: 'string' },
    seed: { type: 'string' }, out: { type: 'string', short: 'o' }, batch: { type: 'string' }, threads: { type: 'string' },
    overwrite: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, root: { type: 'string' },
    guidance: { type: 'string' }, 'guidance-mode': { type: 'string' }, 'guidance-scale': { type: 'string' }, 'guidance-steps': { type: 'string' },
    candidates: { type: 'string' }, particles: { type: 'string' }, classifier: { type: 'string' },
  });
  if (values.help) return process.stdout.write(`${usage}\n`), 0;
  if (!values.out) throw inputError('--out', 'an output folder', undefined);
  if (!values.class) throw inputError('--class', 'one or more class names, comma-separated', undefined);
  const count = intOption('count', values.count, 1, 1_000_000) ?? GENERATE_DEFAULTS.count;
  const batch = intOption('batch', values.batch, 1, 4096) ?? SAMPLE_DEFAULTS.batch;
  const threads = intOption('threads', values.threads, 0, 256) ?? 0;
  const scheduler = values.scheduler === undefined ? undefined : choiceOption<SchedulerName>('scheduler', values.scheduler, SCHEDULER_NAMES, SAMPLE_DEFAULTS.scheduler);
  const spacing = values.spacing === undefined ? undefined : choiceOption<TimestepSpacing>('spacing', values.spacing, TIMESTEP_SPACINGS, 'leading');
  const partial = {
    scheduler, timestepSpacing: spacing,
    steps: intOption('steps', values.steps, 1, 100_000),
    cfg: numberOption('cfg', values.cfg, 0, 50),
    eta: numberOption('eta', values.eta, 0, 1),
    seed: intOption('seed', values.seed, 0, 2 ** 32 - 1),
  };
  const guidanceOptions = guidanceFlags(values);
  const classes = values.class.split(',').map((c) => c.trim()).filter(Boolean);
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const modelRef = values.model ?? DEFAULT_GENERATOR;
  const model = await loadDenoiser(modelRef, { threads });
  let guided: LoadedGuidance | null = null;
  try {
    const settings = resolveSettings(model.manifest, partial);
    if (guidanceOptions) {
      classIndices(classes, model.manifest.classes); // an unknown class is named as such, not as a classifier problem
      try {
        guided = await loadGuidance(model.manifest, guidanceOptions, settings, classes, { threads });
      } catch (err) {
        // the classifier is located like a model: name the flag the user gave
        throw err instanceof InputError ? renameInputPaths(err, { '--model': '--classifier' }) : err;
      }
    }
    const printer = values.quiet ? null : createProgressPrinter({ label: 'generate ' });
    let last: Progress | null = null;
    if (!values.quiet) {
      const g = guided ? `; guidance ${describeGuidance(guidanceLabel(guided.guidance))}` : '';
      process.stderr.write(`model ${model.manifest.name}: ${settings.scheduler}, ${settings.steps} steps, cfg ${settings.cfg}${settings.scheduler === 'ddim' ? `, eta ${settings.eta}` : ''}, seed ${settings.seed}${g}\n`);
    }
    return await interruptible(async (signal) => {
      const result = await generateDataset({
        sampler: model.sampler, classes, count, settings, out, batch, overwrite: values.overwrite, modelRef, guidance: guided?.guidance,
        signal, onProgress: (p) => { last = p; printer?.update(p); },
      });
      if (printer && last) printer.finish(last);
      process.stdout.write(`wrote ${result.count} images to ${out} (${Object.entries(result.counts).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${formatDuration(result.seconds)}\n`);
      return 0;
    });
  } finally {
    await guided?.classifier.session.release();
    await model.session.release();
  }
}
