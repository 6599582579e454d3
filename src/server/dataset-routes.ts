/**
 * The dataset routes of /v1: POST /v1/datasets queues an export job; /v1/datasets/:id shows or cancels
 * a job (exports, generate and session-batch jobs alike), and its files, single files (Range and HEAD
 * supported) and WebDataset shards are read under it.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog } from '../spec/catalog.js';
import { TEMP_FILE_RE } from '../core/fs.js';
import { tarShardPath } from '../export/webdataset.js';
import type { ServerLimits } from './config.js';
import { HttpError, notFound, badField } from './errors.js';
import { methodNotAllowed, negotiate, requireJson } from './middleware.js';
import { checkJobId, relativeFilePath, resolveInside } from './paths.js';
import { parseDatasetRequest } from './requests.js';
import { isFinished, type JobManager, type JobRecord } from './jobs.js';

/** What the dataset routes need from the app. */
export interface DatasetRouteDeps {
  jobs: JobManager;
  catalog: Catalog;
  limits: ServerLimits;
  /** The app's JSON body parser (bodyLimit). */
  json: RequestHandler;
}

/** A job as the API shows it (see JobSchema). */
export function jobView(job: JobRecord): Record<string, unknown> {
  const self = `/v1/datasets/${job.id}`;
  const p = job.progress;
  return {
    id: job.id, kind: job.kind, status: job.state, name: job.name, formats: job.formats, shardSize: job.shardSize,
    createdAt: job.createdAt, startedAt: job.startedAt, finishedAt: job.finishedAt,
    progress: { done: p.done, total: p.total, rate: p.rate, etaSeconds: isFinished(job.state) ? null : p.etaSeconds, elapsedSeconds: p.elapsedSeconds },
    restarts: job.restarts, error: job.error,
    ...(job.kind === 'batch' ? { session: String(job.request?.session) } : {}),
    links: { self, files: `${self}/files`, manifest: job.kind === 'batch' ? null : `${self}/files/manifest.json`, shards: job.formats.includes('webdataset') ? `${self}/shards/{n}` : null },
  };
}

/** Files of a dataset folder (relative paths, sorted), skipping the resume journal and temp files. */
async function listFiles(root: string, rel = ''): Promise<{ path: string; bytes: number }[]> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: { path: string; bytes: number }[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.') || TEMP_FILE_RE.test(e.name)) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await listFiles(root, path));
    else if (e.isFile()) out.push({ path, bytes: (await stat(join(root, path))).size });
  }
  return out;
}

/** Send a file of a job's dataset (Range and HEAD supported), after the confinement checks. */
async function sendDatasetFile(res: Response, root: string, rel: string): Promise<void> {
  if (rel.split('/').some((s) => s.startsWith('.'))) throw notFound(`no file ${rel}`);
  const real = await resolveInside(root, rel);
  const info = await stat(real).catch(() => null);
  if (!info?.isFile()) throw notFound(`no file ${rel}`);
  await new Promise<void>((resolve, reject) => {
    res.sendFile(real, { dotfiles: 'allow', headers: { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' } }, (err) => (err && !res.headersSent ? reject(err) : resolve()));
  });
}

/** The router of /datasets and /datasets/:id/... (mounted under /v1, after auth). */
export function datasetsRouter(deps: DatasetRouteDeps): Router {
  const { jobs, catalog, limits, json } = deps;
  const router = express.Router({ strict: false });

  router.route('/datasets').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json({ datasets: jobs.list().map(jobView) });
  }).post(requireJson(), json, async (req, res) => {
    negotiate(req, ['application/json']);
    const r = parseDatasetRequest(req.body, catalog, limits);
    const job = await jobs.submit({ spec: r.raw, name: r.spec.name, total: r.plan.count, formats: r.formats, shardSize: r.shardSize });
    res.status(202).setHeader('Location', `/v1/datasets/${job.id}`);
    res.json(jobView(job));
  }).all(methodNotAllowed(['GET', 'POST']));

  const jobOf = (req: Request): JobRecord => {
    const id = checkJobId(req.params.id);
    const job = jobs.get(id);
    if (!job) throw notFound(`no dataset job ${id}`);
    return job;
  };

  router.route('/datasets/:id').get((req, res) => {
    negotiate(req, ['application/json']);
    res.json(jobView(jobOf(req)));
  }).delete(async (req, res) => {
    negotiate(req, ['application/json']);
    const job = await jobs.cancel(jobOf(req).id);
    res.json(jobView(job));
  }).all(methodNotAllowed(['GET', 'DELETE']));

  router.route('/datasets/:id/files').get(async (req, res) => {
    negotiate(req, ['application/json']);
    const job = jobOf(req);
    res.json({ files: await listFiles(jobs.outDir(job.id)) });
  }).all(methodNotAllowed(['GET']));

  router.route('/datasets/:id/files/*path').get(async (req, res) => {
    const job = jobOf(req);
    const segments = (req.params as unknown as { path: string[] | string }).path;
    const rel = relativeFilePath(Array.isArray(segments) ? segments : [segments]);
    await sendDatasetFile(res, jobs.outDir(job.id), rel);
  }).all(methodNotAllowed(['GET']));

  router.route('/datasets/:id/shards/:n').get(async (req, res) => {
    const job = jobOf(req);
    const n = req.params.n;
    if (!/^\d{1,9}$/.test(n)) throw badField('n', 'a shard number (0, 1, ...)', JSON.stringify(n));
    if (!job.formats.includes('webdataset')) throw notFound(`dataset job ${job.id} writes no WebDataset shards (formats: ${job.formats.join(', ')})`);
    const path = tarShardPath(Number(n));
    await sendDatasetFile(res, jobs.outDir(job.id), path).catch((err) => {
      if (err instanceof HttpError && err.status === 404) throw notFound(`shard ${Number(n)} of dataset job ${job.id} is not written${isFinished(job.state) ? '' : ' yet'}`);
      throw err;
    });
  }).all(methodNotAllowed(['GET']));

  return router;
}
