/**
 * HTTP benchmark: latency (p50/p99) and throughput of POST /v1/render (64x64 and 224x224, one object,
 * JSON and image/png answers) at concurrency 1, 8 and 32, with autocannon on loopback against
 * `synth serve` in a child process; then the streaming rate of POST /v1/stream (images/s over N images
 * at 224x224) beside the export rate of exportDataset on the same spec in this process (renderer threads
 * as `synth export` picks them), the two alternating; and the server's RSS before and after. Prints tables.
 * Targets: p99 <= 50 ms for one 64x64 render at concurrency 8; streaming >= 90% of export images/s.
 * Rows run in `--passes` interleaved passes (default 2; 1 with --quick) and report each figure's mean
 * over them: this machine's speed drifts from minute to minute.
 * Before the timed rows the server gets `--warm-up` seconds of load per size (default 15; 4 with --quick).
 * Usage: npm run bench:http [-- --quick] [-- --duration 5] [-- --passes 2] [-- --warm-up 15] [-- --stream-count 500] [-- --workers auto|N] [-- --frames-per-readback N]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary } from '../src/assets/library.js';
import { createRenderers, samplesInFlight } from '../src/render/pool.js';
import { workersOption } from '../src/cli/args.js';
import { RENDER_DEFAULTS } from '../src/render/renderer.js';
import { parseSpec } from '../src/spec/schema.js';
import { planSampling, describeSample } from '../src/spec/sample.js';
import { exportDataset, type WriterFormat } from '../src/export/export.js';

interface CannonResult {
  latency: { p50: number; p99: number; average: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;
// autocannon ships no types; the few fields read here are declared above.
const autocannon = (await import('autocannon' as string)).default as Cannon;

const args = process.argv.slice(2);
const numArg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const quick = args.includes('--quick');
const duration = numArg('duration', quick ? 2 : 5);
const passes = Math.max(1, numArg('passes', quick ? 1 : 2));
const streamCount = numArg('stream-count', quick ? 150 : 500);
const warmSeconds = numArg('warm-up', quick ? 4 : 15);
const SEEDS = 32;

const rss = (pid: number): number | null => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
};
const mb = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} MB`);

function renderSpec(side: number, seed: number) {
  return { name: 'bench-http', seed, count: 1, resolution: [side, side], classes: ['cube', 'sphere', 'torus', 'car', 'dog', 'chair'], factors: { objects: { const: 1 } } };
}

// ---------------------------------------------------------------- the server
const dataDir = await mkdtemp(join(tmpdir(), 'synth-bench-http-'));
const workers = args.includes('--workers') ? args[args.indexOf('--workers') + 1] : 'auto';
const framesPerReadback = args.includes('--frames-per-readback') ? Number(args[args.indexOf('--frames-per-readback') + 1]) : RENDER_DEFAULTS.batch;
const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--data-dir', dataDir, '--quiet', '--workers', workers, '--frames-per-readback', String(framesPerReadback), '--max-stream-count', String(Math.max(streamCount, 1000))], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  child.on('exit', (code) => reject(new Error(`synth serve exited with ${code}`)));
});
const health = await (await fetch(`${url}/v1/health`)).json() as { renderer: { backend: string; adapter: string } };
const rssStart = rss(child.pid!);

async function post(path: string, body: unknown, accept = 'application/json'): Promise<Buffer> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${bytes.toString().slice(0, 300)}`);
  return bytes;
}

// Warm up at both sizes: the first renders of a class build its geometry and pipelines, and each
// renderer thread's V8 optimises three.js only after some thousands of calls. Measured: a fresh server
// answered 64x64 at concurrency 8 at about 150 req/s in its first 5 s of load, 190 in the next 5 s and
// 250-300 after 15 s. The warm-up rows are printed (not in the table) so the cold figures stay visible.
for (const side of [64, 224]) {
  for (let s = 0; s < SEEDS; s += 8) await Promise.all(Array.from({ length: Math.min(8, SEEDS - s) }, (_, k) => post('/v1/render', renderSpec(side, s + k))));
  let n = 0;
  const r = await autocannon({
    url: `${url}/v1/render`, method: 'POST', connections: 8, duration: warmSeconds,
    headers: { 'content-type': 'application/json', accept: 'image/png' },
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify(renderSpec(side, 500_000 + n++)) }) }],
  });
  process.stderr.write(`  warm-up: ${side}x${side}  image/png  8  ${r.requests.average.toFixed(1)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms (${warmSeconds} s)\n`);
}

const configs = [64, 224].flatMap((side) => ['application/json', 'image/png'].flatMap((accept) => [1, 8, 32].map((connections) => ({ side, accept, connections }))));
const runs = configs.map(() => [] as CannonResult[]);
for (let pass = 0; pass < passes; pass++) {
  for (const [k, { side, accept, connections }] of configs.entries()) {
    let n = 0;
    const r = await autocannon({
      url: `${url}/v1/render`, method: 'POST', connections, duration,
      headers: { 'content-type': 'application/json', accept },
      // A new seed per request: every answer is a fresh render (no two requests ask for the same sample).
      requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify(renderSpec(side, 1000 + 100_000 * pass + n++)) }) }],
    });
    runs[k].push(r);
    process.stderr.write(`  pass ${pass + 1}: ${side}x${side}  ${accept}  ${connections}  ${r.requests.average.toFixed(1)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms\n`);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows: string[][] = configs.map(({ side, accept, connections }, k) => [
  `${side}x${side}`, accept, String(connections), mean(runs[k].map((r) => r.requests.average)).toFixed(1),
  mean(runs[k].map((r) => r.latency.p50)).toFixed(1), mean(runs[k].map((r) => r.latency.p99)).toFixed(1),
  String(runs[k].reduce((a, r) => a + r.non2xx + r.errors, 0)),
]);
const rssAfterRender = rss(child.pid!);

// ---------------------------------------------------------------- stream against export
const library = createAssetLibrary();
const catalog = library.catalog();
const streamSpec = {
  name: 'bench-stream', seed: 1, count: streamCount, resolution: [224, 224], classes: catalog.classes.map((c) => c.name),
  factors: { objects: { const: 1 }, environment: { choice: [...catalog.environments] }, texture: { choice: ['default', 'checker', 'wood', 'noise'] } },
};
// The comparison is with `synth export` of the same spec as the CLI runs it: its renderer threads
// (autoWorkers for the count) and their rasteriser setting (framePixels of the spec), in this process,
// while the server idles. Stream and exports alternate in `passes` rounds (this machine drifts).
const renderer = await createRenderers(library, { workers: workersOption(workers, streamCount), batch: framesPerReadback, framePixels: streamSpec.resolution[0] * streamSpec.resolution[1] });
const spec = parseSpec(streamSpec, catalog);
const plan = planSampling(spec, catalog);
const warming: Promise<unknown>[] = []; // the same warm-up as the server gets, as many in flight as export keeps
for (let i = 0; i < streamCount; i++) {
  warming.push(renderer.render(describeSample(plan, i)));
  if (warming.length >= samplesInFlight(renderer)) await warming.shift();
}
await Promise.all(warming);
await post('/v1/stream', streamSpec, 'application/x-tar'); // warm-up pass over the same samples
// every class and environment has been drawn once now: caches (geometry, pipelines, environment
// scenes) are full, so RSS from here on shows leaks rather than first-use growth
const rssWarm = rss(child.pid!);
const exportFormats = [['imagefolder'], ['webdataset']] as WriterFormat[][];
const streamSeconds: number[] = [];
const exportSeconds: number[][] = exportFormats.map(() => []);
let tarBytes = 0;
for (let pass = 0; pass < passes; pass++) {
  const t0 = performance.now();
  tarBytes = (await post('/v1/stream', streamSpec, 'application/x-tar')).length;
  streamSeconds.push((performance.now() - t0) / 1000);
  for (const [k, formats] of exportFormats.entries()) {
    const dir = await mkdtemp(join(tmpdir(), 'synth-bench-http-export-'));
    try {
      exportSeconds[k].push((await exportDataset({ spec, catalog, renderer, out: join(dir, 'out'), formats })).seconds);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  process.stderr.write(`  pass ${pass + 1}: stream ${(streamCount / streamSeconds[pass]).toFixed(1)} img/s, export ${exportFormats.map((f, k) => `${f.join('+')} ${(streamCount / exportSeconds[k][pass]).toFixed(1)}`).join(', ')} img/s\n`);
}
const rssEnd = rss(child.pid!);
child.kill('SIGTERM');
await new Promise((r) => child.on('exit', r));
const streamRate = streamCount / mean(streamSeconds);
const exportRows: string[][] = [['POST /v1/stream (webdataset tar over HTTP)', String(streamCount), mean(streamSeconds).toFixed(2), streamRate.toFixed(1), '', `${(tarBytes / 1e6).toFixed(1)} MB`]];
let best = 0;
for (const [k, formats] of exportFormats.entries()) {
  const rate = streamCount / mean(exportSeconds[k]);
  best = Math.max(best, rate);
  exportRows.push([`exportDataset ${formats.join('+')} (CLI export)`, String(streamCount), mean(exportSeconds[k]).toFixed(2), rate.toFixed(1), '', '']);
}
exportRows[0][4] = `${((streamRate / best) * 100).toFixed(0)}% of best export`;
await renderer.dispose();
await rm(dataDir, { recursive: true, force: true });

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

console.log(`\nbackend: ${health.renderer.backend} (${health.renderer.adapter}); autocannon ${duration} s per row on loopback, mean of ${passes} interleaved pass(es) after ${warmSeconds} s of warm-up load per size; server in a child process`);
console.log('\nPOST /v1/render, one object, one sample per request');
console.log(table(['size', 'accept', 'concurrency', 'req/s', 'p50 ms', 'p99 ms', 'errors'], rows));
const target = rows.find((r) => r[0] === '64x64' && r[2] === '8' && r[1] === 'image/png');
if (target) console.log(`target p99 <= 50 ms for 64x64 at concurrency 8: ${Number(target[5]) <= 50 ? 'met' : 'missed'} (${target[5]} ms image/png, ${rows.find((r) => r[0] === '64x64' && r[2] === '8' && r[1] === 'application/json')![5]} ms JSON)`);
console.log(`\nStreaming against export, 224x224, one object, ${catalog.classes.length} classes; mean seconds of ${passes} alternating pass(es)`);
console.log(table(['path', 'images', 'seconds', 'images/s', 'ratio', 'bytes'], exportRows));
console.log(`target stream >= 90% of export images/s: ${streamRate >= 0.9 * best ? 'met' : 'missed'}`);
console.log(`\nserver RSS: ${mb(rssStart)} at start, ${mb(rssAfterRender)} after the render runs, ${mb(rssWarm)} after a warm-up stream over every class and environment, ${mb(rssEnd)} after the timed stream of the same samples (growth once warm: ${rssWarm !== null && rssEnd !== null ? `${(rssEnd - rssWarm).toFixed(1)} MB` : '?'})`);
process.exit(0);
