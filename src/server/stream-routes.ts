/**
 * POST /v1/stream: a range of a spec's samples as one tar streamed while they render, with
 * backpressure; a stream cut short (client gone, server shutting down) ends without the tar end marker.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { SceneRenderer } from '../render/renderer.js';
import type { Catalog } from '../spec/catalog.js';
import { TAR_END } from '../pipeline/tar.js';
import type { ServerLimits } from './config.js';
import { methodNotAllowed, negotiate, requireJson } from './middleware.js';
import { parseStreamRequest } from './requests.js';
import { indexRange, renderInOrder, sampleTar } from './samples.js';
import { clientGone } from './client-gone.js';

/** What the stream route needs from the app. */
export interface StreamRouteDeps {
  renderer: SceneRenderer;
  catalog: Catalog;
  limits: ServerLimits;
  /** The app's JSON body parser (bodyLimit). */
  json: RequestHandler;
  /** The app's count of open streams (health and graceful shutdown read it). */
  stats: { streams: number };
  /** Fires when the server shuts down: open streams stop. */
  shutdownSignal?: AbortSignal;
}

/** Resolve once `res` can take more data (or is closed). */
function drained(res: Response): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** The router of POST /stream (mounted under /v1, after auth). */
export function streamRouter(deps: StreamRouteDeps): Router {
  const { renderer, catalog, limits, json, stats } = deps;
  const router = express.Router({ strict: false });

  router.route('/stream').post(requireJson(), json, async (req: Request, res: Response) => {
    negotiate(req, ['application/x-tar']);
    const r = parseStreamRequest(req.body, catalog, limits);
    const signal = clientGone(res, deps.shutdownSignal);
    stats.streams++;
    try {
      res.status(200).type('application/x-tar');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Disposition', `attachment; filename="${r.spec.name}-${r.start}-${r.end}.tar"`);
      res.setHeader('X-Synth-Count', String(r.end - r.start));
      res.flushHeaders();
      for await (const s of renderInOrder({ renderer, plan: r.plan, spec: r.spec, signal }, indexRange(r.start, r.end))) {
        if (!res.write(sampleTar(s))) await drained(res);
        if (signal.aborted) break;
      }
      // A stream cut short (client gone, shutdown) ends without the tar end marker: a truncated archive.
      if (signal.aborted) res.destroy();
      else res.end(TAR_END);
    } finally {
      stats.streams--;
    }
  }).all(methodNotAllowed(['POST']));

  return router;
}
