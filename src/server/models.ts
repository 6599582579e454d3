/**
 * The diffusion models a server uses: committed ones under models/ (by name) and uploaded classifiers
 * (by id). Loaded ONNX sessions (each in a runner process of its own, under the time and memory
 * budgets of diffusion/model-limits.ts) are cached per model and shared by requests and jobs; every
 * session.run of every cached session goes through one queue, so generation never runs two graphs at
 * once on the machine's cores (requests and jobs interleave step by step). Sessions are released when
 * the server closes, or when an evicted model's last user is done.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, describeValue, unknownName, type InputIssue } from '../core/errors.js';
import { ClassifierManifestSchema, DenoiserManifestSchema, MODELS_DIR, listModels, parseManifest, type ClassifierManifest, type DenoiserManifest } from '../diffusion/manifest.js';
import { loadClassifier, loadDenoiser, type LoadedClassifier, type LoadedDenoiser } from '../diffusion/load.js';
import { createSampler } from '../diffusion/sampler.js';
import { CRITERIA, type Criterion } from '../diffusion/guidance.js';
import type { ModelSession } from '../diffusion/onnx.js';
import type { ModelBudget } from '../diffusion/model-limits.js';
import { withRunSignal } from '../diffusion/model-runner.js';
import { ClassifierStore, type StoredClassifier } from './classifiers.js';
import { HttpError, badField, badInput } from './errors.js';
import type { Logger } from './logger.js';

/** Kinds of model. */
export type ModelKind = 'denoiser' | 'classifier';

/** A model as GET /v1/catalog shows it (see ModelInfoSchema). */
export interface ModelInfo {
  ref: string;
  name: string;
  kind: ModelKind;
  source: 'models' | 'upload';
  description: string | null;
  classes: string[];
  image: { width: number; height: number; channels: number };
  trainingTimesteps: number | null;
  defaults: Record<string, unknown> | null;
  gradients: Criterion[];
}

/** A model in use: call release() when done with it (the session stays cached). */
export interface Lease<T> {
  value: T;
  release(): void;
}

/** A model reference checked against what exists. */
export interface LocatedModel {
  ref: string;
  kind: ModelKind;
  source: 'models' | 'upload';
  /** Cache key: `models:<name>` or `upload:<id>`. */
  key: string;
  dir: string;
  /** The body path it came from (`model`, `guidance.classifier`), named by load errors. */
  path: string;
}

/** Options of ModelRegistry. */
export interface ModelRegistryOptions {
  store: ClassifierStore;
  logger: Logger;
  /** Where committed models are looked up (default MODELS_DIR, the package's models/). */
  modelsDir?: string;
  /** onnxruntime intra-op threads per session (0: all cores; runs are serialised anyway). */
  threads?: number;
  /**
   * Time and memory budget of each model run (and of the upload check); default: the environment
   * (SYNTH_MODEL_TIMEOUT_MS, SYNTH_MODEL_MEMORY_MB), else MODEL_LIMITS.
   */
  budget?: Partial<ModelBudget>;
}

/** A model name as a client may send it: a folder name, never a path. */
const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

type Loaded = { denoiser: LoadedDenoiser; classifier: LoadedClassifier };

interface Entry {
  loaded: Promise<LoadedDenoiser | LoadedClassifier>;
  users: number;
  evicted: boolean;
}

/** A promise chain that runs the functions given to it one at a time, in order. */
export function serialQueue(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** A session whose runs wait their turn in `queue`. */
export function queuedSession(session: ModelSession, queue: ReturnType<typeof serialQueue>): ModelSession {
  return {
    inputs: session.inputs,
    outputs: session.outputs,
    run: (feeds, names) => queue(() => session.run(feeds, names)),
    release: () => session.release(),
  };
}

/** Info of a classifier manifest. */
export function classifierInfo(manifest: ClassifierManifest, ref: string, source: ModelInfo['source'], name = manifest.name): ModelInfo {
  return {
    ref, name, kind: 'classifier', source, description: manifest.description ?? null, classes: [...manifest.classes],
    image: { ...manifest.image }, trainingTimesteps: null, defaults: null,
    gradients: CRITERIA.filter((c) => manifest.outputs.gradients?.[c] !== undefined),
  };
}

function denoiserInfo(manifest: DenoiserManifest, ref: string): ModelInfo {
  const { width, height, channels } = manifest.image;
  return {
    ref, name: manifest.name, kind: 'denoiser', source: 'models', description: manifest.description ?? null, classes: [...manifest.classes],
    image: { width, height, channels }, trainingTimesteps: manifest.schedule.numTrainTimesteps, defaults: { ...manifest.defaults }, gradients: [],
  };
}

/** The models of one server, loaded on first use and cached. */
export class ModelRegistry {
  private readonly cache = new Map<string, Entry>();
  private readonly queue = serialQueue();
  /** Fires when the server shuts down: stops the upload checks in flight. */
  private readonly checks = new AbortController();
  private readonly modelsDir: string;
  private closed = false;

  constructor(private readonly opts: ModelRegistryOptions) {
    this.modelsDir = opts.modelsDir ?? MODELS_DIR;
  }

  /** The store of uploaded classifiers. */
  get store(): ClassifierStore {
    return this.opts.store;
  }

  /** Committed models (name -> manifest), read now: a model trained while the server runs appears. */
  private async committed(): Promise<Map<string, { kind: ModelKind; info: ModelInfo }>> {
    const out = new Map<string, { kind: ModelKind; info: ModelInfo }>();
    for (const name of listModels(this.modelsDir)) {
      if (!MODEL_NAME_RE.test(name)) continue;
      try {
        const raw = JSON.parse(await readFile(join(this.modelsDir, name, 'model.json'), 'utf8')) as { kind?: unknown };
        if (raw.kind === 'denoiser') out.set(name, { kind: 'denoiser', info: denoiserInfo(parseManifest(DenoiserManifestSchema, raw, `models/${name}/model.json`), name) });
        else if (raw.kind === 'classifier') out.set(name, { kind: 'classifier', info: classifierInfo(parseManifest(ClassifierManifestSchema, raw, `models/${name}/model.json`), name, 'models') });
      } catch (err) {
        this.opts.logger.error(`models: skipping models/${name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    return out;
  }

  /** Every usable model: committed generators and classifiers, then uploaded classifiers. */
  async list(): Promise<ModelInfo[]> {
    const committed = [...(await this.committed()).values()].map((c) => c.info);
    const uploads = (await this.opts.store.list()).map((c) => uploadInfo(c));
    return [...committed, ...uploads];
  }

  /**
   * Check a model reference from a request body: a name of a committed model of `kind`, or (for
   * classifiers) an upload id. Paths are refused: a client never names a file on the server.
   * @throws HttpError 400 at `path`, listing the models of that kind for an unknown name
   */
  async locate<K extends ModelKind>(ref: unknown, kind: K, path: string): Promise<LocatedModel & { kind: K }> {
    const what = kind === 'denoiser' ? 'a generator name under models/' : 'a classifier name under models/ or an uploaded classifier id';
    if (typeof ref !== 'string' || !MODEL_NAME_RE.test(ref)) {
      const isPath = typeof ref === 'string' && /[/\\]|^\.|^~/.test(ref);
      throw badField(path, `${what} (see GET /v1/catalog)${isPath ? '; file paths are not accepted over HTTP' : ''}`, describeValue(ref));
    }
    if (kind === 'classifier' && ClassifierStore.isId(ref)) {
      if (!await this.opts.store.get(ref)) throw badField(path, `${what}: no uploaded classifier has this id (see GET /v1/classifiers)`, describeValue(ref));
      return { ref, kind, source: 'upload', key: `upload:${ref}`, dir: this.opts.store.dir(ref), path };
    }
    const committed = await this.committed();
    const found = committed.get(ref);
    if (!found || found.kind !== kind) {
      const names = [...committed].filter(([, c]) => c.kind === kind).map(([n]) => n);
      if (names.length === 0) throw badField(path, `${what} (there are none under models/)`, describeValue(ref));
      throw badInput(unknownName(path, `${kind === 'denoiser' ? 'generator' : 'classifier'} (a model under models/${kind === 'classifier' ? ', or an uploaded classifier id' : ''})`, ref, names));
    }
    return { ref, kind, source: 'models', key: `models:${ref}`, dir: join(this.modelsDir, ref), path };
  }

  /**
   * The loaded model at `located`, from the cache or loaded now (its runs queued with every other).
   * @throws HttpError 400 when the model does not load (the loader's message, without server paths)
   */
  async acquire<K extends ModelKind>(located: LocatedModel & { kind: K }): Promise<Lease<Loaded[K]>> {
    if (this.closed) throw new Error('the model registry is closed');
    let entry = this.cache.get(located.key);
    if (!entry) {
      const fresh: Entry = { loaded: this.load(located), users: 0, evicted: false };
      fresh.loaded.catch(() => {
        if (this.cache.get(located.key) === fresh) this.cache.delete(located.key);
      });
      this.cache.set(located.key, fresh);
      entry = fresh;
    }
    const e = entry;
    e.users++;
    let value: Loaded[K];
    try {
      value = (await e.loaded) as Loaded[K];
    } catch (err) {
      e.users--;
      if (err instanceof InputError) throw badInput(this.clientPaths(err, located));
      throw err;
    }
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        e.users--;
        if (e.evicted && e.users === 0) void this.releaseEntry(e);
      },
    };
  }

  /**
   * Check a classifier folder the way a guidance run would load it (manifest, graph against manifest,
   * a test inference), then let it go.
   * @throws InputError naming the problem; HttpError 503 when stopChecks() stopped it
   */
  async checkClassifier(dir: string): Promise<void> {
    const stopped = () => new HttpError(503, 'shutting_down', 'the server is shutting down; upload again after it restarts', null, { 'Retry-After': '5' });
    if (this.checks.signal.aborted) throw stopped();
    try {
      const c = await withRunSignal(this.checks.signal, () => loadClassifier(dir, this.sessionOptions()));
      await c.session.release();
    } catch (err) {
      if (this.checks.signal.aborted) throw stopped();
      throw err;
    }
  }

  /**
   * Stop the classifier checks in flight and refuse new ones (the server is shutting down): an
   * uploaded graph may run until its time budget, which a shutdown does not wait for.
   */
  stopChecks(): void {
    this.checks.abort();
  }

  /** Drop a model from the cache (an upload was deleted); its session goes when its last user is done. */
  evict(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cache.delete(key);
    e.evicted = true;
    if (e.users === 0) void this.releaseEntry(e);
  }

  /** Release every cached session (the server is shutting down; nothing runs any more). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopChecks();
    const entries = [...this.cache.values()];
    this.cache.clear();
    await Promise.all(entries.map((e) => this.releaseEntry(e)));
  }

  /** Number of cached models (tests, health). */
  get cached(): number {
    return this.cache.size;
  }

  /** Options of every session this registry opens: threads and budgets. */
  private sessionOptions(): { threads: number } & Partial<ModelBudget> {
    return { threads: this.opts.threads ?? 0, ...this.opts.budget };
  }

  private async load(located: LocatedModel): Promise<LoadedDenoiser | LoadedClassifier> {
    if (located.kind === 'denoiser') {
      const d = await loadDenoiser(located.dir, this.sessionOptions());
      const session = queuedSession(d.session, this.queue);
      this.opts.logger.info(`models: loaded generator ${located.ref}`);
      // d.sampler runs the raw session; users make their own samplers over the queued one (see PreparedGeneration)
      return { ...d, session, sampler: createSampler({ session, manifest: d.manifest }) };
    }
    const c = await loadClassifier(located.dir, this.sessionOptions());
    this.opts.logger.info(`models: loaded classifier ${located.ref}`);
    return { ...c, session: queuedSession(c.session, this.queue) };
  }

  private async releaseEntry(e: Entry): Promise<void> {
    try {
      await (await e.loaded).session.release();
    } catch {
      // a model that failed to load has no session
    }
  }

  /**
   * A loader's error in the client's terms: the server's folders replaced by the model's name, and
   * every issue under the body path that named the model (`model: wrong-names: input names: ...`).
   */
  private clientPaths(err: InputError, located: LocatedModel): InputError {
    const shown = located.source === 'models' ? `models/${located.ref}` : `classifier ${located.ref}`;
    const swap = (text: string) => text.split(located.dir).join(shown).split(this.modelsDir).join('models/');
    const under = (text: string) => {
      const t = swap(text).replace(/^(model file|--model)\b/, located.path);
      return t === located.path || t.startsWith(`${located.path}:`) ? t : `${located.path}: ${t}`;
    };
    return new InputError(err.issues.map((i): InputIssue => ({ path: under(i.path), expected: swap(i.expected), received: swap(i.received), message: under(i.message) })));
  }
}

/** Info of an uploaded classifier. */
export function uploadInfo(c: StoredClassifier): ModelInfo {
  return classifierInfo(c.manifest, c.record.id, 'upload', c.record.name);
}
