/**
 * Cross-cutting middleware: request ids and the per-request log line, bearer-token auth, CORS (off
 * unless an origin is configured), content negotiation, and 405 answers for known paths.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors.js';
import type { Logger } from './logger.js';

/** Incoming X-Request-Id values kept as they are; anything else gets a fresh id. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request id of a request (set by requestLog). */
export function requestId(res: Response): string {
  return String(res.getHeader('X-Request-Id') ?? '');
}

/** Give every request an id (X-Request-Id, the client's when well-formed) and log one line when it ends. */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('X-Request-Id');
    const id = incoming && CLIENT_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    const t0 = performance.now();
    const path = req.originalUrl.split('?')[0]; // no query string: it could carry secrets
    res.on('close', () => {
      const status = res.writableFinished ? res.statusCode : `${res.statusCode}(aborted)`;
      logger.request(`${req.method} ${path} ${status} ${(performance.now() - t0).toFixed(1)}ms id=${id}`);
    });
    next();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Bearer-token auth against `keys` (none: everything is allowed). 401 with WWW-Authenticate otherwise.
 * Tokens are compared as sha256 digests in constant time.
 */
export function bearerAuth(keys: readonly string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, _res, next) => {
    if (digests.length === 0) return next();
    const header = req.get('Authorization') ?? '';
    const m = /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
    if (!m) {
      return next(new HttpError(401, 'unauthorized', 'missing bearer token: send Authorization: Bearer <key> (one of SYNTH_API_KEYS)', null, { 'WWW-Authenticate': 'Bearer realm="synth"' }));
    }
    const got = digest(m[1]);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, got) || ok;
    if (!ok) return next(new HttpError(401, 'unauthorized', 'invalid bearer token', null, { 'WWW-Authenticate': 'Bearer realm="synth", error="invalid_token"' }));
    next();
  };
}

/** CORS for one configured origin (null: no CORS headers at all, browsers keep the same-origin rule). */
export function cors(origin: string | null): RequestHandler {
  return (req, res, next) => {
    if (!origin) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, X-Synth-Sample, X-Synth-Id, X-Synth-Class, X-Synth-Label, X-Synth-Count, Retry-After, Location');
    if (req.method === 'OPTIONS' && req.get('Access-Control-Request-Method')) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, DELETE');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * The first of `types` the request's Accept allows (no Accept: the first).
 * @throws HttpError 406 listing what the route can answer with.
 */
export function negotiate<T extends string>(req: Request, types: readonly T[]): T {
  const chosen = req.accepts(types as unknown as string[]);
  if (!chosen) {
    throw new HttpError(406, 'not_acceptable', `${req.method} ${req.baseUrl}${req.path} answers with ${types.join(', ')}; the Accept header allows none of them (got ${JSON.stringify(req.get('Accept') ?? '')})`, { available: [...types] });
  }
  return chosen as T;
}

/** 405 for a known path and an unsupported method, with Allow. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', ');
  return (req, _res, next) => next(new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${req.baseUrl}${req.path}; allowed: ${allow}`, { allowed: allow.split(', ') }, { Allow: allow }));
}

/** 415 unless a request with a body says it is JSON; 400 when the body is missing. */
export function requireJson(): RequestHandler {
  return (req, _res, next) => {
    const hasBody = req.get('Content-Length') !== undefined ? Number(req.get('Content-Length')) > 0 : req.get('Transfer-Encoding') !== undefined;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) {
      return next(new HttpError(415, 'unsupported_media_type', `request body must be JSON (Content-Type: application/json), got ${JSON.stringify(req.get('Content-Type') ?? '')}`));
    }
    next();
  };
}
