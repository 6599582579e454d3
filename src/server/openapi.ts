/**
 * The OpenAPI 3.1 document of the API, generated from the zod schemas in schemas.ts (which validate
 * the requests) with z.toJSONSchema. Request bodies use the schemas' input form (defaults optional),
 * responses their output form.
 */
import { z } from 'zod';
import { SpecSchema, DistributionSchema } from '../spec/schema.js';
import { SYNTH_VERSION } from '../core/version.js';
import type { ServerLimits } from './config.js';
import {
  RenderRequestSchema, RenderEnvelopeSchema, DatasetRequestSchema, DatasetEnvelopeSchema, StreamRequestSchema, StreamEnvelopeSchema,
  ErrorSchema, IssueSchema, HealthSchema, CatalogSchema, SampleSchema, RenderResponseSchema, JobSchema, JobListSchema, FileListSchema,
  GenerateRequestSchema, GuidanceRequestSchema, ClassifierUploadSchema, ModelInfoSchema, ClassifierSchema, ClassifierListSchema,
  GeneratedImageSchema, GenerateResponseSchema,
} from './schemas.js';
import { SESSION_REQUEST_SCHEMAS, SESSION_RESPONSE_SCHEMAS, sessionPaths } from './session-schemas.js';
import { EVALUATION_REQUEST_SCHEMAS, EVALUATION_RESPONSE_SCHEMAS, evaluationPaths } from './evaluations.js';

type Json = Record<string, unknown>;

const REQUESTS: Record<string, z.ZodType> = {
  Spec: SpecSchema, Distribution: DistributionSchema,
  RenderRequest: RenderRequestSchema, RenderEnvelope: RenderEnvelopeSchema,
  DatasetRequest: DatasetRequestSchema, DatasetEnvelope: DatasetEnvelopeSchema,
  StreamRequest: StreamRequestSchema, StreamEnvelope: StreamEnvelopeSchema,
  GenerateRequest: GenerateRequestSchema, GuidanceRequest: GuidanceRequestSchema, ClassifierUpload: ClassifierUploadSchema,
  ...SESSION_REQUEST_SCHEMAS,
  ...EVALUATION_REQUEST_SCHEMAS,
};

const RESPONSES: Record<string, z.ZodType> = {
  Error: ErrorSchema, Issue: IssueSchema, Health: HealthSchema, Catalog: CatalogSchema, Sample: SampleSchema,
  RenderResponse: RenderResponseSchema, Job: JobSchema, JobList: JobListSchema, FileList: FileListSchema,
  ModelInfo: ModelInfoSchema, Classifier: ClassifierSchema, ClassifierList: ClassifierListSchema,
  GeneratedImage: GeneratedImageSchema, GenerateResponse: GenerateResponseSchema,
  ...SESSION_RESPONSE_SCHEMAS,
  ...EVALUATION_RESPONSE_SCHEMAS,
};

/** JSON Schemas of a set of zod schemas as OpenAPI components (shared sub-schemas become $refs). */
function componentSchemas(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, io, unrepresentable: 'any', target: 'draft-2020-12' }) as { schemas: Record<string, Json> };
  for (const s of Object.values(out.schemas)) {
    delete s.$schema; // implied by OpenAPI 3.1's jsonSchemaDialect
    delete s.$id;
  }
  return out.schemas;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: string) => ({ 'application/json': { schema: ref(name) } });
const binary = { type: 'string', contentMediaType: 'application/octet-stream' };

function errors(...statuses: number[]): Json {
  const text: Record<number, string> = {
    400: 'invalid body (details.issues: path, expected, received) or a cap exceeded (code limit_exceeded)', 401: 'missing or invalid bearer token',
    404: 'unknown job, classifier, file or route', 405: 'method not allowed on this path (Allow lists the methods)', 406: 'the Accept header allows none of the answers',
    409: 'the job is already finished', 413: 'body over bodyLimit (classifier uploads: an ONNX file over maxClassifierBytes)', 415: 'body is not JSON', 429: 'job queue full (Retry-After)', 500: 'render or internal failure (no internals shown)',
    503: 'shutting down',
  };
  return Object.fromEntries(statuses.map((s) => [String(s), { description: text[s], content: jsonContent('Error') }]));
}

/** The OpenAPI 3.1 document for an app with these limits (and bearer auth when `auth`). */
export function buildOpenApi(limits: ServerLimits, opts: { auth: boolean }): Json {
  const schemas = { ...componentSchemas(REQUESTS, 'input'), ...componentSchemas(RESPONSES, 'output') };
  const common = [401, 406, 500, 503];
  const jobId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' } };
  const security = opts.auth ? [{ bearer: [] }] : [];
  const body = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'synth: labelled synthetic images from factor specs', version: SYNTH_VERSION,
      description: `Caps: body ${limits.bodyLimit} bytes, ${limits.maxSyncBatch} samples per POST /v1/render, sides <= ${limits.maxResolution} px, `
        + `${limits.maxQueuedJobs} queued jobs, ${limits.maxDatasetCount} samples per job, ${limits.maxStreamCount} per stream, `
        + `${limits.maxSyncGenerate} images per synchronous POST /v1/generate and ${limits.maxGenerateCount} per generation, classifier uploads of ${limits.maxClassifierBytes} bytes. Every error answers {error: {code, message, details}}.`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security,
    paths: {
      '/v1/health': {
        get: { summary: 'liveness, renderer, queue depth, running jobs, version', security: [], responses: { 200: { description: 'alive', content: jsonContent('Health') }, ...errors(405, 406, 503) } },
      },
      '/v1/catalog': {
        get: { summary: 'classes, factors, textures, environments, colours, label passes, formats, models, limits', responses: { 200: { description: 'the catalog', content: jsonContent('Catalog') }, ...errors(...common) } },
      },
      '/v1/openapi.json': {
        get: { summary: 'this document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors(...common) } },
      },
      '/v1/render': {
        post: {
          summary: `render up to ${limits.maxSyncBatch} samples synchronously`,
          description: 'Accept picks the answer: application/json (default; every sample with base64 image), image/png|jpeg|webp (the first sample; X-Synth-Sample carries its id, class, label, factors as JSON), application/x-tar (a WebDataset tar of the batch).',
          requestBody: body('RenderRequest'),
          responses: {
            200: {
              description: 'the samples',
              headers: { 'X-Synth-Sample': { description: 'image answers: JSON {id, index, seed, class, label, factors, caption, sha256}', schema: { type: 'string' } } },
              content: {
                'application/json': { schema: ref('RenderResponse') },
                'image/png': { schema: binary }, 'image/jpeg': { schema: binary }, 'image/webp': { schema: binary },
                'application/x-tar': { schema: binary },
              },
            },
            ...errors(400, 413, 415, ...common),
          },
        },
      },
      '/v1/stream': {
        post: {
          summary: 'stream a WebDataset tar while samples render (chunked); rendering stops when the client disconnects',
          requestBody: body('StreamRequest'),
          responses: { 200: { description: 'tar members <key>.png, <key>.json, <key>.cls and label maps, in index order', content: { 'application/x-tar': { schema: binary } } }, ...errors(400, 413, 415, ...common) },
        },
      },
      '/v1/datasets': {
        get: { summary: 'list dataset jobs', responses: { 200: { description: 'jobs, oldest first', content: jsonContent('JobList') }, ...errors(...common) } },
        post: {
          summary: 'queue a dataset export job (one runs at a time; jobs survive restarts)',
          requestBody: body('DatasetRequest'),
          responses: { 202: { description: 'queued; Location is the job', content: jsonContent('Job') }, ...errors(400, 413, 415, 429, ...common) },
        },
      },
      '/v1/datasets/{id}': {
        get: { summary: 'a job: status and progress', parameters: [jobId], responses: { 200: { description: 'the job', content: jsonContent('Job') }, ...errors(400, 404, ...common) } },
        delete: { summary: 'cancel a queued or running job (an export keeps its files; a generate or batch job leaves none)', parameters: [jobId], responses: { 200: { description: 'the cancelled job', content: jsonContent('Job') }, ...errors(400, 404, 409, ...common) } },
      },
      '/v1/datasets/{id}/files': {
        get: { summary: 'files of a job\'s dataset', parameters: [jobId], responses: { 200: { description: 'relative paths and sizes', content: jsonContent('FileList') }, ...errors(400, 404, ...common) } },
      },
      '/v1/datasets/{id}/files/{path}': {
        get: {
          summary: 'download a file of a job\'s dataset (manifest.json, metadata.jsonl, images/..., coco.json, shards/...); Range supported',
          parameters: [jobId, { name: 'path', in: 'path', required: true, description: 'relative path; may contain /', schema: { type: 'string' } }],
          responses: { 200: { description: 'the file', content: { 'application/octet-stream': { schema: binary } } }, 206: { description: 'a byte range' }, ...errors(400, 404, 401, 500, 503) },
        },
      },
      '/v1/generate': {
        post: {
          summary: `sample a diffusion model (the options of synth generate); up to ${limits.maxSyncGenerate} images answer at once, more queue a generate job`,
          description: 'Every check (model, sampler settings, classes, guidance and its classifier) runs first; a bad value answers 400 naming its body path. '
            + `Then, with Accept: application/json and at most maxSyncGenerate (${limits.maxSyncGenerate}) images, the answer is 200 with every image; with more, 202 and a generate job `
            + '(Location /v1/datasets/{id}; status, cancel and files as for dataset jobs; a job stopped by a restart runs again from scratch). '
            + 'Accept: image/png answers the first image (first class, noise index 0) with its record in X-Synth-Sample. '
            + 'Runs of every generation share one queue of ONNX runs, so they interleave step by step.',
          requestBody: body('GenerateRequest'),
          responses: {
            200: {
              description: 'the images',
              headers: { 'X-Synth-Sample': { description: 'image/png answers: the image\'s metadata.jsonl record as JSON', schema: { type: 'string' } } },
              content: { 'application/json': { schema: ref('GenerateResponse') }, 'image/png': { schema: binary } },
            },
            202: { description: 'a generate job; Location is the job', content: jsonContent('Job') },
            ...errors(400, 413, 415, 429, ...common),
          },
        },
      },
      '/v1/classifiers': {
        get: { summary: 'uploaded classifiers', responses: { 200: { description: 'oldest first', content: jsonContent('ClassifierList') }, ...errors(...common) } },
        post: {
          summary: 'upload a classifier (model.json contents and the ONNX file as base64) to guide POST /v1/generate',
          description: `The ONNX file may have at most maxClassifierBytes (${limits.maxClassifierBytes}) bytes (413 above). It is checked as synth generate loads it: `
            + 'the manifest schema, the graph\'s input and output names, dtypes, ranks and sizes against the manifest, and a test inference (class count, finite outputs); '
            + 'a failure answers 400 with the problem and nothing is kept.',
          requestBody: body('ClassifierUpload'),
          responses: { 201: { description: 'stored; Location is the classifier; its id is a guidance.classifier', content: jsonContent('Classifier') }, ...errors(400, 413, 415, ...common) },
        },
      },
      '/v1/classifiers/{id}': {
        get: { summary: 'an uploaded classifier', parameters: [jobId], responses: { 200: { description: 'the classifier', content: jsonContent('Classifier') }, ...errors(400, 404, ...common) } },
        delete: { summary: 'delete an uploaded classifier (a run using it finishes)', parameters: [jobId], responses: { 200: { description: 'the deleted classifier', content: jsonContent('Classifier') }, ...errors(400, 404, ...common) } },
      },
      '/v1/datasets/{id}/shards/{n}': {
        get: {
          summary: 'download WebDataset shard n (jobs with the webdataset format)',
          parameters: [jobId, { name: 'n', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } }],
          responses: { 200: { description: 'the tar shard', content: { 'application/x-tar': { schema: binary } } }, ...errors(400, 404, 401, 500, 503) },
        },
      },
      ...sessionPaths({ ref, jsonContent, body, errors, binary, common }),
      ...evaluationPaths({ ref, jsonContent, body, errors, binary, common }),
    },
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'one of the keys in SYNTH_API_KEYS (only when that is set)' } },
    },
  };
}
