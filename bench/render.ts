/**
 * Render benchmark: images/s render-only and end-to-end (render + encode + write) at several
 * resolutions, with 1 and 5 objects, peak RSS, and RSS growth over a long run; with --scaling, a row per
 * renderer-thread count (render-only and end to end) and per writer-thread count (end to end, PNG and
 * raw, with the renderer and with stored frames: the writers' ceiling) at 224² one object.
 * Usage: npm run bench:render [-- --quick] [-- --sizes 64,224] [-- --long 10000] [-- --skip-table] [-- --workers auto|N] [-- --batch N]
 *   [-- --scaling] [-- --max-workers N] [-- --max-writers N] [-- --scaling-images N]
 * Renders as `synth export` does: `--workers auto` (the default) picks the renderer threads the CLI
 * picks for a long job (render/pool.ts), and every loop keeps two samples per renderer in flight.
 */
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary } from '../src/assets/library.js';
import { autoWorkers, createRenderers, samplesInFlight, MAX_WORKERS } from '../src/render/pool.js';
import { rasterThreads } from '../src/render/gpu.js';
import { workersOption } from '../src/cli/args.js';
import { RENDER_DEFAULTS, MAX_BATCH, type Frame, type FrameOptions, type SceneRenderer } from '../src/render/renderer.js';
import type { SamplingPlan } from '../src/spec/sample.js';
import { parseSpec } from '../src/spec/schema.js';
import { planSampling, describeSample } from '../src/spec/sample.js';
import { exportDataset } from '../src/export/export.js';
import { WriterPool, writerThreads, MAX_WRITER_THREADS } from '../src/pipeline/writer-pool.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const skipTable = args.includes('--skip-table');
const longIdx = args.indexOf('--long');
const longRun = longIdx >= 0 ? Number(args[longIdx + 1] ?? 10000) : 0;
const library = createAssetLibrary();
const catalog = library.catalog();
const workersIdx = args.indexOf('--workers');
const workers = workersOption(workersIdx >= 0 ? args[workersIdx + 1] : undefined);
const sizesIdx = args.indexOf('--sizes');
const sizesAsked = sizesIdx >= 0 ? (args[sizesIdx + 1] ?? '').split(',').map(Number) : null;
if (sizesAsked && (sizesAsked.length === 0 || sizesAsked.some((v) => !Number.isInteger(v) || v < 16 || v > 2048))) {
  console.error(`--sizes: expected comma-separated image sides from 16 to 2048 (e.g. 64,224), got ${JSON.stringify(args[sizesIdx + 1] ?? '')}`);
  process.exit(2);
}
const sizes = skipTable ? [] : sizesAsked ?? (quick ? [64, 224] : [64, 128, 224, 512]);
const scaling = args.includes('--scaling');
const intArg = (name: string, fallback: number, max: number) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(args[at + 1]);
  if (!Number.isInteger(v) || v < 1 || v > max) {
    console.error(`${name}: expected an integer from 1 to ${max}, got ${JSON.stringify(args[at + 1] ?? '')}`);
    process.exit(2);
  }
  return v;
};
const batch = intArg('--batch', RENDER_DEFAULTS.batch, MAX_BATCH);
const maxWorkers = intArg('--max-workers', autoWorkers(Infinity), MAX_WORKERS);
const maxWriters = intArg('--max-writers', Math.min(8, availableParallelism()), MAX_WRITER_THREADS);
const scalingImages = intArg('--scaling-images', quick ? 120 : 400, 100_000);
// llvmpipe's rasteriser threads are set once per process, for the largest frame asked (as `synth export`
// sets them for its spec's resolution): with 512 in the table every row gets four (llvmpipeThreads).
const largest = Math.max(224, ...sizes); // the demo and all-labels rows are 224x224; --long renders 224x224
const renderer = await createRenderers(library, { workers, batch, framePixels: largest * largest });
const depth = samplesInFlight(renderer);

/** Render samples [from, to) of `plan` with `depth` in flight. */
async function renderRange(plan: SamplingPlan, from: number, to: number, options?: FrameOptions, each?: (i: number) => void): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    inFlight.push(renderer.render(describeSample(plan, i), options));
    if (inFlight.length >= depth) await inFlight.shift();
    each?.(i);
  }
  await Promise.all(inFlight);
}
const allClasses = catalog.classes.map((c) => c.name);
const allEnvs = catalog.environments;
let peakRss = 0;
const sampleRss = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };

function specFor(size: number, objects: number, count: number, seed = 1) {
  return parseSpec({
    name: 'bench', seed, count, resolution: [size, size], classes: allClasses,
    factors: { objects: { const: objects }, environment: { choice: [...allEnvs] }, texture: { choice: ['default', 'checker', 'wood', 'noise'] } },
  }, catalog);
}

/**
 * Warm-up: every class variant with each texture the benchmark draws, and every environment, so
 * first-use costs (shader programs, environment scenes, textures) are paid before timing; a long
 * export pays them once too.
 */
/** What the environments' first use added to the warm-up at the first size (see warmUp). */
const environmentsFirstUse: { cost: { environments: number; extraMs: number; size: number } | null } = { cost: null };

async function warmUp(size: number): Promise<void> {
  const grid = parseSpec({ name: 'warm', mode: 'grid', resolution: [size, size], classes: allClasses, factors: { asset: { values: [0, 1, 2] }, texture: { values: ['default', 'checker', 'wood', 'noise'] } } }, catalog);
  const plan = planSampling(grid, catalog);
  // Samples go to the thread with the fewest in flight, roughly alternating: a second pass shifted by
  // one gives each thread the variants the other drew.
  await renderRange(plan, 0, plan.count);
  if (workers > 1) await renderRange(plan, 1, plan.count);
  const envs = planSampling(parseSpec({ name: 'warm', mode: 'grid', resolution: [size, size], classes: ['cube'], factors: { environment: { values: [...allEnvs] }, objects: { values: [1, 5] } } }, catalog), catalog);
  // The environments' first use (their meshes, reflection maps and shader variants), timed at the first
  // size only: each thread's first pass over them against a pass once they are built.
  const cold = performance.now();
  await renderRange(envs, 0, envs.count);
  if (workers > 1) await renderRange(envs, 1, envs.count);
  const coldMs = performance.now() - cold;
  if (environmentsFirstUse.cost === null) {
    const warm = performance.now();
    await renderRange(envs, 0, envs.count);
    if (workers > 1) await renderRange(envs, 1, envs.count);
    environmentsFirstUse.cost = { environments: allEnvs.length, extraMs: coldMs - (performance.now() - warm), size };
  }
  // Five-object scenes: objects in slots 1-4 have pooled meshes of their own, and the export's
  // minimum-visible-pixels check renders with instance ids beside the colour (another shader variant
  // of every material). A long export pays for these once; unpaid, they were a third of the five-object
  // end-to-end row (its 268 images at 224²).
  const five = planSampling(specFor(size, 5, 600, 7), catalog);
  await renderRange(five, 0, five.count, { instanceAreas: true });
  await renderRange(five, 0, 200);
}

async function renderOnly(size: number, objects: number, n: number): Promise<number> {
  const plan = planSampling(specFor(size, objects, n + 50), catalog);
  await renderRange(plan, 0, 20);
  const t0 = performance.now();
  await renderRange(plan, 20, 20 + n, undefined, (i) => { if (i % 50 === 0) sampleRss(); });
  return n / ((performance.now() - t0) / 1000);
}

async function endToEnd(size: number, objects: number, n: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'synth-bench-'));
  try {
    const spec = specFor(size, objects, n);
    const r = await exportDataset({ spec, catalog, renderer, out: join(dir, 'out'), onProgress: sampleRss });
    return r.count / r.seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows: string[][] = [];
for (const size of sizes) {
  await warmUp(size);
  for (const objects of [1, 5]) {
    const n = Math.max(60, Math.round((quick ? 150 : 600) * (224 / Math.max(size, 128)) ** 1.2 / objects ** 0.5));
    const ro = await renderOnly(size, objects, n);
    const e2e = await endToEnd(size, objects, n);
    rows.push([`${size}x${size}`, String(objects), String(n), ro.toFixed(1), e2e.toFixed(1)]);
    process.stderr.write(`  ${rows.at(-1)!.join('  ')}\n`);
  }
}
// The demo spec: five geometric shapes in four environments (the kind of scene the 136 img/s probe was).
if (!skipTable) {
  const demo = JSON.parse(await readFile(new URL('../scenes/demo.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const n = quick ? 200 : 600;
  const demoSpec = parseSpec({ ...demo, count: n + 50 }, catalog);
  const plan = planSampling(demoSpec, catalog);
  await renderRange(plan, 0, 50);
  const t0 = performance.now();
  await renderRange(plan, 50, 50 + n);
  const ro = n / ((performance.now() - t0) / 1000);
  const dir = await mkdtemp(join(tmpdir(), 'synth-bench-'));
  const r = await exportDataset({ spec: parseSpec({ ...demo, count: n }, catalog), catalog, renderer, out: join(dir, 'out') });
  await rm(dir, { recursive: true, force: true });
  rows.push(['224x224 demo.json', '1', String(n), ro.toFixed(1), (r.count / r.seconds).toFixed(1)]);
}
// Label passes: the same 224x224 single-object renders with every label pass, render-only.
if (!skipTable) {
  const n = quick ? 150 : 400;
  const plan = planSampling(specFor(224, 1, n + 20), catalog);
  const passes = ['segmentation', 'depth', 'normals', 'boxes', 'pose'] as const;
  await renderRange(plan, 0, 20, { labels: passes });
  const t0 = performance.now();
  await renderRange(plan, 20, 20 + n, { labels: passes });
  const withLabels = n / ((performance.now() - t0) / 1000);
  rows.push(['224x224 + all labels', '1', String(n), withLabels.toFixed(1), '']);
}
if (!skipTable) {
  const header = ['resolution', 'objects', 'images', 'render-only img/s', 'end-to-end img/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const threads = rasterThreads();
  console.log(`\nbackend: ${renderer.backend} (${renderer.adapter.device || renderer.adapter.description}), renderers: ${workers}, frames per readback: ${batch}, llvmpipe rasteriser threads: ${threads ?? 'n/a'}${threads === 0 ? ' (each renderer thread rasterises its own frames)' : ''}, classes: ${allClasses.length}, environments: ${allEnvs.length} (mean over all)`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(`peak RSS: ${(peakRss / 1e6).toFixed(0)} MB`);
  const firstUse = environmentsFirstUse.cost;
  if (firstUse) {
    const perEnv = firstUse.extraMs / firstUse.environments;
    console.log(`first use of the ${firstUse.environments} environments at ${firstUse.size}²: ${(firstUse.extraMs / 1000).toFixed(1)} s more than a pass once built (${perEnv.toFixed(0)} ms per environment, paid by each renderer thread, in parallel)`);
  }
}

if (scaling) {
  // Rows per renderer-thread count (each its own pool, warmed on the samples it then renders) and per
  // writer-thread count (the renderer above, a pool of writers of that size), 224x224 one object.
  const n = scalingImages;
  const spec = specFor(224, 1, n);
  const plan = planSampling(spec, catalog);
  const scalingRows: string[][] = [];
  const exportRate = async (r: typeof renderer, writers: WriterPool, format: 'png' | 'raw' = 'png') => {
    const dir = await mkdtemp(join(tmpdir(), 'synth-bench-'));
    try {
      const e = await exportDataset({ spec: format === 'png' ? spec : parseSpec({ ...spec, format }, catalog), catalog, renderer: r, out: join(dir, 'out'), writers, onProgress: sampleRss });
      return e.count / e.seconds;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const counts = [...new Set([1, 2, 4, 8].filter((k) => k <= maxWorkers).concat(maxWorkers))].sort((a, b) => a - b);
  for (const k of counts) {
    const r = k === workers ? renderer : await createRenderers(library, { workers: k, batch, framePixels: 224 * 224 });
    const writers = new WriterPool({ threads: writerThreads(k) });
    const inFlight = samplesInFlight(r);
    const range = async (from: number, to: number) => {
      const q: Promise<unknown>[] = [];
      for (let i = from; i < to; i++) {
        q.push(r.render(describeSample(plan, i)));
        if (q.length >= inFlight) await q.shift();
      }
      await Promise.all(q);
    };
    await range(0, n); // warm-up: these very samples
    const t0 = performance.now();
    await range(0, n);
    const ro = n / ((performance.now() - t0) / 1000);
    const e2e = await exportRate(r, writers);
    scalingRows.push([`renderer threads ${k}`, String(writers.size), String(n), ro.toFixed(1), e2e.toFixed(1), '']);
    process.stderr.write(`  ${scalingRows.at(-1)!.join('  ')}\n`);
    await writers.close();
    if (r !== renderer) await r.dispose();
  }
  const writerCounts = [...new Set([1, 2, 4, 8, 16].filter((w) => w <= maxWriters).concat(maxWriters))].sort((a, b) => a - b);
  // The same exports from stored frames (32 renders handed out again, as copies, at once): what the
  // writer threads and the main thread take in when rendering costs nothing, the ceiling of end to end.
  const stored: Frame[] = [];
  for (let i = 0; i < 32; i++) stored.push(await renderer.render(describeSample(plan, i)));
  const storedFrames: SceneRenderer = {
    backend: renderer.backend, adapter: renderer.adapter, threeRevision: renderer.threeRevision, library, parallelism: MAX_WORKERS,
    async render(desc) {
      const f = stored[desc.index % stored.length];
      return { width: f.width, height: f.height, rgba: f.rgba.slice() };
    },
    dispose() {},
  };
  for (const w of writerCounts) {
    const writers = new WriterPool({ threads: w });
    for (const [label, r] of [[`writer threads ${w}`, renderer], [`writer threads ${w}, stored frames`, storedFrames]] as const) {
      const png = await exportRate(r, writers);
      const raw = await exportRate(r, writers, 'raw');
      scalingRows.push([label, String(w), String(n), '', png.toFixed(1), raw.toFixed(1)]);
      process.stderr.write(`  ${scalingRows.at(-1)!.join('  ')}\n`);
    }
    await writers.close();
  }
  const header = ['224x224, 1 object', 'writer threads', 'images', 'render-only img/s', 'end-to-end PNG img/s', 'end-to-end raw img/s'];
  const widths = header.map((h, i) => Math.max(h.length, ...scalingRows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(`\nscaling on ${availableParallelism()} cores, backend ${renderer.backend} (${renderer.adapter.device || renderer.adapter.description}); writer rows use ${workers} renderer thread(s); llvmpipe rasteriser threads: ${rasterThreads() ?? 'n/a'} (set once per process)`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of scalingRows) console.log(line(r));
}

if (longRun > 0) {
  // Warm-up: each renderer thread has its own V8 heap and pipeline caches, which settle over a few
  // thousand renders (gc() below reaches only this thread's heap).
  const warm = 3000;
  const plan = planSampling(specFor(224, 1, longRun + warm), catalog);
  await renderRange(plan, 0, warm);
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().rss;
  // RSS every 250 renders: with renderer threads (each with its own heap and malloc arena) it swings by
  // tens of MB either way, so the least-squares trend over the run is the figure for a leak.
  const points: [number, number][] = [[0, before]];
  await renderRange(plan, warm, warm + longRun, undefined, (i) => { if ((i - warm) % 250 === 249) points.push([i - warm + 1, process.memoryUsage().rss]); });
  (globalThis as { gc?: () => void }).gc?.();
  const after = process.memoryUsage().rss;
  points.push([longRun, after]);
  const mx = points.reduce((a, p) => a + p[0], 0) / points.length;
  const my = points.reduce((a, p) => a + p[1], 0) / points.length;
  const slope = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  const mb = (b: number) => (b / 1e6).toFixed(0);
  const rss = points.map((p) => p[1]);
  console.log(`RSS over ${longRun} renders at 224x224 (after ${warm} warm-up): ${mb(before)} MB -> ${mb(after)} MB (${((after - before) / 1e6).toFixed(1)} MB), range ${mb(Math.min(...rss))}-${mb(Math.max(...rss))} MB, trend ${(slope * longRun / 1e6).toFixed(1)} MB per ${longRun} renders`);
}
await renderer.dispose();
process.exit(0);
