/**
 * Fixtures of the HTTP tests: one real renderer per test file, servers on port 0 with a temp data
 * dir, a fetch wrapper, the error-shape check, a slowed renderer (to catch jobs mid-run), and a
 * tar reader that groups WebDataset members by key.
 */
import type { ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary, type AssetLibrary } from '../../src/assets/library.js';
import { createRenderer, type SceneRenderer } from '../../src/render/renderer.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/main.js';
import { ErrorSchema } from '../../src/server/schemas.js';
import { parseTar } from '../../src/pipeline/tar.js';

export const library: AssetLibrary = createAssetLibrary();
let shared: Promise<SceneRenderer> | null = null;

/** The renderer shared by the servers of one test file (dispose it in test.after.always). */
export function sharedRenderer(): Promise<SceneRenderer> {
  shared ??= createRenderer(library);
  return shared;
}

const tempDirs: string[] = [];

/** Dispose the shared renderer, if one was made, and remove the temp dirs made by tempDir. */
export async function disposeRenderer(): Promise<void> {
  if (shared) (await shared).dispose();
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
}

/** A fresh temp data dir (removed by disposeRenderer). */
export async function tempDir(prefix = 'synth-server-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Start a quiet server on port 0 with the shared renderer (unless one is given) and a temp data dir. */
export async function serve(opts: ServeOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, quiet: true, library, renderer: opts.renderer ?? await sharedRenderer(), dataDir: opts.dataDir ?? await tempDir(), ...opts });
}

/** A small, fast spec: 32 px, one object, two classes. */
export const TINY = { name: 'tiny', seed: 3, count: 4, resolution: [32, 32], classes: ['cube', 'torus'] } as const;

/** An answer with its body read once, as JSON when it is JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: any;
}

/** fetch `path` on `server`; a non-string body is sent as JSON. */
export async function call(server: RunningServer | string, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const base = typeof server === 'string' ? server : server.url;
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: unknown = null;
  if ((res.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(bytes.toString('utf8'));
  return { status: res.status, headers: res.headers, bytes, json };
}

/** Assert `a` is an error answer with `status` in the one error shape (and no stack trace). */
export function isError(t: ExecutionContext, a: Answer, status: number, code?: string): void {
  t.is(a.status, status, `status ${status} expected, body ${a.bytes.toString('utf8').slice(0, 300)}`);
  const parsed = ErrorSchema.safeParse(a.json);
  t.true(parsed.success, `error shape: ${a.bytes.toString('utf8').slice(0, 300)}`);
  if (code) t.is(a.json?.error?.code, code);
  t.false(/\n\s+at /.test(a.bytes.toString('utf8')), 'no stack trace');
  t.truthy(a.headers.get('x-request-id'), 'every answer has a request id');
}

/** A renderer that waits `ms` before each render (and counts calls), so jobs can be caught mid-run. */
export function slowRenderer(inner: SceneRenderer, ms: number): SceneRenderer & { calls: number } {
  const r = {
    backend: inner.backend, adapter: inner.adapter, threeRevision: inner.threeRevision, library: inner.library, calls: 0,
    async render(desc: Parameters<SceneRenderer['render']>[0], options?: Parameters<SceneRenderer['render']>[1]) {
      r.calls++;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return inner.render(desc, options);
    },
    dispose() {},
  };
  return r;
}

/** Tar members grouped by WebDataset key (the name up to the first dot), in archive order. */
export function tarGroups(bytes: Uint8Array): Map<string, Map<string, Buffer>> {
  const groups = new Map<string, Map<string, Buffer>>();
  for (const m of parseTar(bytes)) {
    const dot = m.name.indexOf('.');
    const key = m.name.slice(0, dot);
    if (!groups.has(key)) groups.set(key, new Map());
    groups.get(key)!.set(m.name.slice(dot + 1), Buffer.from(m.data));
  }
  return groups;
}

/** Poll `check` every 25 ms until it is true (or `timeoutMs` passes: then throws). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
