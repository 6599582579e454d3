/**
 * POST /v1/generate behind the routes: a validated body to a prepared run (cached generator, resolved
 * sampler settings, classes, guidance with its cached classifier), then generateDataset, the same
 * writer as `synth generate`, either into a temp folder (small requests, answered at once) or into a
 * job's folder (JobManager runs it through `run`).
 *
 * The diffusion modules name their options by path (`steps`, `guidance.mode`, `classes`), the body's
 * own paths, except the sampler's `timestepSpacing`, which the body calls `spacing`.
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, withInputPaths } from '../core/errors.js';
import type { Progress } from '../core/progress.js';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE, guidanceWith, type LoadedDenoiser } from '../diffusion/load.js';
import { classIndices, generateDataset, GENERATE_DEFAULTS, guidanceLabel, type GeneratedRecord, type GenerateResult } from '../diffusion/generate.js';
import { resolveGuidance, type GuidanceOptions } from '../diffusion/guidance.js';
import { createSampler, resolveSettings, SAMPLE_DEFAULTS, type Sampler, type SampleSettings, type SamplerGuidance } from '../diffusion/sampler.js';
import { ModelRunError } from '../diffusion/model-limits.js';
import { withRunSignal } from '../diffusion/model-runner.js';
import { HttpError, badInput, modelFailed } from './errors.js';
import type { Logger } from './logger.js';
import type { ModelRegistry, Lease } from './models.js';
import { parseGenerateBody, type GenerateBody } from './requests.js';
import type { ServerLimits } from './config.js';

/** The diffusion modules' option paths that POST /v1/generate's body spells differently. */
const BODY_PATHS: Readonly<Record<string, string>> = { timestepSpacing: 'spacing' };

/** An InputError from the diffusion modules as a 400 naming body paths. */
function bodyError(err: InputError): HttpError {
  return badInput(withInputPaths(err, (path) => BODY_PATHS[path] ?? path));
}

/** A validated generation, its models held until release(). */
export interface PreparedGeneration {
  /** The generator as the client named it. */
  modelRef: string;
  model: LoadedDenoiser;
  /** A sampler of this run alone over the cached session (a sampler reuses its feed buffers between runs, so two runs must not share one). */
  sampler: Sampler;
  settings: SampleSettings;
  classes: string[];
  /** Images per class. */
  count: number;
  batch: number;
  /** classes x count. */
  total: number;
  guidance?: SamplerGuidance & { classifierRef: string };
  /** Let the cached models go (idempotent). */
  release(): void;
}

/** Options of a run: cancellation (checked every sampling step) and progress. */
export interface GenerateRunOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** What JobManager needs to run a generate job: validate the stored body again and write the dataset. */
export interface GenerateRunner {
  /**
   * Generate the request `body` into `out` (an empty or missing folder).
   * @throws HttpError 400 for a body that no longer validates (a model or classifier gone), an Error named AbortError when `signal` fires
   */
  run(body: GenerateBody, out: string, options: GenerateRunOptions): Promise<GenerateResult>;
}

/** An image of a synchronous answer: its metadata.jsonl record and PNG bytes. */
export interface GeneratedImage {
  record: GeneratedRecord;
  png: Buffer;
}

function abortError(): Error {
  const err = new Error('generation cancelled');
  err.name = 'AbortError';
  return err;
}

/** Generation for one server: prepares requests against its model registry and runs them. */
export class GenerationService implements GenerateRunner {
  constructor(private readonly opts: { registry: ModelRegistry; tmpDir: string; limits: ServerLimits; logger: Logger }) {}

  /**
   * Check a body against the models: the generator, sampler settings (steps at most the model's
   * training timesteps), classes, guidance and its classifier. Loads (or reuses) the sessions.
   * @throws HttpError 400 naming the body path (unknown model or class lists the valid ones)
   */
  async prepare(body: GenerateBody): Promise<PreparedGeneration> {
    const { registry } = this.opts;
    const modelRef = body.model ?? DEFAULT_GENERATOR;
    const leases: Lease<unknown>[] = [];
    const release = () => leases.forEach((l) => l.release());
    try {
      const modelLease = await registry.acquire(await registry.locate(modelRef, 'denoiser', 'model'));
      leases.push(modelLease);
      const model = modelLease.value;
      const settings = resolveSettings(model.manifest, {
        steps: body.steps, cfg: body.cfg, scheduler: body.scheduler, eta: body.eta, seed: body.seed, timestepSpacing: body.spacing,
      });
      classIndices(body.classes, model.manifest.classes);
      const count = body.count ?? GENERATE_DEFAULTS.count;
      const prepared: PreparedGeneration = {
        modelRef, model, sampler: createSampler({ session: model.session, manifest: model.manifest }), settings, classes: [...body.classes], count, batch: body.batch ?? SAMPLE_DEFAULTS.batch, total: count * body.classes.length, release,
      };
      if (body.guidance) {
        const { classifier = DEFAULT_GUIDE, ...rest } = body.guidance;
        const options: GuidanceOptions = rest;
        resolveGuidance(options, settings); // bad options fail before a classifier loads
        const lease = await registry.acquire(await registry.locate(classifier, 'classifier', 'guidance.classifier'));
        leases.push(lease);
        prepared.guidance = guidanceWith(model.manifest, options, settings, body.classes, lease.value, classifier);
      }
      return prepared;
    } catch (err) {
      release();
      throw err instanceof InputError ? bodyError(err) : err;
    }
  }

  /**
   * Run a prepared generation into `out` (generateDataset, the writer of `synth generate`).
   * @throws an Error named AbortError when `signal` fires (between two sampling steps)
   */
  async generate(p: PreparedGeneration, out: string, options: GenerateRunOptions = {}): Promise<GenerateResult> {
    const { signal } = options;
    try {
      // withRunSignal: a model run in flight when the signal fires is stopped too (its runner killed),
      // so a cancel or a shutdown never waits for a model that does not return
      return await withRunSignal(signal, () => generateDataset({
        sampler: p.sampler, classes: p.classes, count: p.count, settings: p.settings, out, batch: p.batch, modelRef: p.modelRef,
        guidance: p.guidance, signal,
        onProgress: (progress) => {
          if (signal?.aborted) throw abortError(); // called every sampling step: stop there, not at the end of a batch
          options.onProgress?.(progress);
        },
      }));
    } catch (err) {
      if (signal?.aborted) throw abortError();
      // a model over its budget fails the request, and a job for good (422 model_failed, not rerun)
      if (err instanceof ModelRunError) throw modelFailed(err);
      throw err instanceof InputError ? bodyError(err) : err;
    }
  }

  /** Generate a small request in a temp folder and read it back (the same bytes a job would write). */
  async generateImages(p: PreparedGeneration, signal?: AbortSignal): Promise<GeneratedImage[]> {
    const out = join(this.opts.tmpDir, randomUUID());
    try {
      await this.generate(p, out, { signal });
      const lines = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const records = lines.map((l) => JSON.parse(l) as GeneratedRecord);
      return await Promise.all(records.map(async (record) => ({ record, png: await readFile(join(out, record.file)) })));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }

  /** JobManager's runner: validate the stored body again (job.json may be old; models may have changed), generate, release. */
  async run(body: GenerateBody, out: string, options: GenerateRunOptions): Promise<GenerateResult> {
    const p = await this.prepare(parseGenerateBody(body, this.opts.limits));
    try {
      return await this.generate(p, out, options);
    } finally {
      p.release();
    }
  }
}

/** The body of a synchronous JSON answer. */
export function generateResponse(p: PreparedGeneration, images: readonly GeneratedImage[]): Record<string, unknown> {
  return {
    model: p.modelRef,
    settings: { ...p.settings, timestepSpacing: p.settings.timestepSpacing ?? null, perClass: p.count, batch: p.batch },
    guidance: p.guidance ? guidanceLabel(p.guidance) : null,
    images: images.map(({ record, png }) => {
      const { file: _file, ...rest } = record;
      return { ...rest, mime: 'image/png', png: png.toString('base64') };
    }),
  };
}
