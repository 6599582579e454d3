/**
 * `synth session`: the trainer feedback loop offline, on a session folder (the same files as a
 * server's `<data-dir>/sessions/<id>/`): create it from a spec, report feedback from a JSONL file,
 * render the next batch as a WebDataset tar, show the hardness, install a classifier for `pruned` and `guided`.
 */
import { interruptible } from './interrupt.js';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError, OutputError, inputError } from '../core/errors.js';
import { exists, isNonEmptyDir } from '../core/fs.js';
import { createProgressPrinter, formatDuration, progressOf } from '../core/progress.js';
import { loadSpec } from '../spec/load.js';
import { loadBackgroundImages } from '../assets/backgrounds.js';
import { BACKENDS } from '../render/gpu.js';
import { RENDER_DEFAULTS, SHADOW_MODES, createRenderer } from '../render/renderer.js';
import { writeTarFile } from '../export/webdataset.js';
import { Session, SESSION_DEFAULTS, SessionOptionsSchema, type SessionOptions } from '../feedback/session.js';
import { NEEDS_CLASSIFIER, STRATEGIES } from '../feedback/strategy.js';
import { validateFeedback, type FeedbackRecord } from '../feedback/ingest.js';
import { SESSION_FILES, loadSessionDir, saveSessionDir } from '../feedback/store.js';
import { installClassifier, openClassifier } from '../feedback/classifier.js';
import { batchFragments, prepareBatch } from '../feedback/batch.js';
import { guidedRun, type GuidedRun } from '../feedback/guided.js';
import { GUIDED_DEFAULTS } from '../feedback/guided-options.js';
import { loadDenoiser, type LoadedDenoiser } from '../diffusion/load.js';
import { zodIssues } from '../spec/schema.js';
import { randomUUID } from 'node:crypto';
import { loadLibrary, ASSETS_OPTION } from './assets-command.js';
import { defineCommand, defineGroup } from './args.js';

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The `--dir` entry of every session subcommand. */
const DIR_OPTION = { type: 'string', value: 'DIR', description: 'the session folder (a server keeps its sessions in <data-dir>/sessions/<id>)', required: 'the session folder' } as const;

async function loadSession(dir: string, assets: string | undefined): Promise<{ session: Session; catalog: ReturnType<Awaited<ReturnType<typeof loadLibrary>>['catalog']>; library: Awaited<ReturnType<typeof loadLibrary>> }> {
  if (!await exists(join(dir, SESSION_FILES.session))) throw inputError('--dir', 'a session folder (made by synth session create)', dir, `no ${SESSION_FILES.session} in it`);
  const library = await loadLibrary(assets);
  const catalog = library.catalog();
  return { session: await loadSessionDir(dir, catalog), catalog, library };
}

/** `synth session create`. */
export const sessionCreateCommand = defineCommand({
  name: 'session create',
  summary: 'start a session folder from a spec',
  options: {
    spec: { type: 'string', value: 'FILE', description: 'the factor spec the session draws from', required: 'the spec file', path: 'spec' },
    dir: { ...DIR_OPTION, description: 'the session folder to create (new or empty; see --overwrite)' },
    strategy: { type: 'choice', choices: STRATEGIES, description: 'how batches are drawn (uniform; hardness: towards what the feedback finds hard; pruned, guided: with the classifier)', default: SESSION_DEFAULTS.strategy, path: 'strategy' },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, value: 'S', description: 'seed of the session\'s draws and scenes', defaultText: 'the spec\'s', path: 'options.seed' },
    bins: { type: 'int', min: 1, max: 254, description: 'equal-width bins of each numeric factor the hardness is kept by', default: SESSION_DEFAULTS.bins, path: 'options.bins' },
    factors: { type: 'list', value: 'yaw,texture', description: 'the factors to bin (may name an unlisted factor whose default varies)', defaultText: 'every factor the spec varies', path: 'options.factors' },
    epsilon: { type: 'number', min: 0, max: 1, value: 'E', description: 'hardness: share of draws kept uniform, so no bin is starved', default: SESSION_DEFAULTS.epsilon, path: 'options.epsilon' },
    temperature: { type: 'number', min: 1e-9, max: 1e15, value: 'T', description: 'hardness: a fixed softmax temperature over the bins\' hardness', defaultText: `${SESSION_DEFAULTS.temperatureScale} x the spread of the reported losses`, path: 'options.temperature' },
    'half-life': { type: 'number', min: 1e-9, max: 1e15, value: 'H', description: 'hardness: feedback records after which an old record weighs half', default: SESSION_DEFAULTS.halfLife, path: 'options.halfLife' },
    neighbours: { type: 'number', min: 0, max: 1, value: 'F', description: 'hardness: share of draws in the joint cell (class and every bin) of a hard recent record', default: SESSION_DEFAULTS.neighbours, path: 'options.neighbours' },
    candidates: { type: 'int', min: 1, max: 64, value: 'K', description: 'pruned: candidates rendered per kept sample', default: SESSION_DEFAULTS.candidates, path: 'options.candidates' },
    classifier: { type: 'string', value: 'NAME|PATH', description: 'install this classifier for pruned and guided (as synth session classifier does)', defaultText: 'none' },
    overwrite: { type: 'boolean', description: 'replace the session in --dir' },
    assets: ASSETS_OPTION,
  },
}, async ({ values }) => {
  const dir = resolve(values.dir);
  const strategy = values.strategy;
  const raw: SessionOptions = {
    seed: values.seed, bins: values.bins, factors: values.factors, epsilon: values.epsilon, temperature: values.temperature,
    halfLife: values['half-life'], neighbours: values.neighbours, candidates: values.candidates,
  };
  const options = SessionOptionsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (!options.success) throw new InputError(zodIssues(options.error, ['options'], raw));
  if (await exists(join(dir, SESSION_FILES.session))) {
    if (!values.overwrite) throw new OutputError(`--dir: ${dir} already holds a session; pass --overwrite to replace it`);
    await rm(dir, { recursive: true, force: true });
  } else if (await isNonEmptyDir(dir)) {
    throw new OutputError(`--dir: ${dir} is not empty and holds no session; choose an empty or new folder`);
  }
  const library = await loadLibrary(values.assets);
  const catalog = library.catalog();
  const specPath = resolve(values.spec);
  const spec = await loadSpec(specPath, catalog);
  const rawSpec = JSON.parse(await readFile(specPath, 'utf8')) as Record<string, unknown>;
  if (spec.backgrounds.length > 0) {
    // The session folder has no spec file beside it: background paths become absolute.
    await loadBackgroundImages(spec.backgrounds, dirname(specPath));
    rawSpec.backgrounds = spec.backgrounds.map((p) => resolve(dirname(specPath), p));
  }
  const session = Session.create({ id: randomUUID(), rawSpec, spec: { ...spec, backgrounds: (rawSpec.backgrounds as string[] | undefined) ?? [] }, catalog, strategy, options: options.data });
  if (values.classifier) {
    try {
      await installInto(dir, session, values.classifier);
    } catch (err) {
      await rm(dir, { recursive: true, force: true }); // checked empty or new above: no half-made session stays
      throw err;
    }
  } else await saveSessionDir(dir, session);
  say(`session ${session.id} (${strategy}) in ${dir}: classes ${session.binning.classes.join(', ')}; binned ${session.binning.factors.map((f) => `${f.factor} (${f.count})`).join(', ') || 'no factors'}`);
  return 0;
});

async function installInto(dir: string, session: Session, model: string): Promise<void> {
  const { info, loaded } = await installClassifier(join(dir, SESSION_FILES.classifier), { dir: model }, session.binning.classes, resolve(model));
  await loaded.session.release();
  session.classifier = info;
  await saveSessionDir(dir, session);
}

/** `synth session classifier`. */
export const sessionClassifierCommand = defineCommand({
  name: 'session classifier',
  summary: 'install the classifier of the pruned and guided strategies',
  options: {
    dir: DIR_OPTION,
    model: { type: 'string', value: 'NAME|PATH', description: 'the classifier: a folder name under models/ or a model folder', required: 'a classifier model name or folder', path: 'model' },
    assets: ASSETS_OPTION,
  },
}, async ({ values }) => {
  const dir = resolve(values.dir);
  const { session } = await loadSession(dir, values.assets);
  await installInto(dir, session, values.model);
  say(`classifier ${session.classifier!.name} installed in ${dir} (classes ${session.classifier!.classes.join(', ')})`);
  return 0;
});

/** Records of a feedback file: JSON lines, or a JSON array / {records: [...]}; errors name the line. */
async function readFeedbackFile(path: string): Promise<FeedbackRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputError('--file', 'a readable feedback file (JSON lines of {id, loss?, correct?})', path, (err as NodeJS.ErrnoException).code);
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && /^\{\s*"records"/.test(trimmed))) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InputError(`${path}: invalid JSON: ${(err as Error).message}`);
    }
    return validateFeedback(json);
  }
  const records: unknown[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line));
    } catch (err) {
      throw new InputError(`${path}:${i + 1}: invalid JSON: ${(err as Error).message}`);
    }
    lines.push(i + 1);
  });
  try {
    return validateFeedback(records);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const at = (s: string) => s.replace(/^records\[(\d+)\]\.?/, (_, k: string) => `${path}:${lines[Number(k)]}: `);
    throw new InputError(err.issues.map((i) => ({ ...i, path: at(i.path), message: at(i.message).replace(/: : /, ': ') })));
  }
}

/** `synth session feedback`. */
export const sessionFeedbackCommand = defineCommand({
  name: 'session feedback',
  summary: 'report a trainer\'s feedback on served samples',
  options: {
    dir: DIR_OPTION,
    file: { type: 'string', value: 'FEEDBACK.jsonl', description: 'JSON lines {"id": ..., "loss": 0.7, "correct": true} (or a JSON array of them)', required: 'a feedback file (JSON lines of {id, loss?, correct?})' },
    assets: ASSETS_OPTION,
  },
}, async ({ values }) => {
  const dir = resolve(values.dir);
  const records = await readFeedbackFile(values.file);
  const { session } = await loadSession(dir, values.assets);
  const result = session.ingest(records);
  await saveSessionDir(dir, session);
  say(JSON.stringify(result));
  return 0;
});

/** `synth session batch`. */
export const sessionBatchCommand = defineCommand({
  name: 'session batch',
  summary: 'render the next batch as a WebDataset tar',
  options: {
    dir: DIR_OPTION,
    n: { type: 'int', min: 1, max: 100_000_000, description: 'samples in the batch', required: 'the number of samples in the batch' },
    out: { type: 'string', short: 'o', value: 'OUT.tar|DIR', description: 'the tar file, or a folder for batch-<b>.tar', required: 'a .tar file or a folder for batch-<b>.tar' },
    strategy: { type: 'choice', choices: STRATEGIES, description: 'how this batch is drawn', defaultText: 'the session\'s', path: 'strategy' },
    backend: { type: 'choice', choices: BACKENDS, description: 'GPU backend of the renderer', default: RENDER_DEFAULTS.backend },
    shadows: { type: 'choice', choices: SHADOW_MODES, description: 'shadow rendering', default: RENDER_DEFAULTS.shadows },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on stderr' },
    assets: ASSETS_OPTION,
  },
}, async ({ values }) => {
  const dir = resolve(values.dir);
  const { n, backend, shadows } = values;
  const outArg = values.out;
  const { session, library } = await loadSession(dir, values.assets);
  const strategy = values.strategy ?? session.strategy;
  if (NEEDS_CLASSIFIER.includes(strategy) && !session.classifier) throw inputError('--strategy', `a session with a classifier for ${strategy} (synth session classifier --dir DIR --model M)`, strategy);
  if (session.spec.backgrounds.length > 0) await loadBackgroundImages(session.spec.backgrounds, dir);
  const loaded = NEEDS_CLASSIFIER.includes(strategy) ? await openClassifier(join(dir, SESSION_FILES.classifier)) : null;
  let generator: LoadedDenoiser | null = null;
  let guided: GuidedRun | null = null;
  if (strategy === 'guided') {
    const modelRef = session.options.guided?.model ?? GUIDED_DEFAULTS.model;
    try {
      generator = await loadDenoiser(modelRef);
      guided = guidedRun(session, generator, loaded!, modelRef);
    } catch (err) {
      await loaded?.session.release();
      await generator?.session.release();
      throw err;
    }
  }
  const renderer = await createRenderer(library, { backend, shadows });
  try {
    return await interruptible(async (signal) => {
      const t0 = performance.now();
      const batch = await prepareBatch(session, { n, strategy, renderer, classifier: loaded?.classifier ?? null, signal });
      await saveSessionDir(dir, session);
      const out = outArg.endsWith('.tar') ? resolve(outArg) : join(resolve(outArg), `batch-${String(batch.batch).padStart(6, '0')}.tar`);
      const printer = values.quiet ? null : createProgressPrinter({ label: 'batch ' });
      let done = 0;
      await writeTarFile(out, (async function* () {
        for await (const { fragment } of batchFragments(session, batch, { renderer, guided, signal })) {
          yield fragment;
          printer?.update(progressOf(++done, batch.items.length, (performance.now() - t0) / 1000));
        }
        if (signal.aborted) throw Object.assign(new Error('interrupted: the batch is served (its ids are known) but its tar was not written'), { name: 'AbortError' });
      })());
      printer?.finish(progressOf(done, batch.items.length, (performance.now() - t0) / 1000));
      say(`wrote batch ${batch.batch} of session ${session.id}: ${batch.items.length} samples (${strategy}) to ${out} in ${formatDuration((performance.now() - t0) / 1000)}`);
      return 0;
    });
  } finally {
    await loaded?.session.release();
    await generator?.session.release();
    await renderer.dispose();
  }
});

/** `synth session show`. */
export const sessionShowCommand = defineCommand({
  name: 'session show',
  summary: 'print a session\'s counts and hardness by class and factor bin',
  options: {
    dir: DIR_OPTION,
    json: { type: 'boolean', description: 'print the session\'s view as JSON' },
    assets: ASSETS_OPTION,
  },
}, async ({ values }) => {
  const { session } = await loadSession(resolve(values.dir), values.assets);
  const v = session.view();
  if (values.json) return say(JSON.stringify(v, null, 2)), 0;
  const num = (x: number | null) => (x === null ? '-' : x.toFixed(3));
  say(`session ${v.id} (${v.name}), strategy ${v.strategy}, seed ${v.seed}`);
  say(`served ${v.counts.served} in ${v.counts.batches} batches; feedback: ${v.feedback.accepted} accepted, ${v.feedback.rejected} rejected`);
  say(`hardness: ${v.hardness.signal ?? 'no feedback yet'}${v.hardness.signal ? `, tau ${num(v.hardness.temperature)}, epsilon ${v.hardness.epsilon}` : ''}`);
  const nb = v.hardness.neighbours;
  if (nb.share > 0) say(`neighbours: ${nb.share} of hardness draws in the joint cells of ${nb.hard} hard records (of ${nb.records} recent${nb.minScore !== null ? `; scores >= ${num(nb.minScore)}` : ''})`);
  say(`  ${'class'.padEnd(16)} ${'hardness'.padStart(9)} ${'loss'.padStart(7)} ${'error'.padStart(7)} ${'records'.padStart(8)} ${'p(next)'.padStart(8)}`);
  for (const c of v.hardness.classes) say(`  ${c.class.padEnd(16)} ${num(c.hardness).padStart(9)} ${num(c.loss).padStart(7)} ${num(c.errorRate).padStart(7)} ${String(c.records).padStart(8)} ${num(c.probability).padStart(8)}`);
  for (const f of v.hardness.factors) {
    say(`  ${f.factor}:`);
    for (const b of f.bins) say(`    ${b.label.padEnd(14)} ${num(b.hardness).padStart(9)} ${num(b.loss).padStart(7)} ${num(b.errorRate).padStart(7)} ${String(b.records).padStart(8)} ${num(b.probability).padStart(8)}`);
  }
  if (v.classifier) say(`classifier: ${v.classifier.name} (${v.classifier.source})`);
  return 0;
});

/** `synth session <subcommand>`. */
export const sessionCommands = defineGroup('session', 'the trainer feedback loop offline, on a session folder', [
  sessionCreateCommand, sessionFeedbackCommand, sessionBatchCommand, sessionShowCommand, sessionClassifierCommand,
]);
