/**
 * Request bodies to validated work: the envelope checked by its zod schema, the spec by parseSpec
 * (so messages match the CLI's, with `spec.` in front inside an envelope), then the service's caps.
 * Every failure is an HttpError 400 whose details list {path, expected, received, message}.
 */
import type { z } from 'zod';
import { InputError, describeValue } from '../core/errors.js';
import { parseSpec, zodIssues, type Spec } from '../spec/schema.js';
import { planSampling, type SamplingPlan } from '../spec/sample.js';
import type { Catalog } from '../spec/catalog.js';
import { EXPORT_DEFAULTS, type WriterFormat } from '../export/export.js';
import { WRITER_FORMATS } from '../export/manifest.js';
import { HttpError, badField, badInput } from './errors.js';
import { ClassifierUploadSchema, DatasetEnvelopeSchema, GenerateRequestSchema, RenderEnvelopeSchema, StreamEnvelopeSchema } from './schemas.js';
import { GENERATE_DEFAULTS } from '../diffusion/generate.js';
import type { ServerLimits } from './config.js';

/** Deepest JSON nesting accepted in a body (a spec needs 5). */
export const MAX_BODY_DEPTH = 32;

/** A validated spec and its sampling plan, with the raw JSON it came from (kept for job files). */
export interface ValidSpec {
  spec: Spec;
  plan: SamplingPlan;
  raw: Record<string, unknown>;
  /** `spec.` inside an envelope, '' for a bare spec: the prefix of error paths. */
  prefix: string;
}

/** An InputError from a zod error on `input`, in parseSpec's wording. */
function zodInputError(error: z.ZodError, input: unknown): InputError {
  return new InputError(zodIssues(error, [], input, 'body'));
}

/** Nesting depth of a JSON value, without recursion (bodies can be deep on purpose). */
export function jsonDepth(value: unknown, stopAt = MAX_BODY_DEPTH + 1): number {
  // The deepest level of any value (the root is level 0). Only containers are pushed: a 1 MB array
  // of numbers or strings costs one pass and no allocation.
  if (typeof value !== 'object' || value === null) return 0;
  let max = 0;
  const values: object[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop()!;
    const d = depths.pop()!;
    const children = Array.isArray(v) ? v : Object.values(v);
    if (children.length > 0 && d + 1 > max) max = d + 1;
    if (max >= stopAt) return max;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (typeof child !== 'object' || child === null) continue;
      values.push(child);
      depths.push(d + 1);
    }
  }
  return max;
}

/** Each envelope without its `spec` field, derived once (a derived zod schema compiles its parser on first use). */
const fieldsSchemas = new WeakMap<z.ZodObject, z.ZodObject>();
function fieldsSchema(envelope: z.ZodObject): z.ZodObject {
  let schema = fieldsSchemas.get(envelope);
  if (!schema) {
    schema = envelope.omit({ spec: true } as never);
    fieldsSchemas.set(envelope, schema);
  }
  return schema;
}

/**
 * Split a body into its spec and envelope fields: `{spec, ...}` is an envelope (a spec has no `spec`
 * key), anything else is a bare spec.
 */
function unwrap<T extends z.ZodObject>(body: unknown, envelope: T): { rawSpec: unknown; fields: Partial<z.infer<T>>; prefix: string } {
  if (body === undefined) throw badField('body', 'a JSON object (Content-Type: application/json)', 'no body');
  if (jsonDepth(body) > MAX_BODY_DEPTH) throw badField('body', `JSON nested at most ${MAX_BODY_DEPTH} levels deep`, 'deeper nesting');
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'spec')) {
    // The envelope's own fields are checked by zod here; the spec goes through parseSpec after.
    const fieldsOnly = { ...(body as Record<string, unknown>) };
    delete fieldsOnly.spec;
    const check = fieldsSchema(envelope).safeParse(fieldsOnly);
    if (!check.success) throw badInput(zodInputError(check.error, fieldsOnly));
    return { rawSpec: (body as Record<string, unknown>).spec, fields: check.data as unknown as Partial<z.infer<T>>, prefix: 'spec.' };
  }
  return { rawSpec: body, fields: {}, prefix: '' };
}

/** parseSpec with `prefix` on every path, background files refused, sides capped, then planned. */
export function validateSpec(rawSpec: unknown, prefix: string, catalog: Catalog, limits: ServerLimits): ValidSpec {
  const at = (path: string) => (prefix ? (path === 'spec' || path === '' ? 'spec' : `${prefix}${path}`) : path);
  let spec: Spec;
  let plan: SamplingPlan;
  try {
    spec = parseSpec(rawSpec, catalog);
    if (spec.backgrounds.length > 0) {
      throw badField(at('backgrounds'), '[] over HTTP (background image files are read from the server\'s disk; use a named environment)', describeValue(spec.backgrounds));
    }
    const [w, h] = spec.resolution;
    if (w > limits.maxResolution || h > limits.maxResolution) {
      throw badField(at('resolution'), `sides of at most ${limits.maxResolution} pixels (cap maxResolution)`, describeValue(spec.resolution), 'limit_exceeded');
    }
    plan = planSampling(spec, catalog);
  } catch (err) {
    if (err instanceof InputError) {
      throw badInput(new InputError(err.issues.map((i) => {
        const path = at(i.path);
        const message = i.message.startsWith(`${i.path}: `) ? `${path}: ${i.message.slice(i.path.length + 2)}` : path ? `${path}: ${i.message}` : i.message;
        return { ...i, path, message };
      })));
    }
    throw err;
  }
  return { spec, plan, raw: rawSpec as Record<string, unknown>, prefix };
}

function capCount(v: ValidSpec, count: number, cap: number, capName: keyof ServerLimits, route: string): void {
  if (count <= cap) return;
  const note = v.spec.count > 0 ? '' : ` (${v.spec.mode === 'random' ? 'the default count' : `the ${v.spec.mode}'s cells`})`;
  throw badField(`${v.prefix}count`, `at most ${cap} for ${route} (cap ${capName})`, `${count}${note}`, 'limit_exceeded');
}

/** A validated POST /v1/render body. */
export interface RenderRequest extends ValidSpec {
  indices: number[];
}

/** Validate a POST /v1/render body: a spec (count <= maxSyncBatch) or `{spec, indices}`. */
export function parseRenderRequest(body: unknown, catalog: Catalog, limits: ServerLimits): RenderRequest {
  const { rawSpec, fields, prefix } = unwrap(body, RenderEnvelopeSchema);
  if (fields.indices && fields.indices.length > limits.maxSyncBatch) {
    throw badField('indices', `at most ${limits.maxSyncBatch} indices for POST /v1/render (cap maxSyncBatch)`, String(fields.indices.length), 'limit_exceeded');
  }
  const v = validateSpec(rawSpec, prefix, catalog, limits);
  if (!fields.indices) {
    capCount(v, v.plan.count, limits.maxSyncBatch, 'maxSyncBatch', 'POST /v1/render');
    return { ...v, indices: Array.from({ length: v.plan.count }, (_, i) => i) };
  }
  fields.indices.forEach((i, k) => {
    if (i >= v.plan.count) throw badField(`indices[${k}]`, `an index below ${v.plan.count} (the spec's count)`, String(i));
  });
  return { ...v, indices: fields.indices };
}

/** A validated POST /v1/datasets body. */
export interface DatasetRequest extends ValidSpec {
  formats: WriterFormat[];
  shardSize: number;
}

/** Validate a POST /v1/datasets body: a spec or `{spec, formats, shardSize}`. */
export function parseDatasetRequest(body: unknown, catalog: Catalog, limits: ServerLimits): DatasetRequest {
  const { rawSpec, fields, prefix } = unwrap(body, DatasetEnvelopeSchema);
  const v = validateSpec(rawSpec, prefix, catalog, limits);
  capCount(v, v.plan.count, limits.maxDatasetCount, 'maxDatasetCount', 'POST /v1/datasets');
  const formats = fields.formats ? WRITER_FORMATS.filter((f) => fields.formats!.includes(f)) : [...EXPORT_DEFAULTS.formats];
  return { ...v, formats, shardSize: fields.shardSize ?? EXPORT_DEFAULTS.shardSize };
}

/** A validated POST /v1/stream body. */
export interface StreamRequest extends ValidSpec {
  start: number;
  end: number;
}

/** Validate a POST /v1/stream body: a spec or `{spec, start, end}`. */
export function parseStreamRequest(body: unknown, catalog: Catalog, limits: ServerLimits): StreamRequest {
  const { rawSpec, fields, prefix } = unwrap(body, StreamEnvelopeSchema);
  const v = validateSpec(rawSpec, prefix, catalog, limits);
  const start = fields.start ?? 0;
  const end = fields.end ?? v.plan.count;
  if (end > v.plan.count) throw badField('end', `at most ${v.plan.count} (the spec's count)`, String(end));
  if (start >= end) throw badField('start', `below end (${end})`, String(start));
  if (end - start > limits.maxStreamCount) {
    throw badField(fields.end !== undefined ? 'end' : `${prefix}count`, `at most ${limits.maxStreamCount} samples for POST /v1/stream (cap maxStreamCount)`, String(end - start), 'limit_exceeded');
  }
  return { ...v, start, end };
}

/** A POST /v1/generate body that passed its schema (the model-dependent checks come in generation.ts). */
export type GenerateBody = z.infer<typeof GenerateRequestSchema>;

/** Check that a body is a JSON object of sane depth. */
function checkObjectBody(body: unknown): void {
  if (body === undefined) throw badField('body', 'a JSON object (Content-Type: application/json)', 'no body');
  if (jsonDepth(body) > MAX_BODY_DEPTH) throw badField('body', `JSON nested at most ${MAX_BODY_DEPTH} levels deep`, 'deeper nesting');
}

/**
 * Validate a POST /v1/generate body against its schema and the count cap (classes x count at most
 * maxGenerateCount).
 * @throws HttpError 400 with the issues (path, expected, received)
 */
export function parseGenerateBody(body: unknown, limits: ServerLimits): GenerateBody {
  checkObjectBody(body);
  const parsed = GenerateRequestSchema.safeParse(body);
  if (!parsed.success) throw badInput(zodInputError(parsed.error, body));
  const g = parsed.data;
  const total = g.classes.length * (g.count ?? GENERATE_DEFAULTS.count);
  if (total > limits.maxGenerateCount) {
    throw badField(g.count === undefined ? 'classes' : 'count', `at most ${limits.maxGenerateCount} images in all (classes x count; cap maxGenerateCount)`, `${g.classes.length} x ${g.count ?? GENERATE_DEFAULTS.count} = ${total}`, 'limit_exceeded');
  }
  return g;
}

/** A POST /v1/classifiers body with the ONNX file decoded. */
export interface ClassifierUploadRequest {
  name?: string;
  manifest: Record<string, unknown>;
  model: Buffer;
  forward?: Buffer;
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Validate a POST /v1/classifiers body and decode its ONNX file.
 * @throws HttpError 400 for a bad body or base64, 413 for a file over maxClassifierBytes
 */
export function parseClassifierUpload(body: unknown, limits: ServerLimits): ClassifierUploadRequest {
  checkObjectBody(body);
  const parsed = ClassifierUploadSchema.safeParse(body);
  if (!parsed.success) throw badInput(zodInputError(parsed.error, body));
  const { name, manifest, model, forward } = parsed.data;
  const decode = (field: string, text: string) => {
    if (text.length % 4 !== 0 || !BASE64_RE.test(text)) throw badField(field, 'the ONNX file as base64 (A-Z, a-z, 0-9, +, /, = padding; no line breaks)', `${text.length} characters that are not base64`);
    return Buffer.from(text, 'base64');
  };
  const bytes = decode('model', model);
  const forwardBytes = forward === undefined ? undefined : decode('forward', forward);
  const total = bytes.length + (forwardBytes?.length ?? 0);
  if (total > limits.maxClassifierBytes) {
    throw new HttpError(413, 'payload_too_large', `model: the ONNX file${forwardBytes ? 's have' : ' has'} ${total} bytes, over the limit of ${limits.maxClassifierBytes} bytes (maxClassifierBytes)`, { limit: limits.maxClassifierBytes });
  }
  return { name, manifest, model: bytes, ...(forwardBytes ? { forward: forwardBytes } : {}) };
}
