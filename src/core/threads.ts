/** Starting worker threads from compiled JavaScript and from the TypeScript sources alike. */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The module `name` (without extension) beside the module at `base` (its `import.meta.url`): `.ts`
 * when that one runs from the TypeScript sources (tests, `npm run` scripts), `.js` when from `dist`.
 */
export function siblingModule(name: string, base: string): URL {
  return new URL(`./${name}.${base.endsWith('.ts') ? 'ts' : 'js'}`, base);
}

/**
 * Start a worker thread running the module at `url`. A TypeScript module's thread registers tsx
 * itself first: worker threads do not inherit the `--import tsx` loader.
 */
export function startThread(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((m) => m.register()).then(() => import(${JSON.stringify(url.href)}))`, { ...options, eval: true });
}
