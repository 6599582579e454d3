/**
 * Zod schemas of the sessions API (the trainer feedback loop): request bodies and answers. The
 * OpenAPI document is built from them (openapi.ts); the routes validate the envelopes with them (the
 * spec inside goes through parseSpec, and feedback records through one hand-written pass for speed,
 * with the same rules as FeedbackRecordSchema).
 */
import { z } from 'zod';
import { SpecSchema } from '../spec/schema.js';
import { SESSION_DEFAULTS, SessionOptionsSchema } from '../feedback/session.js';
import { STRATEGIES } from '../feedback/strategy.js';
import { GuidedOptionsSchema } from '../feedback/guided-options.js';
import { MAX_ID_LENGTH } from '../feedback/ingest.js';

const strategy = z.enum(STRATEGIES);

/** POST /v1/sessions. */
export const SessionCreateSchema = z.strictObject({
  spec: SpecSchema,
  strategy: strategy.optional().describe(`how batches choose samples (default ${SESSION_DEFAULTS.strategy}): uniform (the spec's own sampling), hardness (class and factor bins from (1-ε)·softmax(hardness/τ) + ε·uniform), pruned (k·n uniform candidates, the n the session's classifier finds hardest), guided (classes from the class mixture, images from the diffusion generator steered by the session's classifier: options.guided)`),
  options: SessionOptionsSchema.optional(),
}).describe('a factor spec, the strategy and its options');

/** The fields of SessionCreateSchema beside the spec (checked before the spec). */
export const SessionFieldsSchema = SessionCreateSchema.omit({ spec: true });

/** One feedback record. */
export const FeedbackRecordSchema = z.strictObject({
  id: z.string().min(1).max(MAX_ID_LENGTH).describe('a served sample id (the `id` of its json: <sessionId>-<n>)'),
  loss: z.number().min(0).optional().describe('the trainer\'s loss on the sample (finite, >= 0)'),
  correct: z.boolean().optional().describe('whether the trainer\'s model got it right'),
}).describe('at least one of loss and correct');

/** POST /v1/sessions/:id/feedback. */
export const FeedbackRequestSchema = z.strictObject({ records: z.array(FeedbackRecordSchema) });

/** The answer of POST /v1/sessions/:id/feedback. */
export const FeedbackResponseSchema = z.object({
  accepted: z.number().int().describe('records applied to the hardness map'),
  rejected: z.number().int().describe('records with an id of no served sample of this session (never applied)'),
  unknown: z.number().int(),
  otherSession: z.number().int().describe('rejected ids that belong to another session'),
  unknownIds: z.array(z.string()).describe('the first rejected ids'),
});

/** POST /v1/sessions/:id/batches. */
export const BatchRequestSchema = z.strictObject({
  n: z.number().int().min(1).describe('samples in the batch (at most maxStreamCount; pruned renders n·candidates)'),
  strategy: strategy.optional().describe('this batch\'s strategy (default: the session\'s)'),
});

/** POST /v1/sessions/:id/classifier: an upload, or a classifier uploaded to POST /v1/classifiers. */
export const SessionClassifierRequestSchema = z.union([
  z.strictObject({
    manifest: z.record(z.string(), z.unknown()).describe('model.json of the classifier (format synth-classifier-model/1)'),
    model: z.string().min(1).describe('the ONNX file, base64'),
    forward: z.string().min(1).optional().describe('the forward-only graph of a classifier with gradient outputs, base64 (see POST /v1/classifiers)'),
  }),
  z.strictObject({ classifierId: z.string().min(1).describe('the id of a classifier uploaded with POST /v1/classifiers') }),
]);

const nullableNumber = z.union([z.number(), z.null()]);
const source = z.object({ records: z.number().int(), meanLoss: nullableNumber, errorRate: nullableNumber });

/** The classifier snapshot of a session. */
export const SessionClassifierSchema = z.union([z.object({
  name: z.string(), classes: z.array(z.string()), image: z.tuple([z.number().int(), z.number().int()]),
  source: z.string().describe('upload, classifier:<id>, or a path (CLI)'), installedAt: z.string(),
}), z.null()]);

/** GET /v1/sessions/:id. */
export const SessionSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: z.string(),
  strategy,
  seed: z.number().int(),
  options: z.object({
    bins: z.number().int(), factors: z.array(z.string()), epsilon: z.number(), temperature: nullableNumber, temperatureScale: z.number(),
    halfLife: z.number(), priorWeight: z.number(), signal: z.enum(['auto', 'loss', 'error']), candidates: z.number().int(),
    guided: GuidedOptionsSchema.optional(),
    balanceClasses: z.boolean().optional(),
    neighbours: z.number(), hardFraction: z.number(), recent: z.number().int(),
  }),
  spec: z.record(z.string(), z.unknown()).describe('the spec as given'),
  labels: z.array(z.string()).describe('the class names in label order: a sample\'s label (its .cls) is the index of its class here, the spec\'s classes sorted by name (ImageFolder\'s order, as classes.txt of an export)'),
  counts: z.object({ batches: z.number().int(), served: z.number().int(), drawn: z.number().int().describe('scene indices used (pruned draws k per kept sample)') }),
  feedback: z.object({
    batches: z.number().int(), accepted: z.number().int(), rejected: z.number().int(), unknown: z.number().int(), otherSession: z.number().int(),
    bySource: z.object({ uniform: source, hardness: source, pruned: source, guided: source }).describe('feedback on the samples each strategy made'),
  }),
  hardness: z.object({
    signal: z.union([z.enum(['loss', 'error']), z.null()]).describe('what hardness is: mean loss or error rate; null before any feedback'),
    temperature: z.number().describe('τ in use (0: no feedback yet, draws are uniform)'),
    epsilon: z.number(),
    global: z.object({ loss: nullableNumber, lossStd: nullableNumber, errorRate: nullableNumber, records: z.number() }),
    neighbours: z.object({
      share: z.number().describe('share of hardness draws made in the joint cells of the hardest recent records'), hardFraction: z.number(),
      records: z.number().int().describe('recent feedback records kept'), hard: z.number().int().describe('records whose joint cells neighbours are drawn in'),
      minScore: nullableNumber.describe('the lowest loss (or error) among them'),
    }),
    classes: z.array(z.object({
      class: z.string(), hardness: z.number(), loss: nullableNumber, errorRate: nullableNumber, weight: z.number().describe('decayed records'),
      records: z.number(), probability: z.number().describe('chance the next hardness sample has this class'),
    })),
    factors: z.array(z.object({
      factor: z.string(), kind: z.enum(['range', 'values']),
      bins: z.array(z.object({
        bin: z.number().int(), label: z.string(), hardness: z.number().describe('over all classes'), loss: nullableNumber, errorRate: nullableNumber,
        weight: z.number(), records: z.number(), probability: z.number(), byClass: z.array(z.number()).describe('hardness of (class, factor, bin), in class order'),
      })),
    })),
  }),
  classifier: SessionClassifierSchema,
});

/** GET /v1/sessions. */
export const SessionListSchema = z.object({
  sessions: z.array(z.object({
    id: z.uuid(), name: z.string(), createdAt: z.string(), strategy,
    counts: z.object({ batches: z.number().int(), served: z.number().int(), drawn: z.number().int(), feedbackBatches: z.number().int(), accepted: z.number().int(), rejected: z.number().int() }),
  })),
});

/** Request schemas of the sessions API, by OpenAPI component name. */
export const SESSION_REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  SessionCreateRequest: SessionCreateSchema, SessionOptions: SessionOptionsSchema, FeedbackRequest: FeedbackRequestSchema,
  BatchRequest: BatchRequestSchema, SessionClassifierRequest: SessionClassifierRequestSchema,
};

/** Answer schemas of the sessions API, by OpenAPI component name. */
export const SESSION_RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  Session: SessionSchema, SessionList: SessionListSchema, FeedbackResponse: FeedbackResponseSchema,
};

type Json = Record<string, unknown>;

/** Helpers of openapi.ts the session paths are written with. */
export interface OpenApiHelpers {
  ref(name: string): Json;
  jsonContent(name: string): Json;
  body(name: string): Json;
  errors(...statuses: number[]): Json;
  binary: Json;
  common: number[];
}

/** The OpenAPI paths of the sessions API. */
export function sessionPaths(h: OpenApiHelpers): Record<string, Json> {
  const id = { name: 'id', in: 'path', required: true, description: 'a session id', schema: { type: 'string', format: 'uuid' } };
  return {
    '/v1/sessions': {
      get: { summary: 'list feedback sessions', responses: { 200: { description: 'sessions, oldest first', content: h.jsonContent('SessionList') }, ...h.errors(...h.common) } },
      post: {
        summary: 'start a feedback session: a spec, a strategy (uniform, hardness, pruned) and options; sessions survive restarts',
        requestBody: h.body('SessionCreateRequest'),
        responses: { 201: { description: 'the session; Location is its URL', content: h.jsonContent('Session') }, ...h.errors(400, 413, 415, ...h.common) },
      },
    },
    '/v1/sessions/{id}': {
      get: { summary: 'a session: counts served, feedback accepted and rejected, per-class and per-factor-bin hardness, the mixture in use', parameters: [id], responses: { 200: { description: 'the session', content: h.jsonContent('Session') }, ...h.errors(400, 404, ...h.common) } },
      delete: { summary: 'delete a session and its files', parameters: [id], responses: { 200: { description: 'deleted', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, deleted: { type: 'boolean' } } } } } }, ...h.errors(400, 404, ...h.common) } },
    },
    '/v1/sessions/{id}/feedback': {
      post: {
        summary: 'report per-sample losses and/or correctness of served samples; unknown and other sessions\' ids are counted and never applied',
        description: 'A malformed record makes the whole batch a 400 naming its index (records[17].loss: expected a finite number >= 0, got "x"); nothing is applied then. A loss above 1e6 (cap MAX_LOSS) is malformed. A post with an Idempotency-Key header that the session has applied before is answered with its first answer (header Idempotent-Replayed: true) and applied no second time (the newest 1,000 keys per session are kept, across restarts).',
        parameters: [id, { name: 'Idempotency-Key', in: 'header', required: false, description: 'a key of 1 to 200 visible ASCII characters, one per post (a UUID); a retry sends the same key', schema: { type: 'string', maxLength: 200 } }], requestBody: h.body('FeedbackRequest'),
        responses: { 200: { description: 'what was applied', content: h.jsonContent('FeedbackResponse') }, ...h.errors(400, 404, 413, 415, ...h.common) },
      },
    },
    '/v1/sessions/{id}/batches': {
      post: {
        summary: 'the next batch as a WebDataset tar streamed as samples render (members as POST /v1/stream; each json carries the session sample id, factors, strategy, bins and hardness or criterion); with ?as=job, a batch job that writes the same tar',
        parameters: [id, { name: 'as', in: 'query', required: false, description: '`job`: answer 202 with a batch job under /v1/datasets (its tar: files/batch-<b>.tar; n capped by maxDatasetCount instead of maxStreamCount)', schema: { type: 'string', enum: ['job'] } }],
        requestBody: h.body('BatchRequest'),
        responses: {
          202: { description: 'a batch job (?as=job); Location is the job', content: h.jsonContent('Job') },
          200: {
            description: 'tar members <id>.png, <id>.json, <id>.cls and label maps, where <id> is the session sample id to report feedback on',
            headers: { 'X-Synth-Batch': { description: 'the batch number', schema: { type: 'integer' } }, 'X-Synth-Count': { description: 'samples in the tar', schema: { type: 'integer' } } },
            content: { 'application/x-tar': { schema: h.binary } },
          },
          ...h.errors(400, 404, 409, 413, 415, 429, ...h.common),
        },
      },
    },
    '/v1/sessions/{id}/classifier': {
      post: {
        summary: 'install the session\'s classifier snapshot (for pruned): {manifest, model: base64 ONNX}, or {classifierId} of one uploaded to POST /v1/classifiers; it must load and know every class the session draws',
        parameters: [id], requestBody: h.body('SessionClassifierRequest'),
        responses: { 200: { description: 'the session, with its classifier', content: h.jsonContent('Session') }, ...h.errors(400, 404, 413, 415, ...h.common) },
      },
    },
  };
}
