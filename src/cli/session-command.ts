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
import { BACKENDS, type Backend } from '../render/gpu.js';
import { RENDER_DEFAULTS, SHADOW_MODES, createRenderer } from '../render/renderer.js';
import { writeTarFile } from '../export/webdataset.js';
import { Session, SESSION_DEFAULTS, SessionOptionsSchema, type SessionOptions } from '../feedback/session.js';
import { NEEDS_CLASSIFIER, STRATEGIES, type Strategy } from '../feedback/strategy.js';
import { validateFeedback, type FeedbackRecord } from '../feedback/ingest.js';
import { SESSION_FILES, loadSessionDir, saveSessionDir } from '../feedback/store.js';
import { installClassifier, openClassifier } from '../feedback/classifier.js';
import { batchFragments, prepareBatch } from '../feedback/batch.js';
import { guidedRun, type GuidedRun } from '../feedback/guided.js';
import { GUIDED_DEFAULTS } from '../feedback/guided-options.js';
import { loadDenoiser, type LoadedDenoiser } from '../diffusion/load.js';
import { zodIssues } from '../spec/schema.js';
import { randomUUID } from 'node:crypto';
import { loadLibrary } from './assets-command.js';
import { parseCommandArgs, intOption, choiceOption } from './args.js';

/** Usage lines of `synth session`, for the main usage text. */
export const SESSION_USAGE = `  synth session create     --spec FILE --dir DIR [--strategy ${STRATEGIES.join('|')}] [--seed S] [--bins ${SESSION_DEFAULTS.bins}]
                           [--factors yaw,texture] [--epsilon ${SESSION_DEFAULTS.epsilon}] [--temperature T] [--half-life ${SESSION_DEFAULTS.halfLife}]
                           [--neighbours ${SESSION_DEFAULTS.neighbours}] [--candidates ${SESSION_DEFAULTS.candidates}] [--classifier MODEL] [--overwrite] [--assets DIR]
  synth session feedback   --dir DIR --file FEEDBACK.jsonl   (lines {"id": ..., "loss": 0.7, "correct": true})
  synth session batch      --dir DIR --n N --out OUT.tar|DIR [--strategy S] [--backend B] [--shadows S] [--quiet] [--assets DIR]
  synth session show       --dir DIR [--json] [--assets DIR]
  synth session classifier --dir DIR --model NAME|PATH   (the classifier of the pruned and guided strategies)`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A float option: undefined when absent, InputError when not a number in [min, max]. */
function numberOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw inputError(`--${name}`, `a number in [${min}, ${max}]`, value);
  return n;
}

function strategyOption(value: string | undefined): Strategy | undefined {
  if (value === undefined) return undefined;
  return choiceOption<Strategy>('strategy', value, STRATEGIES, SESSION_DEFAULTS.strategy);
}

function requireDir(dir: string | undefined): string {
  if (!dir) throw inputError('--dir', 'a session folder', undefined);
  return resolve(dir);
}

/** Options errors (`options.x`) under their flag names. */
function asFlags(err: unknown): unknown {
  if (!(err instanceof InputError)) return err;
  const flag = (path: string) => path.replace(/^options\.factors(\[\d+\])?/, '--factors').replace(/^options\.halfLife/, '--half-life').replace(/^options\.(\w+)/, '--$1');
  return new InputError(err.issues.map((i) => ({ ...i, path: flag(i.path), message: flag(i.message) })));
}

async function loadSession(dir: string, assets: string | undefined): Promise<{ session: Session; catalog: ReturnType<Awaited<ReturnType<typeof loadLibrary>>['catalog']>; library: Awaited<ReturnType<typeof loadLibrary>> }> {
  if (!await exists(join(dir, SESSION_FILES.session))) throw inputError('--dir', 'a session folder (made by synth session create)', dir, `no ${SESSION_FILES.session} in it`);
  const library = await loadLibrary(assets);
  const catalog = library.catalog();
  return { session: await loadSessionDir(dir, catalog), catalog, library };
}

async function commandCreate(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('session create', argv, {
    spec: { type: 'string' }, dir: { type: 'string' }, strategy: { type: 'string' }, seed: { type: 'string' }, bins: { type: 'string' },
    factors: { type: 'string' }, epsilon: { type: 'string' }, temperature: { type: 'string' }, 'half-life': { type: 'string' },
    neighbours: { type: 'string' }, candidates: { type: 'string' }, classifier: { type: 'string' }, overwrite: { type: 'boolean' }, assets: { type: 'string' },
  });
  if (values.help) return say(usage), 0;
  if (!values.spec) throw inputError('--spec', 'a spec file', undefined);
  const dir = requireDir(values.dir);
  const strategy = strategyOption(values.strategy) ?? SESSION_DEFAULTS.strategy;
  const raw: SessionOptions = {
    seed: intOption('seed', values.seed, 0, 2 ** 32 - 1),
    bins: intOption('bins', values.bins, 1, 254),
    factors: values.factors?.split(',').map((f) => f.trim()).filter(Boolean),
    epsilon: numberOption('epsilon', values.epsilon, 0, 1),
    temperature: numberOption('temperature', values.temperature, 1e-9, 1e9),
    halfLife: numberOption('half-life', values['half-life'], 1e-9, 1e15),
    neighbours: numberOption('neighbours', values.neighbours, 0, 1),
    candidates: intOption('candidates', values.candidates, 1, 64),
  };
  const options = SessionOptionsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)));
  if (!options.success) throw asFlags(new InputError(zodIssues(options.error, ['options'], raw)));
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
  let session: Session;
  try {
    session = Session.create({ id: randomUUID(), rawSpec, spec: { ...spec, backgrounds: (rawSpec.backgrounds as string[] | undefined) ?? [] }, catalog, strategy, options: options.data });
  } catch (err) {
    throw asFlags(err);
  }
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
}

async function installInto(dir: string, session: Session, model: string): Promise<void> {
  const { info, loaded } = await installClassifier(join(dir, SESSION_FILES.classifier), { dir: model }, session.binning.classes, resolve(model));
  await loaded.session.release();
  session.classifier = info;
  await saveSessionDir(dir, session);
}

async function commandClassifier(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('session classifier', argv, { dir: { type: 'string' }, model: { type: 'string' }, assets: { type: 'string' } });
  if (values.help) return say(usage), 0;
  const dir = requireDir(values.dir);
  if (!values.model) throw inputError('--model', 'a classifier model name or folder', undefined);
  const { session } = await loadSession(dir, values.assets);
  await installInto(dir, session, values.model);
  say(`classifier ${session.classifier!.name} installed in ${dir} (classes ${session.classifier!.classes.join(', ')})`);
  return 0;
}

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

async function commandFeedback(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('session feedback', argv, { dir: { type: 'string' }, file: { type: 'string' }, assets: { type: 'string' } });
  if (values.help) return say(usage), 0;
  const dir = requireDir(values.dir);
  if (!values.file) throw inputError('--file', 'a feedback file (JSON lines of {id, loss?, correct?})', undefined);
  const records = await readFeedbackFile(values.file);
  const { session } = await loadSession(dir, values.assets);
  const result = session.ingest(records);
  await saveSessionDir(dir, session);
  say(JSON.stringify(result));
  return 0;
}

async function commandBatch(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('session batch', argv, {
    dir: { type: 'string' }, n: { type: 'string' }, out: { type: 'string', short: 'o' }, strategy: { type: 'string' },
    backend: { type: 'string' }, shadows: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, assets: { type: 'string' },
  });
  if (values.help) return say(usage), 0;
  const dir = requireDir(values.dir);
  const n = intOption('n', values.n, 1, 100_000_000);
  if (n === undefined) throw inputError('--n', 'the number of samples in the batch', undefined);
  const outArg = values.out;
  if (!outArg) throw inputError('--out', 'a .tar file or a folder for batch-<b>.tar', undefined);
  const asked = strategyOption(values.strategy);
  const backend = choiceOption<Backend>('backend', values.backend, BACKENDS, RENDER_DEFAULTS.backend);
  const shadows = choiceOption('shadows', values.shadows, SHADOW_MODES, RENDER_DEFAULTS.shadows);
  const { session, library } = await loadSession(dir, values.assets);
  const strategy = asked ?? session.strategy;
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
}

async function commandShow(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('session show', argv, { dir: { type: 'string' }, json: { type: 'boolean' }, assets: { type: 'string' } });
  if (values.help) return say(usage), 0;
  const { session } = await loadSession(requireDir(values.dir), values.assets);
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
}

const SUBCOMMANDS: Record<string, (argv: string[], usage: string) => Promise<number>> = {
  create: commandCreate, feedback: commandFeedback, batch: commandBatch, show: commandShow, classifier: commandClassifier,
};

/** Run `synth session <subcommand>`; resolves to the exit code. */
export async function commandSession(argv: string[], usage: string): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') return say(usage), 0;
  const run = SUBCOMMANDS[sub];
  if (!run) throw inputError('session', `a subcommand: one of ${Object.keys(SUBCOMMANDS).join(', ')}`, sub);
  return run(rest, usage);
}
