/** `synth generate`: sample a diffusion model into an ImageFolder dataset, optionally with classifier-feedback guidance. */
import { interruptible } from './interrupt.js';
import { InputError, inputError, withInputPaths } from '../core/errors.js';
import { createProgressPrinter, formatDuration, type Progress } from '../core/progress.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE, loadDenoiser, loadGuidance, type LoadedGuidance } from '../diffusion/load.js';
import { classIndices, generateDataset, GENERATE_DEFAULTS, guidanceLabel, type GuidanceLabel } from '../diffusion/generate.js';
import { CRITERIA, GUIDANCE_DEFAULTS, GUIDANCE_MODES, MAX_CANDIDATES, type Criterion, type GuidanceMode, type GuidanceOptions } from '../diffusion/guidance.js';
import { MAX_CFG, resolveSettings, SAMPLE_DEFAULTS } from '../diffusion/sampler.js';
import { SCHEDULER_NAMES, TIMESTEP_SPACINGS } from '../diffusion/schedulers.js';
import { defineCommand, intOption } from './args.js';

/** The guidance flags that need --guidance. */
const GUIDANCE_FLAGS = ['guidance-mode', 'guidance-scale', 'guidance-steps', 'candidates', 'particles', 'classifier'] as const;

/** `--guidance-steps`: a count N of evenly spread steps, or step indices i,j,k (one index: `i,`). */
function guidanceStepsOption(value: string | undefined): number | number[] | undefined {
  if (value === undefined) return undefined;
  if (!value.includes(',')) return intOption('guidance-steps', value, 1, 100_000);
  const parts = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) throw inputError('--guidance-steps', 'a count N, or step indices i,j,k (0-based)', value);
  return parts.map(Number);
}

/** The parsed guidance flags of `synth generate`. */
export interface GuidanceFlags {
  guidance?: Criterion;
  'guidance-mode'?: GuidanceMode;
  'guidance-scale'?: number;
  'guidance-steps'?: string;
  candidates?: number;
  particles?: number;
  classifier?: string;
}

/**
 * The guidance options of the flags, or null without --guidance.
 * @throws InputError for a guidance flag without --guidance (naming --guidance), or a bad value
 */
export function guidanceFlags(values: GuidanceFlags): (GuidanceOptions & { classifier: string }) | null {
  if (values.guidance === undefined) {
    const stray = GUIDANCE_FLAGS.find((f) => values[f] !== undefined);
    if (stray) throw inputError('--guidance', `a criterion (${CRITERIA.join(', ')}) when --${stray} is given (the guidance flags steer guided sampling only)`, undefined);
    return null;
  }
  const mode = values['guidance-mode'];
  const effective = mode ?? 'gradient';
  if (values.candidates !== undefined && effective !== 'svdd') throw inputError('--candidates', `--guidance-mode svdd alongside it (particles mode takes --particles), not ${effective}`, values.candidates);
  if (values.particles !== undefined && effective !== 'particles') throw inputError('--particles', `--guidance-mode particles alongside it (svdd takes --candidates), not ${effective}`, values.particles);
  return {
    criterion: values.guidance, mode, scale: values['guidance-scale'], steps: guidanceStepsOption(values['guidance-steps']),
    candidates: values.candidates ?? values.particles, classifier: values.classifier ?? DEFAULT_GUIDE,
  };
}

/** Guidance settings in one line: `entropy, svdd (scale 0, 4 candidates, steps 0,1,2,3) by synth-classifier-32`. */
export function describeGuidance(g: GuidanceLabel): string {
  const count = g.mode === 'svdd' ? `, ${g.candidates} candidates` : g.mode === 'particles' ? `, ${g.candidates} particles` : '';
  return `${g.criterion}, ${g.mode} (scale ${g.scale}${count}, steps ${g.steps.join(',')}) by ${g.classifier}`;
}

/** `synth generate`. */
export const generateCommand = defineCommand({
  name: 'generate',
  summary: 'sample a diffusion model into an ImageFolder dataset, optionally with classifier-feedback guidance',
  options: {
    class: { type: 'list', value: 'C[,C...]', description: 'the classes to generate (of the model\'s)', required: 'one or more class names, comma-separated', path: 'classes' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder (new or empty; see --overwrite)', required: 'the output folder' },
    model: { type: 'string', value: 'NAME|PATH', description: 'the generator: a folder name under models/ or a model folder', default: DEFAULT_GENERATOR, path: 'model' },
    count: { type: 'int', min: 1, max: 1_000_000, description: 'images per class', default: GENERATE_DEFAULTS.count, path: 'count' },
    steps: { type: 'int', min: 1, max: 100_000, description: 'sampling steps (at most the model\'s training timesteps)', defaultText: `the model's, else ${SAMPLE_DEFAULTS.steps}`, path: 'steps' },
    cfg: { type: 'number', min: 0, max: MAX_CFG, description: 'classifier-free guidance weight (1 = none)', defaultText: `the model's, else ${SAMPLE_DEFAULTS.cfg}`, path: 'cfg' },
    scheduler: { type: 'choice', choices: SCHEDULER_NAMES, description: 'the sampler\'s scheduler', defaultText: `the model's, else ${SAMPLE_DEFAULTS.scheduler}`, path: 'scheduler' },
    eta: { type: 'number', min: 0, max: 1, value: 'E', description: 'ddim: noise of each step (0 deterministic, 1 like ddpm)', defaultText: `the model's, else ${SAMPLE_DEFAULTS.eta}`, path: 'eta' },
    spacing: { type: 'choice', choices: TIMESTEP_SPACINGS, description: 'how the sampling steps spread over the training timesteps', defaultText: 'the model\'s', path: 'timestepSpacing' },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, value: 'S', description: 'seed of the initial noise', default: SAMPLE_DEFAULTS.seed, path: 'seed' },
    batch: { type: 'int', min: 1, max: 4096, description: 'images per model call', default: SAMPLE_DEFAULTS.batch, path: 'batch' },
    threads: { type: 'int', min: 0, max: 256, value: 'T', description: 'onnxruntime threads (0: its own choice)', default: 0 },
    overwrite: { type: 'boolean', description: 'replace the generated dataset in --out' },
    quiet: { type: 'boolean', short: 'q', description: 'no settings line or progress on stderr' },
    root: { type: 'string', value: 'DIR', description: 'refuse an --out outside this folder', defaultText: `$${OUTPUT_ROOT_ENV}, else none` },
    guidance: { type: 'choice', choices: CRITERIA, description: 'steer each image towards what the classifier finds hard by this criterion', defaultText: 'none, unguided', path: 'guidance.criterion' },
    'guidance-mode': { type: 'choice', choices: GUIDANCE_MODES, description: 'gradient steps on the criterion, svdd (best of candidates) or particles (resampling)', defaultText: 'gradient', path: 'guidance.mode' },
    'guidance-scale': { type: 'number', min: 0, max: 1000, value: 'S', description: 'strength of the guidance', defaultText: `by mode: ${GUIDANCE_MODES.map((m) => `${m} ${GUIDANCE_DEFAULTS[m].scale}`).join(', ')}`, path: 'guidance.scale' },
    'guidance-steps': { type: 'string', value: 'N|i,j,k', description: 'guided steps: a count N spread evenly, or step indices i,j,k (0-based)', defaultText: `by mode: ${GUIDANCE_MODES.map((m) => `${m} ${+(GUIDANCE_DEFAULTS[m].stepFraction * 100).toFixed(1)}%`).join(', ')} of the steps`, path: 'guidance.steps' },
    candidates: { type: 'int', min: 2, max: MAX_CANDIDATES, value: 'M', description: 'svdd: candidates drawn per guided step', defaultText: `${GUIDANCE_DEFAULTS.svdd.candidates}`, path: 'guidance.candidates' },
    particles: { type: 'int', min: 2, max: MAX_CANDIDATES, value: 'K', description: 'particles: the population resampled by the criterion', defaultText: `${GUIDANCE_DEFAULTS.particles.candidates}`, path: 'guidance.candidates' },
    classifier: { type: 'string', value: 'NAME|PATH', description: 'the guiding classifier: a folder name under models/ or a model folder', defaultText: DEFAULT_GUIDE, path: 'guidance.classifier' },
  },
}, async ({ values }) => {
  const guidanceOptions = guidanceFlags(values);
  const classes = values.class;
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const modelRef = values.model;
  const { threads, count, batch } = values;
  const model = await loadDenoiser(modelRef, { threads });
  let guided: LoadedGuidance | null = null;
  try {
    const settings = resolveSettings(model.manifest, {
      scheduler: values.scheduler, timestepSpacing: values.spacing, steps: values.steps, cfg: values.cfg, eta: values.eta, seed: values.seed,
    });
    if (guidanceOptions) {
      classIndices(classes, model.manifest.classes); // an unknown class is named as such, not as a classifier problem
      try {
        guided = await loadGuidance(model.manifest, guidanceOptions, settings, classes, { threads });
      } catch (err) {
        // the classifier is located like a model: its errors name the model, here the classifier
        throw err instanceof InputError ? withInputPaths(err, (path) => (path === 'model' ? 'guidance.classifier' : path)) : err;
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
});
