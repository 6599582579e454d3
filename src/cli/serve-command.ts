/**
 * `synth serve`: the HTTP API (src/server) on a port, until SIGTERM or SIGINT, which shut it down
 * gracefully (the running job is checkpointed and resumes at the next start); exits 0.
 */
import { startServer } from '../server/main.js';
import { SERVER_DEFAULTS, API_KEYS_ENV, parseApiKeys } from '../server/config.js';
import { BACKENDS, type Backend } from '../render/gpu.js';
import { RENDER_DEFAULTS } from '../render/renderer.js';
import { inputError } from '../core/errors.js';
import { loadLibrary } from './assets-command.js';
import { parseCommandArgs, intOption, choiceOption, workersOption } from './args.js';

const L = SERVER_DEFAULTS.limits;

/** Usage lines of the serve command (part of the CLI's USAGE). */
export const SERVE_USAGE = `  synth serve   [--port ${SERVER_DEFAULTS.port}] [--host ${SERVER_DEFAULTS.host}] [--data-dir ${SERVER_DEFAULTS.dataDir}] [--backend auto|opengles|vulkan]
                [--cors ORIGIN] [--max-sync-batch ${L.maxSyncBatch}] [--max-resolution ${L.maxResolution}] [--max-queue ${L.maxQueuedJobs}]
                [--max-dataset-count ${L.maxDatasetCount}] [--max-stream-count ${L.maxStreamCount}] [--body-limit ${L.bodyLimit}] [--workers auto|N] [--quiet] [--assets DIR]
                [--max-sync-generate ${L.maxSyncGenerate}] [--max-generate-count ${L.maxGenerateCount}] [--max-classifier-bytes ${L.maxClassifierBytes}]
                (bearer-token auth when ${API_KEYS_ENV}=key1,key2 is set; port 0 picks a free port)`;

/** `synth serve`; resolves to the exit code once the server has shut down. */
export async function commandServe(argv: string[], usage: string): Promise<number> {
  const { values } = parseCommandArgs('serve', argv, {
    port: { type: 'string' }, host: { type: 'string' }, 'data-dir': { type: 'string' }, backend: { type: 'string' },
    cors: { type: 'string' }, 'max-sync-batch': { type: 'string' }, 'max-resolution': { type: 'string' }, 'max-queue': { type: 'string' },
    'max-dataset-count': { type: 'string' }, 'max-stream-count': { type: 'string' }, 'body-limit': { type: 'string' },
    'max-sync-generate': { type: 'string' }, 'max-generate-count': { type: 'string' }, 'max-classifier-bytes': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' }, assets: { type: 'string' }, workers: { type: 'string' },
  });
  if (values.help) return process.stdout.write(`${usage}\n`), 0;
  if (values.cors !== undefined && !/^(\*|https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)$/.test(values.cors)) {
    throw inputError('--cors', 'an origin such as https://example.org or http://localhost:3000 (or *)', values.cors);
  }
  if (values.host !== undefined && !/^[A-Za-z0-9.:-]+$/.test(values.host)) throw inputError('--host', 'a host name or IP address', values.host);
  const limits = {
    maxSyncBatch: intOption('max-sync-batch', values['max-sync-batch'], 1, 10_000),
    maxResolution: intOption('max-resolution', values['max-resolution'], 8, 4096),
    maxQueuedJobs: intOption('max-queue', values['max-queue'], 0, 100_000),
    maxDatasetCount: intOption('max-dataset-count', values['max-dataset-count'], 1, 100_000_000),
    maxStreamCount: intOption('max-stream-count', values['max-stream-count'], 1, 100_000_000),
    bodyLimit: intOption('body-limit', values['body-limit'], 1024, 1024 ** 3),
    maxSyncGenerate: intOption('max-sync-generate', values['max-sync-generate'], 0, 10_000),
    maxGenerateCount: intOption('max-generate-count', values['max-generate-count'], 1, 100_000_000),
    maxClassifierBytes: intOption('max-classifier-bytes', values['max-classifier-bytes'], 1024, 1024 ** 3),
  };
  const backend = choiceOption<Backend>('backend', values.backend, BACKENDS, RENDER_DEFAULTS.backend);
  const port = intOption('port', values.port, 0, 65535) ?? SERVER_DEFAULTS.port;
  const library = await loadLibrary(values.assets);
  const apiKeys = parseApiKeys(process.env[API_KEYS_ENV]);
  const running = await startServer({
    port, host: values.host, dataDir: values['data-dir'], backend, library, apiKeys, corsOrigin: values.cors ?? null, quiet: values.quiet,
    workers: workersOption(values.workers), assetsDir: values.assets,
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  });
  process.stdout.write(`synth serve: listening on ${running.url} (data dir ${running.dataDir}; renderer ${running.renderer.backend}, ${running.renderer.adapter.device || running.renderer.adapter.description}; auth ${apiKeys.length > 0 ? `on, ${apiKeys.length} key(s)` : 'off'})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await running.shutdown();
  return 0;
}
