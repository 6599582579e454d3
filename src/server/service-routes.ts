/**
 * What the service is and how it is doing: GET /v1/health (before auth), GET /v1/catalog (classes,
 * factors, textures, environments, colours, label passes, formats, models, limits) and
 * GET /v1/openapi.json.
 */
import express, { type Router } from 'express';
import type { SceneRenderer } from '../render/renderer.js';
import type { Catalog } from '../spec/catalog.js';
import { FACTORS } from '../spec/factors.js';
import { LABEL_PASSES } from '../spec/schema.js';
import { TEXTURES } from '../assets/textures.js';
import { ENVIRONMENTS } from '../assets/environments.js';
import { NAMED_COLORS } from '../core/color.js';
import { SYNTH_VERSION } from '../core/version.js';
import { WRITER_FORMATS } from '../export/manifest.js';
import type { ServerLimits } from './config.js';
import { methodNotAllowed, negotiate } from './middleware.js';
import type { JobManager } from './jobs.js';
import type { ModelRegistry } from './models.js';

/** The catalog document of GET /v1/catalog. */
export function catalogDocument(catalog: Catalog, limits: ServerLimits): Record<string, unknown> {
  return {
    classes: catalog.classes.map((c) => ({ name: c.name, family: c.family, variants: [...c.variants], params: c.params })),
    factors: FACTORS.map((f) => ({ name: f.name, kind: f.kind, unit: f.unit ?? null, range: f.range ?? null, domain: f.domain ?? null, perObject: f.perObject, default: f.default, doc: f.doc })),
    textures: [{ name: 'default', doc: 'the asset\'s own surface' }, ...TEXTURES.map((t) => ({ name: t.name, doc: t.doc }))]
      .filter((t) => catalog.textures.includes(t.name)),
    environments: ENVIRONMENTS.filter((e) => catalog.environments.includes(e.name)).map((e) => ({ name: e.name, doc: e.doc })),
    colors: NAMED_COLORS,
    labelPasses: [...LABEL_PASSES],
    imageFormats: ['png', 'jpeg', 'webp', 'raw'],
    writerFormats: [...WRITER_FORMATS],
    models: [],
    limits,
  };
}

/** What GET /v1/health reports on. */
export interface HealthDeps {
  renderer: SceneRenderer;
  jobs: JobManager;
  limits: ServerLimits;
  /** The app's live counters. */
  stats: { requests: number; streams: number };
  /** When the app started (ms since the epoch). */
  started: number;
}

/** The router of GET /health (mounted under /v1, before auth). */
export function healthRouter(deps: HealthDeps): Router {
  const { renderer, jobs, limits, stats, started } = deps;
  const router = express.Router({ strict: false });
  router.route('/health').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json({
      status: 'ok', version: SYNTH_VERSION,
      renderer: { backend: renderer.backend, adapter: renderer.adapter.device || renderer.adapter.description },
      queue: { queued: jobs.queued, max: limits.maxQueuedJobs }, jobs: { running: jobs.runningCount },
      inFlight: { requests: stats.requests, streams: stats.streams }, uptimeSeconds: (Date.now() - started) / 1000,
    });
  }).all(methodNotAllowed(['GET']));
  return router;
}

/** What GET /v1/catalog and GET /v1/openapi.json answer with. */
export interface CatalogRouteDeps {
  catalog: Catalog;
  limits: ServerLimits;
  /** The OpenAPI document (built once by the app). */
  openapi: unknown;
  /** Diffusion models, listed in the catalog when present. */
  models?: ModelRegistry;
}

/** The router of GET /catalog and GET /openapi.json (mounted under /v1, after auth). */
export function catalogRouter(deps: CatalogRouteDeps): Router {
  const { models, openapi } = deps;
  const catalogDoc = catalogDocument(deps.catalog, deps.limits);
  const router = express.Router({ strict: false });
  router.route('/catalog').get(async (req, res) => {
    negotiate(req, ['application/json']);
    res.json(models ? { ...catalogDoc, models: await models.list() } : catalogDoc);
  }).all(methodNotAllowed(['GET']));
  router.route('/openapi.json').get((req, res) => {
    negotiate(req, ['application/json', 'application/vnd.oai.openapi+json']);
    res.json(openapi);
  }).all(methodNotAllowed(['GET']));
  return router;
}
