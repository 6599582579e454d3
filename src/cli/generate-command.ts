/** `synth generate`: sample a diffusion model into an ImageFolder dataset. */
import { inputError } from '../core/errors.js';
import { createProgressPrinter, formatDuration, type Progress } from '../core/progress.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { DEFAULT_GENERATOR, loadDenoiser } from '../diffusion/load.js';
import { generateDataset } from '../diffusion/generate.js';
import { resolveSettings, SAMPLE_DEFAULTS } from '../diffusion/sampler.js';
import { SCHEDULER_NAMES, TIMESTEP_SPACINGS, type SchedulerName, type TimestepSpacing } from '../diffusion/schedulers.js';
import { parseCommandArgs, intOption, choiceOption } from './args.js';

/** Usage lines of `synth generate`, for the main usage text. */
export const GENERATE_USAGE = `  synth generate --class C[,C...] --out DIR [--model ${DEFAULT_GENERATOR}] [--count N per class]
                [--steps ${SAMPLE_DEFAULTS.steps}] [--cfg ${SAMPLE_DEFAULTS.cfg}] [--scheduler ${SCHEDULER_NAMES.join('|')}] [--eta E (ddim)]
                [--spacing ${TIMESTEP_SPACINGS.join('|')}] [--seed S] [--batch ${SAMPLE_DEFAULTS.batch}] [--threads T] [--overwrite] [--quiet]`;

/** A float option: undefined when absent, InputError when not a number in [min, max]. */
function numberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw inputError(`--${name}`, `a number in [${min}, ${max}]`, value);
  return n;
}

/** Run `synth generate`; resolves to the exit code. */
export async function commandGenerate(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, {
    model: { type: 'string' }, class: { type: 'string' }, count: { type: 'string' }, steps: { type: 'string' },
    cfg: { type: 'string' }, scheduler: { type: 'string' }, eta: { type: 'string' }, spacing: { type: 'string' },
    seed: { type: 'string' }, out: { type: 'string', short: 'o' }, batch: { type: 'string' }, threads: { type: 'string' },
    overwrite: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, root: { type: 'string' },
  });
  if (values.help) return process.stdout.write(`${usage}\n`), 0;
  if (!values.out) throw inputError('--out', 'an output folder', undefined);
  if (!values.class) throw inputError('--class', 'one or more class names, comma-separated', undefined);
  const count = intOption('count', values.count, 1, 1_000_000) ?? 8;
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
  const classes = values.class.split(',').map((c) => c.trim()).filter(Boolean);
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const modelRef = values.model ?? DEFAULT_GENERATOR;
  const model = await loadDenoiser(modelRef, { threads });
  try {
    const settings = resolveSettings(model.manifest, partial);
    const printer = values.quiet ? null : createProgressPrinter({ label: 'generate ' });
    let last: Progress | null = null;
    if (!values.quiet) {
      process.stderr.write(`model ${model.manifest.name}: ${settings.scheduler}, ${settings.steps} steps, cfg ${settings.cfg}${settings.scheduler === 'ddim' ? `, eta ${settings.eta}` : ''}, seed ${settings.seed}\n`);
    }
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await generateDataset({
        sampler: model.sampler, classes, count, settings, out, batch, overwrite: values.overwrite, modelRef,
        signal: controller.signal, onProgress: (p) => { last = p; printer?.update(p); },
      });
      if (printer && last) printer.finish(last);
      process.stdout.write(`wrote ${result.count} images to ${out} (${Object.entries(result.counts).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${formatDuration(result.seconds)}\n`);
      return 0;
    } catch (err) {
      if ((err as Error).name === 'AbortError') {
        process.stderr.write(`\ninterrupted\n`);
        return 130;
      }
      throw err;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } finally {
    await model.session.release();
  }
}
