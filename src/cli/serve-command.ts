/**
 * `synth serve`: the HTTP API (src/server) on a port, until SIGTERM or SIGINT, which shut it down
 * gracefully (the running job is checkpointed and resumes at the next start); exits 0.
 */
import { startServer } from '../server/main.js';
import { SERVER_DEFAULTS, API_KEYS_ENV, parseApiKeys } from '../server/config.js';
import { BACKENDS } from '../render/gpu.js';
import { RENDER_DEFAULTS } from '../render/renderer.js';
import { inputError } from '../core/errors.js';
import { loadLibrary, ASSETS_OPTION } from './assets-command.js';
import { defineCommand, workersOption, WORKERS_OPTION, BATCH_OPTION } from './args.js';

const L = SERVER_DEFAULTS.limits;

/** `synth serve`; resolves to the exit code once the server has shut down. */
export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'the HTTP API on a port, until SIGTERM or SIGINT',
  options: {
    port: { type: 'int', min: 0, max: 65535, description: 'port to listen on (0 picks a free one)', default: SERVER_DEFAULTS.port },
    host: { type: 'string', value: 'HOST', description: 'address to listen on', default: SERVER_DEFAULTS.host },
    'data-dir': { type: 'string', value: 'DIR', description: 'where jobs, datasets, sessions and uploaded classifiers live', default: SERVER_DEFAULTS.dataDir },
    backend: { type: 'choice', choices: BACKENDS, description: 'GPU backend of the renderer', default: RENDER_DEFAULTS.backend },
    cors: { type: 'string', value: 'ORIGIN', description: 'allow browser requests from this origin (or *)', defaultText: 'none' },
    'max-sync-batch': { type: 'int', min: 1, max: 10_000, description: 'most images one synchronous render answers', default: L.maxSyncBatch },
    'max-resolution': { type: 'int', min: 8, max: 4096, value: 'PX', description: 'largest width or height a request may ask for', default: L.maxResolution },
    'max-queue': { type: 'int', min: 0, max: 100_000, description: 'jobs waiting at most (more are refused with 429)', default: L.maxQueuedJobs },
    'max-dataset-count': { type: 'int', min: 1, max: 100_000_000, description: 'most samples of one dataset job', default: L.maxDatasetCount },
    'max-stream-count': { type: 'int', min: 1, max: 100_000_000, description: 'most samples of one stream', default: L.maxStreamCount },
    'body-limit': { type: 'int', min: 1024, max: 1024 ** 3, value: 'BYTES', description: 'largest JSON request body', default: L.bodyLimit },
    'max-sync-generate': { type: 'int', min: 0, max: 10_000, description: 'most images one synchronous generate answers', default: L.maxSyncGenerate },
    'max-generate-count': { type: 'int', min: 1, max: 100_000_000, description: 'most images of one generate job', default: L.maxGenerateCount },
    'max-classifier-bytes': { type: 'int', min: 1024, max: 1024 ** 3, value: 'BYTES', description: 'largest uploaded classifier', default: L.maxClassifierBytes },
    workers: WORKERS_OPTION,
    'frames-per-readback': { ...BATCH_OPTION, default: SERVER_DEFAULTS.framesPerReadback },
    assets: ASSETS_OPTION,
    quiet: { type: 'boolean', short: 'q', description: 'no request log' },
  },
  notes: `Bearer-token auth is on when ${API_KEYS_ENV}=key1,key2 is set. SIGTERM or SIGINT shut the server down
gracefully: the running job is checkpointed and resumes at the next start.`,
}, async ({ values }) => {
  if (values.cors !== undefined && !/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/.test(values.cors)) {
    throw inputError('--cors', 'an origin such as https://example.org or http://localhost:3000 (or *)', values.cors);
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(values.host)) throw inputError('--host', 'a host name or IP address', values.host);
  const limits = {
    maxSyncBatch: values['max-sync-batch'], maxResolution: values['max-resolution'], maxQueuedJobs: values['max-queue'],
    maxDatasetCount: values['max-dataset-count'], maxStreamCount: values['max-stream-count'], bodyLimit: values['body-limit'],
    maxSyncGenerate: values['max-sync-generate'], maxGenerateCount: values['max-generate-count'], maxClassifierBytes: values['max-classifier-bytes'],
  };
  const { backend, port } = values;
  const library = await loadLibrary(values.assets);
  const apiKeys = parseApiKeys(process.env[API_KEYS_ENV]);
  const running = await startServer({
    port, host: values.host, dataDir: values['data-dir'], backend, library, apiKeys, corsOrigin: values.cors ?? null, quiet: values.quiet,
    workers: workersOption(values.workers), batch: values['frames-per-readback'], assetsDir: values.assets,
    limits,
  });
  process.stdout.write(`synth serve: listening on ${running.url} (data dir ${running.dataDir}; renderer ${running.renderer.backend}, ${running.renderer.adapter.device || running.renderer.adapter.description}; auth ${apiKeys.length > 0 ? `on, ${apiKeys.length} key(s)` : 'off'})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await running.shutdown();
  return 0;
});
