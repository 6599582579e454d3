/**
 * Zod schemas of the HTTP API: request envelopes (which validate the bodies; the spec inside goes
 * through parseSpec, whose structure is SpecSchema) and response shapes. openapi.ts turns all of them
 * into the OpenAPI document, so the documentation and the validation cannot drift apart.
 */
import { z } from 'zod';
import { SpecSchema, MAX_COUNT } from '../spec/schema.js';
import { WRITER_FORMATS } from '../export/manifest.js';
import { LABEL_PASSES } from '../labels/types.js';
import { ERROR_CODES } from './errors.js';

const index = z.number().int().min(0).max(MAX_COUNT - 1);

/** Fields beside `spec` in a POST /v1/render envelope. */
export const RenderEnvelopeSchema = z.strictObject({
  spec: SpecSchema,
  indices: z.array(index).min(1).optional()
    .describe('sample indices to render (default: 0 .. count-1); at most maxSyncBatch of them, each below the spec\'s count'),
}).describe('a spec with the sample indices to render');

/** POST /v1/render: a spec, or `{spec, indices}`. */
export const RenderRequestSchema = z.union([SpecSchema, RenderEnvelopeSchema])
  .describe('a factor spec (count at most maxSyncBatch), or {spec, indices}');

/** POST /v1/datasets envelope: a spec and the writers to run. */
export const DatasetEnvelopeSchema = z.strictObject({
  spec: SpecSchema,
  formats: z.array(z.enum(WRITER_FORMATS)).min(1).optional().describe(`writers to run (default ["imagefolder"])`),
  shardSize: z.number().int().min(1).max(100_000_000).optional().describe('samples per WebDataset tar shard (default 1000)'),
}).describe('a spec with writer options');

/** POST /v1/datasets: a spec, or `{spec, formats, shardSize}`. */
export const DatasetRequestSchema = z.union([SpecSchema, DatasetEnvelopeSchema])
  .describe('a factor spec (a dataset in ImageFolder layout), or {spec, formats, shardSize}');

/** POST /v1/stream envelope: a spec and an index range. */
export const StreamEnvelopeSchema = z.strictObject({
  spec: SpecSchema,
  start: index.optional().describe('first sample index (default 0)'),
  end: z.number().int().min(1).max(MAX_COUNT).optional().describe('one past the last sample index (default: the spec\'s count)'),
}).describe('a spec with an index range [start, end)');

/** POST /v1/stream: a spec, or `{spec, start, end}`. */
export const StreamRequestSchema = z.union([SpecSchema, StreamEnvelopeSchema])
  .describe('a factor spec, or {spec, start, end}; the answer is a WebDataset tar streamed as samples render');

// ---------------------------------------------------------------- responses

/** One problem of a request, as parseSpec reports it. */
export const IssueSchema = z.object({
  path: z.string().describe('JSON path into the request body, e.g. factors.yaw.uniform'),
  expected: z.string(),
  received: z.string(),
  message: z.string(),
});

/** The one error shape of every non-2xx answer. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.union([z.looseObject({ issues: z.array(IssueSchema).optional() }), z.null()])
      .describe('issues (400 for a bad body), limit (413), retryAfterSeconds (429), or null'),
  }),
}).describe('every error: 4xx and 5xx alike');

/** GET /v1/health. */
export const HealthSchema = z.object({
  status: z.literal('ok'),
  version: z.string(),
  renderer: z.object({ backend: z.string(), adapter: z.string() }),
  queue: z.object({ queued: z.number().int(), max: z.number().int() }).describe('dataset jobs waiting'),
  jobs: z.object({ running: z.number().int() }),
  inFlight: z.object({ requests: z.number().int(), streams: z.number().int() }),
  uptimeSeconds: z.number(),
});

const range = z.union([z.tuple([z.number(), z.number()]), z.null()]);

/** GET /v1/catalog. */
export const CatalogSchema = z.object({
  classes: z.array(z.object({ name: z.string(), family: z.string(), variants: z.array(z.string()), params: z.record(z.string(), z.tuple([z.number(), z.number()])) })),
  factors: z.array(z.object({
    name: z.string(), kind: z.enum(['number', 'integer', 'category']), unit: z.union([z.string(), z.null()]), range,
    domain: z.union([z.string(), z.null()]), perObject: z.boolean(), default: z.unknown().describe('a distribution, or null (the asset\'s own value)'), doc: z.string(),
  })),
  textures: z.array(z.object({ name: z.string(), doc: z.string() })),
  environments: z.array(z.object({ name: z.string(), doc: z.string() })),
  colors: z.record(z.string(), z.string()).describe('named colours and their sRGB hex; #rrggbb is accepted too'),
  labelPasses: z.array(z.enum(LABEL_PASSES)),
  imageFormats: z.array(z.enum(['png', 'jpeg', 'webp'])),
  writerFormats: z.array(z.enum(WRITER_FORMATS)),
  models: z.array(z.unknown()).describe('diffusion models (none yet)'),
  limits: z.object({
    bodyLimit: z.number().int(), maxSyncBatch: z.number().int(), maxResolution: z.number().int(),
    maxQueuedJobs: z.number().int(), maxDatasetCount: z.number().int(), maxStreamCount: z.number().int(),
  }),
});

const vec3 = z.tuple([z.number(), z.number(), z.number()]);

/** One rendered sample in a JSON answer. */
export const SampleSchema = z.object({
  id: z.string(), index: z.number().int(), seed: z.number().int(),
  class: z.string(), label: z.number().int().describe('class index in the spec\'s classes'),
  factors: z.record(z.string(), z.union([z.number(), z.string()])),
  objects: z.array(z.looseObject({ class: z.string(), classIndex: z.number().int(), position: vec3 })),
  camera: z.looseObject({ distance: z.number(), elevation: z.number(), azimuth: z.number(), fov: z.number() }),
  light: z.looseObject({ intensity: z.number(), azimuth: z.number(), elevation: z.number() }),
  environment: z.string(),
  caption: z.string(),
  relations: z.record(z.enum(['left', 'right', 'front', 'behind']), z.array(z.array(z.number().int()))),
  labels: z.object({
    objects: z.array(z.looseObject({ instance: z.number().int(), class: z.string(), label: z.number().int(), bbox: z.union([z.tuple([z.number(), z.number(), z.number(), z.number()]), z.null()]), area: z.number(), visibility: z.number() }))
      .describe('per object: instance id, class, box [x, y, w, h] in pixels, visible area and fraction, pose'),
    camera: z.looseObject({ fx: z.number(), fy: z.number(), cx: z.number(), cy: z.number() }),
    depth_scale: z.number().optional(),
    maps: z.partialRecord(z.enum(['seg', 'sem', 'depth', 'normals']), z.string()).describe('label maps as base64 PNG: seg (instance ids), sem (class + 1), depth (16-bit, depth_scale units), normals'),
  }).optional().describe('present when the spec asks for label passes'),
  sha256: z.string().describe('sha256 of the image bytes'),
  image: z.string().describe('the encoded image, base64'),
  mime: z.enum(['image/png', 'image/jpeg', 'image/webp']),
});

/** POST /v1/render with Accept: application/json. */
export const RenderResponseSchema = z.object({ samples: z.array(SampleSchema) });

/** States of a dataset job. */
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;

/** A dataset job as the API shows it. */
export const JobSchema = z.object({
  id: z.uuid(),
  status: z.enum(JOB_STATES),
  name: z.string(),
  formats: z.array(z.enum(WRITER_FORMATS)),
  shardSize: z.number().int(),
  createdAt: z.string(), startedAt: z.union([z.string(), z.null()]), finishedAt: z.union([z.string(), z.null()]),
  progress: z.object({
    done: z.number().int(), total: z.number().int(), rate: z.number().describe('samples per second in this run'),
    etaSeconds: z.union([z.number(), z.null()]), elapsedSeconds: z.number(),
  }),
  restarts: z.number().int().describe('times the job was resumed after a server restart'),
  error: z.union([z.object({ code: z.string(), message: z.string() }), z.null()]),
  links: z.object({ self: z.string(), files: z.string(), manifest: z.string(), shards: z.union([z.string(), z.null()]) }),
});

/** GET /v1/datasets. */
export const JobListSchema = z.object({ datasets: z.array(JobSchema) });

/** GET /v1/datasets/:id/files. */
export const FileListSchema = z.object({ files: z.array(z.object({ path: z.string(), bytes: z.number().int() })) });
