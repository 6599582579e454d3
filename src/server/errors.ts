/**
 * HTTP errors and the one error shape every failure is answered with:
 * `{"error": {"code": "...", "message": "...", "details": {...} | null}}`. Stack traces go to the
 * log, never to the client.
 */
import type { ErrorRequestHandler } from 'express';
import { InputError, OutputError, RenderError, type InputIssue } from '../core/errors.js';
import { ModelBudgetError, ModelRunError } from '../diffusion/model-limits.js';
import type { Logger } from './logger.js';

/** Machine-readable error codes, one per kind of failure. */
export const ERROR_CODES = [
  'invalid_json', 'invalid_request', 'limit_exceeded', 'unauthorized', 'not_found', 'method_not_allowed',
  'not_acceptable', 'conflict', 'payload_too_large', 'unsupported_media_type', 'queue_full',
  'shutting_down', 'render_failed', 'model_failed', 'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> | null };
}

/** An error with an HTTP status, a code, and details safe to show a client. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The error body for a code and message. */
export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> | null = null): ErrorBody {
  return { error: { code, message, details } };
}

/** 400 from an InputError: details.issues lists each problem with its JSON path, expected and received. */
export function badInput(err: InputError): HttpError {
  return new HttpError(400, 'invalid_request', err.message, { issues: err.issues });
}

/** 400 for one problem at `path`, in the shape of parseSpec's issues. */
export function badField(path: string, expected: string, received: string, code: ErrorCode = 'invalid_request'): HttpError {
  const message = `${path}: expected ${expected}, got ${received}`;
  const issue: InputIssue = { path, expected, received, message };
  return new HttpError(400, code, message, { issues: [issue] });
}

/**
 * 422 for a model run that went over a budget (time, memory, output size) or killed its runner
 * process: the request was well-formed, the model it names cannot serve it.
 */
export function modelFailed(err: ModelRunError): HttpError {
  return new HttpError(422, 'model_failed', err.message, err instanceof ModelBudgetError ? { budget: err.budget, limit: err.limit } : null);
}

/** 404 for something that does not exist. */
export function notFound(message: string): HttpError {
  return new HttpError(404, 'not_found', message);
}

/** The 4xx a body-parser (or router) error stands for; null for anything else. */
function clientError(err: unknown): HttpError | null {
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string; limit?: number; length?: number };
  switch (e.type) {
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', `request body of ${e.length ?? 'more than ' + e.limit} bytes is over the limit of ${e.limit} bytes (bodyLimit)`, { limit: e.limit ?? null });
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', `request body is not valid JSON: ${e.message ?? ''}`.trim());
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', e.message ?? 'unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError(400, 'invalid_request', e.message ?? 'bad request body');
    default:
  }
  const status = e.status ?? e.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, status === 404 ? 'not_found' : 'invalid_request', e.message && !/\n/.test(e.message) ? e.message : 'bad request');
  }
  return null;
}

/** Turn any thrown value into an HttpError; unexpected ones become a 500 with no internals. */
export function toHttpError(err: unknown, requestId: string): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof InputError) return badInput(err);
  if (err instanceof ModelRunError) return modelFailed(err);
  if (err instanceof RenderError) return new HttpError(500, 'render_failed', `render failure: ${err.message}`);
  if (err instanceof OutputError) return new HttpError(409, 'conflict', err.message);
  return clientError(err) ?? new HttpError(500, 'internal', `internal error (request id ${requestId}); the server log has the details`);
}

/** Send an HttpError in the one error shape, unless the response has started (then cut it). */
export function sendError(res: import('express').Response, http: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [k, v] of Object.entries(http.headers)) res.setHeader(k, v);
  res.status(http.status).type('application/json').send(JSON.stringify(errorBody(http.code, http.message, http.details)));
}

/** The last middleware: maps errors to the error shape and logs 5xx with their stack. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const id = String(res.getHeader('X-Request-Id') ?? '');
    const http = toHttpError(err, id);
    if (http.status >= 500) logger.error(`request ${id} ${req.method} ${req.originalUrl.split('?')[0]}: ${(err as Error)?.stack ?? String(err)}`);
    sendError(res, http);
  };
}
