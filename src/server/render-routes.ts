/**
 * POST /v1/render: a few samples of a spec rendered at once, answered as JSON (base64 images and their
 * records), one image (PNG, JPEG or WebP, the record in headers) or a tar of samples.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { SceneRenderer } from '../render/renderer.js';
import type { Catalog } from '../spec/catalog.js';
import { TAR_END } from '../pipeline/tar.js';
import type { ImageFormat } from '../pipeline/encode.js';
import type { ServerLimits } from './config.js';
import { methodNotAllowed, negotiate, requireJson } from './middleware.js';
import { parseRenderRequest } from './requests.js';
import { IMAGE_MIME, renderInOrder, sampleHeader, sampleJson, sampleTar, type EncodedSample } from './samples.js';
import { clientGone } from './client-gone.js';

/** What the render route needs from the app. */
export interface RenderRouteDeps {
  renderer: SceneRenderer;
  catalog: Catalog;
  limits: ServerLimits;
  /** The app's JSON body parser (bodyLimit). */
  json: RequestHandler;
}

/** Answers of POST /v1/render, in order of preference when Accept allows several. */
const RENDER_TYPES = ['application/json', 'image/png', 'image/jpeg', 'image/webp', 'application/x-tar'] as const;
const IMAGE_FORMAT_OF: Readonly<Record<string, ImageFormat>> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' };

/** The router of POST /render (mounted under /v1, after auth). */
export function renderRouter(deps: RenderRouteDeps): Router {
  const { renderer, catalog, limits, json } = deps;
  const router = express.Router({ strict: false });

  router.route('/render').post(requireJson(), json, async (req: Request, res: Response) => {
    const type = negotiate(req, RENDER_TYPES);
    const r = parseRenderRequest(req.body, catalog, limits);
    const signal = clientGone(res);
    const format = IMAGE_FORMAT_OF[type];
    const indices = format ? r.indices.slice(0, 1) : r.indices;
    const samples: EncodedSample[] = [];
    try {
      for await (const s of renderInOrder({ renderer, plan: r.plan, spec: r.spec, format, signal }, indices)) samples.push(s);
    } catch (err) {
      // A render failing after the client left (a shutdown may free the renderer under it) has no one to answer.
      if (!signal.aborted) throw err;
    }
    if (signal.aborted) return void res.destroy();
    res.setHeader('Cache-Control', 'no-store');
    if (format) {
      const s = samples[0];
      res.setHeader('X-Synth-Sample', sampleHeader(s));
      res.setHeader('X-Synth-Id', s.record.id);
      res.setHeader('X-Synth-Class', encodeURIComponent(s.record.class));
      res.setHeader('X-Synth-Label', String(s.record.label));
      res.type(IMAGE_MIME[format]).send(s.image);
    } else if (type === 'application/x-tar') {
      res.setHeader('Content-Disposition', `attachment; filename="${r.spec.name}.tar"`);
      res.setHeader('X-Synth-Count', String(samples.length));
      res.type('application/x-tar').send(Buffer.concat([...samples.map(sampleTar), TAR_END]));
    } else {
      res.json({ samples: samples.map(sampleJson) });
    }
  }).all(methodNotAllowed(['POST']));

  return router;
}
