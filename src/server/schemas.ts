/**
 * Zod schemas of the HTTP API: request envelopes (which validate the bodies; the spec inside goes
 * through parseSpec, whose structure is SpecSchema) and response shapes. openapi.ts turns all of them
 * into the OpenAPI document, so the documentation and the validation cannot drift apart.
 */
import { z } from 'zod';
import { SpecSchema, MAX_COUNT, LABEL_PASSES } from '../spec/schema.js';
import { WRITER_FORMATS } from '../export/manifest.js';
import { ERROR_CODES } from './errors.js';
import { CRITERIA, GUIDANCE_MODES, MAX_CANDIDATES } from '../diffusion/guidance.js';
import { SCHEDULER_NAMES, TIMESTEP_SPACINGS } from '../diffusion/schedulers.js';
import { MAX_CFG, SAMPLE_DEFAULTS } from '../diffusion/sampler.js';
import { GENERATE_DEFAULTS } from '../diffusion/generate.js';
import { DEFAULT_GENERATOR, DEFAULT_GUIDE } from '../diffusion/load.js';

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

/** Largest sampler batch over HTTP (a guided svdd batch runs the model on batch x candidates images). */
export const MAX_HTTP_BATCH = 64;

const modelRef = z.string().min(1).max(200);

/** The `guidance` object of POST /v1/generate: classifier-feedback guidance (the CLI's --guidance flags). */
export const GuidanceRequestSchema = z.strictObject({
  criterion: z.enum(CRITERIA).describe('what makes an image hard: entropy and loss are maximised, margin minimised (--guidance)'),
  mode: z.enum(GUIDANCE_MODES).optional().describe('gradient (default; needs a classifier with gradient outputs), svdd or particles (forward passes only; need scheduler ddpm, or ddim with eta > 0)'),
  scale: z.number().min(0).max(1000).optional().describe('gradient: step size (default 0.03); svdd: temperature (default 0 = hardest candidate); particles: lambda (default 10)'),
  steps: z.union([z.array(z.number().int().min(0)).min(1).max(100_000), z.number().int().min(1)]).optional()
    .describe('sampling step indices (0-based) where guidance acts, or a count of evenly spread steps (default per mode)'),
  candidates: z.number().int().min(2).max(MAX_CANDIDATES).optional().describe('svdd: candidates per step (default 4); particles: particles per image (default 4)'),
  classifier: modelRef.optional().describe(`a classifier under models/ (see GET /v1/catalog) or an uploaded classifier id (POST /v1/classifiers); default ${DEFAULT_GUIDE}. File paths are refused.`),
}).describe('classifier-feedback guidance');

/** POST /v1/generate: the options of `synth generate`. */
export const GenerateRequestSchema = z.strictObject({
  model: modelRef.optional().describe(`a denoiser under models/ (default ${DEFAULT_GENERATOR}); file paths are refused`),
  classes: z.array(z.string().min(1).max(200)).min(1).max(10_000).describe('class names of the model (see GET /v1/catalog), in output order'),
  count: z.number().int().min(1).max(1_000_000).optional().describe(`images per class (default ${GENERATE_DEFAULTS.count}); classes x count at most maxGenerateCount, answered synchronously up to maxSyncGenerate`),
  steps: z.number().int().min(1).max(100_000).optional().describe('sampling steps (default: the model\'s, else 25); at most the model\'s training timesteps'),
  cfg: z.number().min(0).max(MAX_CFG).optional().describe('classifier-free guidance weight (1 = none; default: the model\'s)'),
  scheduler: z.enum(SCHEDULER_NAMES).optional().describe('default: the model\'s'),
  eta: z.number().min(0).max(1).optional().describe('DDIM stochasticity (ddim only)'),
  spacing: z.enum(TIMESTEP_SPACINGS).optional().describe('timestep spacing (default: the scheduler\'s)'),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe(`default ${SAMPLE_DEFAULTS.seed}`),
  batch: z.number().int().min(1).max(MAX_HTTP_BATCH).optional().describe(`images per sampler batch (default ${SAMPLE_DEFAULTS.batch})`),
  name: z.string().min(1).max(200).regex(/^[\x20-\x7e]+$/).optional().describe('job name (default: <model>-generated)'),
  guidance: GuidanceRequestSchema.optional(),
}).describe('a generation request; the fields are the flags of synth generate');

/** POST /v1/classifiers: a classifier's model.json and its ONNX file. */
export const ClassifierUploadSchema = z.strictObject({
  name: z.string().min(1).max(200).regex(/^[\x20-\x7e]+$/).optional().describe('display name (default: the manifest\'s name)'),
  manifest: z.looseObject({}).describe('the contents of model.json (format synth-classifier-model/1; see models/README.md); `file` is ignored, the ONNX file is stored as model.onnx'),
  model: z.string().min(1).describe('the ONNX file, base64 (decoded at most maxClassifierBytes)'),
  forward: z.string().min(1).optional().describe('optional: the same classifier without gradient outputs (forward.onnx from models/train/export_guided.py), base64; used for logits-only calls, since ONNX Runtime runs a whole graph whatever outputs are fetched'),
}).describe('a classifier to upload');

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

/** A generator or classifier the service can use (GET /v1/catalog, GET /v1/classifiers). */
export const ModelInfoSchema = z.object({
  ref: z.string().describe('what to pass as `model` or `guidance.classifier`: a name under models/, or an upload id'),
  name: z.string(),
  kind: z.enum(['denoiser', 'classifier']),
  source: z.enum(['models', 'upload']),
  description: z.union([z.string(), z.null()]),
  classes: z.array(z.string()),
  image: z.object({ width: z.number().int(), height: z.number().int(), channels: z.number().int() }).describe('fixed by the model'),
  trainingTimesteps: z.union([z.number().int(), z.null()]).describe('denoisers: the most sampling steps'),
  defaults: z.union([z.record(z.string(), z.unknown()), z.null()]).describe('denoisers: the sampler defaults of model.json'),
  gradients: z.array(z.enum(CRITERIA)).describe('classifiers: criteria with input-gradient outputs (gradient guidance); [] = forward-only (svdd, particles)'),
});

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
  imageFormats: z.array(z.enum(['png', 'jpeg', 'webp', 'raw'])),
  writerFormats: z.array(z.enum(WRITER_FORMATS)),
  models: z.array(ModelInfoSchema).describe('diffusion generators and classifiers: committed ones under models/, then uploaded classifiers'),
  limits: z.object({
    bodyLimit: z.number().int(), maxSyncBatch: z.number().int(), maxResolution: z.number().int(),
    maxQueuedJobs: z.number().int(), maxDatasetCount: z.number().int(), maxStreamCount: z.number().int(),
    maxSyncGenerate: z.number().int(), maxGenerateCount: z.number().int(), maxClassifierBytes: z.number().int(),
  }),
});

/** An uploaded classifier. */
export const ClassifierSchema = ModelInfoSchema.extend({
  id: z.uuid(),
  createdAt: z.string(),
  bytes: z.number().int().describe('size of the ONNX file'),
  sha256: z.string().describe('sha256 of the ONNX file'),
  links: z.object({ self: z.string() }),
});

/** GET /v1/classifiers. */
export const ClassifierListSchema = z.object({ classifiers: z.array(ClassifierSchema) });

/** One image of a synchronous POST /v1/generate (a metadata.jsonl record with the image). */
export const GeneratedImageSchema = z.object({
  id: z.string(), index: z.number().int(), class: z.string(), label: z.number().int().describe('the class\'s position among the requested classes sorted by name (ImageFolder\'s order, as in exports); the model\'s own class index conditions the sampler'),
  seed: z.number().int(), noiseIndex: z.number().int().describe('the noise stream: the k-th image of every class uses k'),
  sampler: z.object({ model: z.string(), scheduler: z.string(), steps: z.number().int(), cfg: z.number(), eta: z.number(), timestepSpacing: z.union([z.string(), z.null()]) }),
  guidance: z.union([z.looseObject({ criterion: z.enum(CRITERIA), mode: z.enum(GUIDANCE_MODES), scale: z.number(), steps: z.array(z.number().int()), candidates: z.number().int(), classifier: z.string() }), z.null()]),
  criterion: z.union([z.number(), z.null()]).describe('the guidance classifier\'s criterion on the final image'),
  sha256: z.string(), bytes: z.number().int(),
  mime: z.literal('image/png'),
  png: z.string().describe('the PNG, base64'),
});

/** POST /v1/generate, answered synchronously as JSON. */
export const GenerateResponseSchema = z.object({
  model: z.string(),
  settings: z.looseObject({ scheduler: z.string(), steps: z.number().int(), cfg: z.number(), eta: z.number(), seed: z.number().int(), perClass: z.number().int(), batch: z.number().int() }),
  guidance: GeneratedImageSchema.shape.guidance,
  images: z.array(GeneratedImageSchema),
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
  mime: z.enum(['image/png', 'image/jpeg', 'image/webp', 'application/x-npy']).describe('application/x-npy: a raw uint8 [H, W, 3] NumPy array (spec format raw)'),
});

/** POST /v1/render with Accept: application/json. */
export const RenderResponseSchema = z.object({ samples: z.array(SampleSchema) });

/** States of a dataset job. */
export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;

/** Kinds of job: a rendered export (POST /v1/datasets) or a diffusion generation (POST /v1/generate). */
export const JOB_KINDS = ['export', 'generate', 'batch'] as const;

/** A dataset job as the API shows it. */
export const JobSchema = z.object({
  id: z.uuid(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATES),
  name: z.string(),
  formats: z.array(z.enum(WRITER_FORMATS)),
  shardSize: z.union([z.number().int(), z.null()]).describe('null for generate and batch jobs'),
  createdAt: z.string(), startedAt: z.union([z.string(), z.null()]), finishedAt: z.union([z.string(), z.null()]),
  progress: z.object({
    done: z.number().int(), total: z.number().int(), rate: z.number().describe('samples per second in this run'),
    etaSeconds: z.union([z.number(), z.null()]), elapsedSeconds: z.number(),
  }),
  restarts: z.number().int().describe('times the job was resumed (export) or restarted from scratch (generate, batch) after a server restart'),
  error: z.union([z.object({ code: z.string(), message: z.string() }), z.null()]),
  session: z.string().optional().describe('batch jobs: the session whose next batch the job makes (its tar: files/batch-<b>.tar)'),
  links: z.object({ self: z.string(), files: z.string(), manifest: z.union([z.string(), z.null()]).describe('null for batch jobs'), shards: z.union([z.string(), z.null()]) }),
});

/** GET /v1/datasets. */
export const JobListSchema = z.object({ datasets: z.array(JobSchema) });

/** GET /v1/datasets/:id/files. */
export const FileListSchema = z.object({ files: z.array(z.object({ path: z.string(), bytes: z.number().int() })) });
