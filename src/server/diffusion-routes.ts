/**
 * The diffusion routes of /v1: POST /v1/generate (small requests answered at once, larger ones queued
 * as `generate` jobs of the JobManager, shown and downloaded under /v1/datasets/:id like exports) and
 * /v1/classifiers (upload, list, show, delete classifiers that guide generation).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { ServerLimits } from './config.js';
import { HttpError, badField, notFound } from './errors.js';
import { methodNotAllowed, negotiate, requireJson } from './middleware.js';
import { parseClassifierUpload, parseGenerateBody } from './requests.js';
import { ClassifierStore, type StoredClassifier } from './classifiers.js';
import { uploadInfo, type ModelRegistry } from './models.js';
import { generateResponse, type GenerationService } from './generation.js';
import type { JobManager, JobRecord } from './jobs.js';
import { describeValue } from '../core/errors.js';

/** What the diffusion routes need from the app. */
export interface DiffusionRouteDeps {
  models: ModelRegistry;
  generation: GenerationService;
  jobs: JobManager;
  limits: ServerLimits;
  /** The app's JSON body parser (bodyLimit). */
  json: RequestHandler;
  /** How the app shows a job. */
  jobView: (job: JobRecord) => Record<string, unknown>;
  /** An AbortSignal that fires when the client goes away. */
  clientGone: (res: Response) => AbortSignal;
}

/** Answers of POST /v1/generate, in order of preference. */
const GENERATE_TYPES = ['application/json', 'image/png'] as const;

/** An uploaded classifier as the API shows it (see ClassifierSchema). */
export function classifierView(c: StoredClassifier): Record<string, unknown> {
  const { id, createdAt, bytes, sha256 } = c.record;
  return { ...uploadInfo(c), id, createdAt, bytes, sha256, links: { self: `/v1/classifiers/${id}` } };
}

/**
 * A JSON parser for classifier uploads: room for maxClassifierBytes of ONNX as base64 plus bodyLimit
 * for the rest; a larger body answers 413 naming maxClassifierBytes.
 */
function uploadParser(limits: ServerLimits): RequestHandler {
  const limit = Math.ceil(limits.maxClassifierBytes / 3) * 4 + limits.bodyLimit;
  const parse = express.json({ limit, strict: false, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => parse(req, res, (err?: unknown) => {
    const e = err as { type?: string; length?: number } | undefined;
    if (e?.type === 'entity.too.large') {
      return next(new HttpError(413, 'payload_too_large', `request body of ${e.length ?? `more than ${limit}`} bytes is over the limit of ${limit} bytes for POST /v1/classifiers (an ONNX file of at most maxClassifierBytes ${limits.maxClassifierBytes} bytes, as base64, and the manifest)`, { limit }));
    }
    next(err);
  });
}

/** Add the diffusion routes to the /v1 router (after auth). */
export function diffusionRoutes(v1: Router, deps: DiffusionRouteDeps): void {
  const { models, generation, jobs, limits, json } = deps;

  v1.route('/generate').post(requireJson(), json, async (req: Request, res: Response) => {
    const type = negotiate(req, GENERATE_TYPES);
    const body = parseGenerateBody(req.body, limits);
    // Every check (models, settings, classes, guidance) runs before anything is queued or sampled.
    const prepared = await generation.prepare(body);
    try {
      const single = type === 'image/png';
      if (!single && prepared.total > limits.maxSyncGenerate) {
        prepared.release(); // the job loads its models again when it runs
        const job = await jobs.submit({ kind: 'generate', request: body, name: body.name ?? `${prepared.modelRef}-generated`, total: prepared.total });
        res.status(202).setHeader('Location', `/v1/datasets/${job.id}`);
        res.json(deps.jobView(job));
        return;
      }
      // image/png: the first image only (the first class, noise index 0), like POST /v1/render
      const run = single ? { ...prepared, classes: prepared.classes.slice(0, 1), count: 1, total: 1 } : prepared;
      const signal = deps.clientGone(res);
      const images = await generation.generateImages(run, signal).catch((err) => {
        if (signal.aborted) return null;
        throw err;
      });
      if (!images) return void res.destroy();
      res.setHeader('Cache-Control', 'no-store');
      if (single) {
        const { record, png } = images[0];
        const { file: _file, ...meta } = record;
        res.setHeader('X-Synth-Sample', JSON.stringify(meta));
        res.setHeader('X-Synth-Id', record.id);
        res.setHeader('X-Synth-Class', encodeURIComponent(record.class));
        res.setHeader('X-Synth-Label', String(record.label));
        res.type('image/png').send(png);
      } else {
        res.json(generateResponse(run, images));
      }
    } finally {
      prepared.release();
    }
  }).all(methodNotAllowed(['POST']));

  v1.route('/classifiers').get(async (req, res) => {
    negotiate(req, ['application/json']);
    res.json({ classifiers: (await models.store.list()).map(classifierView) });
  }).post(requireJson(), uploadParser(limits), async (req, res) => {
    negotiate(req, ['application/json']);
    const upload = parseClassifierUpload(req.body, limits);
    const stored = await models.store.add(upload, (dir) => models.checkClassifier(dir));
    res.status(201).setHeader('Location', `/v1/classifiers/${stored.record.id}`);
    res.json(classifierView(stored));
  }).all(methodNotAllowed(['GET', 'POST']));

  const classifierOf = async (req: Request): Promise<StoredClassifier> => {
    const id = req.params.id;
    if (!ClassifierStore.isId(id)) throw badField('id', 'a classifier id (a UUID v4 such as 0f8fad5b-d9cb-469f-a165-70867728950e)', describeValue(id));
    const c = await models.store.get(id);
    if (!c) throw notFound(`no uploaded classifier ${id}`);
    return c;
  };

  v1.route('/classifiers/:id').get(async (req, res) => {
    negotiate(req, ['application/json']);
    res.json(classifierView(await classifierOf(req)));
  }).delete(async (req, res) => {
    negotiate(req, ['application/json']);
    const c = await classifierOf(req);
    if (!await models.store.remove(c.record.id)) throw notFound(`no uploaded classifier ${c.record.id}`);
    models.evict(`upload:${c.record.id}`);
    res.json(classifierView(c));
  }).all(methodNotAllowed(['GET', 'DELETE']));
}
