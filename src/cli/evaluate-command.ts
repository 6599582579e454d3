/** `synth evaluate`: a classifier's accuracy, loss and calibration along each factor of a spec (rendered) or of an export folder. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve, join } from 'node:path';
import { inputError } from '../core/errors.js';
import { createProgressPrinter, formatDuration, type Progress } from '../core/progress.js';
import { loadSpec } from '../spec/load.js';
import { planSampling } from '../spec/sample.js';
import { loadBackgroundImages } from '../assets/backgrounds.js';
import { BACKENDS } from '../render/gpu.js';
import { RENDER_DEFAULTS, SHADOW_MODES } from '../render/renderer.js';
import { createRenderers } from '../render/pool.js';
import type { SceneRenderer } from '../render/renderer.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { DEFAULT_JUDGE, loadClassifier } from '../diffusion/load.js';
import { EVALUATE_DEFAULTS, checkOutput, evaluate, fileSha256, specClassesOf, type EvaluationInput } from '../evaluate/run.js';
import { resolveClassMapping } from '../evaluate/scoring.js';
import { checkSearch as searchSpaceCheck, worstCaseSearch } from '../evaluate/search.js';
import { interruptible } from './interrupt.js';
import { loadLibrary, ASSETS_OPTION } from './assets-command.js';
import { defineCommand, workersOption, WORKERS_OPTION, BATCH_OPTION } from './args.js';

/**
 * `--map`: a JSON file, inline JSON, or `class=model[+model...]` pairs separated by commas (a model
 * class by name or output index).
 * @throws InputError naming --map
 * @example parseMapOption('car=car+bus,cube=0') // { car: ['car', 'bus'], cube: [0] }
 */
export async function parseMapOption(value: string | undefined): Promise<unknown> {
  if (value === undefined) return undefined;
  const text = value.trim();
  let json: string | null = null;
  if (text.startsWith('{')) json = text;
  else if (/\.json$/i.test(text) || (existsSync(text) && statSync(text).isFile())) {
    try {
      json = await readFile(text, 'utf8');
    } catch (err) {
      throw inputError('--map', 'a readable JSON file, inline JSON or class=model[+model],... pairs', value, (err as NodeJS.ErrnoException).code);
    }
  }
  if (json !== null) {
    try {
      return JSON.parse(json);
    } catch (err) {
      throw inputError('--map', 'valid JSON: an object of spec class to model class name(s) or output index(es)', value.slice(0, 60), (err as Error).message);
    }
  }
  const out: Record<string, (string | number)[]> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=]+)=(.+)$/.exec(pair);
    if (!m) throw inputError('--map', 'class=model[+model...] pairs separated by commas (or a JSON file)', pair);
    out[m[1].trim()] = m[2].split('+').map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }
  return out;
}

/** `synth evaluate`. */
export const evaluateCommand = defineCommand({
  name: 'evaluate',
  summary: 'evaluate a classifier along each factor of a spec (rendered straight into the model) or an export folder',
  options: {
    spec: { type: 'string', value: 'FILE', description: 'the factor spec to render (random, grid or sweep); or give --export', defaultText: 'none' },
    export: { type: 'string', value: 'DIR', description: 'an export folder (metadata.jsonl and images) to evaluate instead of a spec', defaultText: 'none' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder for report.json, report.md, predictions.jsonl, tables/ and plots/ (new or empty; see --overwrite)', required: 'the output folder' },
    model: { type: 'string', value: 'NAME|PATH', description: 'the classifier: a folder name under models/ or a model folder (model.json + ONNX)', default: DEFAULT_JUDGE },
    map: { type: 'string', value: 'FILE|JSON|C=M[+M],...', description: 'spec class to model class name(s) or output index(es); classes left out map to the model class of the same name', defaultText: 'by name' },
    count: { type: 'int', min: 1, description: 'number of samples, replacing the spec\'s count', defaultText: 'the spec\'s' },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, value: 'S', description: 'seed of the factor sampling, replacing the spec\'s', defaultText: 'the spec\'s' },
    batch: { type: 'int', min: 1, max: 4096, description: 'images per classifier run', default: EVALUATE_DEFAULTS.batch },
    'top-k': { type: 'int', min: 1, max: 1000, value: 'K', description: 'model outputs listed per prediction', default: EVALUATE_DEFAULTS.topK },
    'min-cell': { type: 'int', min: 1, max: 1_000_000, description: 'fewest samples a factor cell needs to be listed among the worst', default: EVALUATE_DEFAULTS.minCellCount },
    search: { type: 'int', min: 0, max: 1_000_000, value: 'N', description: 'renders for a worst-case search over the spec\'s continuous factors (random search, then the cross-entropy method), per class the settings of highest loss with their images; 0: none', default: 0 },
    'save-images': { type: 'boolean', description: 'also write each image (PNG) under images/; by default frames go to the model without files' },
    overwrite: { type: 'boolean', description: 'replace the contents of --out' },
    threads: { type: 'int', min: 0, max: 256, value: 'T', description: 'onnxruntime threads (0: its own choice)', default: 0 },
    workers: WORKERS_OPTION,
    'frames-per-readback': BATCH_OPTION,
    backend: { type: 'choice', choices: BACKENDS, description: 'GPU backend of the renderer', default: RENDER_DEFAULTS.backend },
    shadows: { type: 'choice', choices: SHADOW_MODES, description: 'shadow rendering', default: RENDER_DEFAULTS.shadows },
    assets: ASSETS_OPTION,
    root: { type: 'string', value: 'DIR', description: 'refuse an --out outside this folder', defaultText: `$${OUTPUT_ROOT_ENV}, else none` },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on stderr' },
  },
  notes: `Give --spec or --export. Frames are resized to the model's input by area averaging (render at the
model's size for exact pixels). The report is the same, byte for byte, for the same spec, seed and model.`,
}, async ({ values }) => {
  if ((values.spec === undefined) === (values.export === undefined)) {
    throw inputError('--spec/--export', 'exactly one of them (a spec to render, or an export folder)', values.spec && values.export ? 'both' : 'neither');
  }
  if (values.export !== undefined && (values.count !== undefined || values.seed !== undefined || values.search > 0)) {
    const flag = values.count !== undefined ? '--count' : values.seed !== undefined ? '--seed' : '--search';
    throw inputError(flag, `--spec alongside it (${flag} renders from a spec; an export folder holds its samples)`, flag === '--search' ? values.search : values.count ?? values.seed);
  }
  const map = await parseMapOption(values.map);
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  let input: EvaluationInput;
  let renderer: SceneRenderer | null = null;
  let search: ReturnType<typeof worstCaseSearch> | undefined;
  const model = await loadClassifier(values.model, { threads: values.threads });
  try {
    if (values.spec !== undefined) {
      const library = await loadLibrary(values.assets);
      const catalog = library.catalog();
      const spec = await loadSpec(values.spec, catalog, { count: values.count, seed: values.seed });
      await loadBackgroundImages(spec.backgrounds, dirname(resolve(values.spec)));
      const plan = planSampling(spec, catalog);
      // checked before the renderer starts (evaluate checks again): bad input costs no GPU start-up
      resolveClassMapping(specClassesOf(spec), model.manifest.classes, map, '--map');
      await checkOutput(out, values.overwrite);
      const workers = workersOption(values.workers, plan.count + values.search);
      if (values.search > 0) searchSpaceCheck(spec, specClassesOf(spec), values.search);
      renderer = await createRenderers(library, { backend: values.backend, shadows: values.shadows, workers, batch: values['frames-per-readback'], assetsDir: values.assets, framePixels: spec.resolution[0] * spec.resolution[1] });
      input = { kind: 'spec', plan, renderer };
      if (values.search > 0) search = worstCaseSearch({ plan, renderer, classes: specClassesOf(spec), budget: values.search, field: '--search' });
      if (!values.quiet) process.stderr.write(`evaluating ${model.manifest.name} on ${plan.count} samples of ${spec.name}, rendered on ${renderer.backend}${workers > 1 ? ` (${workers} renderer threads)` : ''}\n`);
    } else {
      input = { kind: 'export', dir: resolve(values.export!) };
    }
    const printer = values.quiet ? null : createProgressPrinter({ label: 'evaluate ' });
    let last: Progress | null = null;
    return await interruptible(async (signal) => {
      const result = await evaluate({
        input, classifier: model.classifier, modelSha256: await fileSha256(join(model.dir, model.manifest.file)), map, mapField: '--map', out,
        search, searchBudget: values.search,
        overwrite: values.overwrite, saveImages: values['save-images'], batch: values['frames-per-readback'], topK: values['top-k'], minCellCount: values['min-cell'],
        signal, onProgress: (p) => { last = p; printer?.update(p); },
      });
      if (printer && last) printer.finish(last);
      const o = result.report.overall;
      process.stdout.write(`accuracy ${(o.accuracy * 100).toFixed(1)}% (95% CI ${(o.ci[0] * 100).toFixed(1)}–${(o.ci[1] * 100).toFixed(1)}%) on ${result.count} samples, mean loss ${o.meanLoss.toFixed(3)}, ECE ${o.ece.toFixed(3)}; wrote ${out}/report.md in ${formatDuration(result.seconds)} (${result.rate.toFixed(1)} samples/s)\n`);
      return 0;
    });
  } finally {
    await renderer?.dispose();
    await model.session.release();
  }
});
