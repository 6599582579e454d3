/**
 * Feedback-loop benchmark: feedback ingestion in records/s (in process, and over HTTP with 10,000
 * records per POST), and the render rate of session batches (uniform, hardness before and after
 * feedback, pruned) against a plain export and a plain stream of the same spec, at 64² and 224².
 * Usage: npm run bench:feedback [-- --quick]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createAssetLibrary } from '../src/assets/library.js';
import { createRenderer } from '../src/render/renderer.js';
import { hashString } from '../src/core/random.js';
import { parseSpec, type Spec } from '../src/spec/schema.js';
import { describeSample, planSampling } from '../src/spec/sample.js';
import { exportDataset } from '../src/export/export.js';
import { sampleTarFragment } from '../src/pipeline/members.js';
import { Session } from '../src/feedback/session.js';
import { validateFeedback } from '../src/feedback/ingest.js';
import { prepareBatch, renderBatch, sessionRecord } from '../src/feedback/batch.js';
import { loadClassifier, DEFAULT_JUDGE } from '../src/diffusion/load.js';
import { renderInOrder, indexRange, sampleTar } from '../src/server/samples.js';
import { startServer } from '../src/server/main.js';
import type { Strategy } from '../src/feedback/strategy.js';

const quick = process.argv.includes('--quick');
const library = createAssetLibrary();
const catalog = library.catalog();
const renderer = await createRenderer(library);
const judge = await loadClassifier(DEFAULT_JUDGE);
const CLASSES = judge.manifest.classes;
const ENVS = catalog.environments.filter((e) => !e.startsWith('image:'));

function rawSpec(size: number): Record<string, unknown> {
  return {
    name: 'bench-feedback', seed: 5, resolution: [size, size], classes: CLASSES,
    factors: { yaw: { uniform: [0, 360] }, environment: { choice: ENVS }, texture: { choice: ['default', 'checker', 'wood', 'noise'] }, 'camera.elevation': { uniform: [10, 35] } },
  };
}

/** A synthetic trainer: loss depends on class, environment and yaw (deterministic). */
function lossFor(factors: Record<string, unknown>): number {
  const h = hashString(`${factors.class}/${factors.environment}`) / 2 ** 32;
  return 0.2 + 2 * h * h + (Number(factors.yaw) > 270 ? 0.8 : 0);
}

function newSession(spec: Spec, raw: Record<string, unknown>, strategy: Strategy): Session {
  return Session.create({ id: randomUUID(), rawSpec: raw, spec, catalog, strategy });
}

/** Serve and report `rounds` batches of n samples (no rendering: draws only) so the hardness map is not flat. */
function train(session: Session, rounds: number, n: number): void {
  for (let r = 0; r < rounds; r++) {
    const b = session.prepare(n);
    session.commit(b);
    session.ingest(b.items.map((it) => ({ id: it.id, loss: lossFor(it.factors) })));
  }
}

// ---------------------------------------------------------------- ingestion
const ingestRows: string[][] = [];
{
  const raw = rawSpec(64);
  const spec = parseSpec(raw, catalog);
  const session = newSession(spec, raw, 'hardness');
  const served = 200_000;
  for (let i = 0; i < served; i += 50_000) session.commit(session.prepare(50_000, 'uniform'));
  const batchSize = 10_000;
  const bodies = Array.from({ length: 20 }, (_, b) => JSON.stringify({ records: Array.from({ length: batchSize }, (_, i) => ({ id: session.sampleId((b * batchSize + i * 7) % served), loss: ((i * 37) % 100) / 40, correct: i % 3 !== 0 })) }));
  // In process: JSON.parse + validation + ingestion.
  const rounds = quick ? 40 : 100;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) session.ingest(validateFeedback(JSON.parse(bodies[r % bodies.length])));
  const inProcess = (rounds * batchSize) / ((performance.now() - t0) / 1000);
  ingestRows.push(['in process (parse + validate + apply)', String(batchSize), String(rounds * batchSize), inProcess.toFixed(0)]);

  // Over HTTP: the real server, 10,000 records per POST, one client.
  const dataDir = await mkdtemp(join(tmpdir(), 'synth-bench-fb-'));
  const server = await startServer({ port: 0, quiet: true, library, renderer, dataDir });
  try {
    const created = await (await fetch(`${server.url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spec: raw }) })).json() as { id: string };
    // 200 served samples; every POST reports on them (ingestion cost does not depend on which ids).
    const res = await fetch(`${server.url}/v1/sessions/${created.id}/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 200, strategy: 'uniform' }) });
    await res.arrayBuffer();
    const ids = Array.from({ length: 200 }, (_, i) => `${created.id}-${String(i).padStart(8, '0')}`);
    const httpBodies = Array.from({ length: 5 }, (_, b) => JSON.stringify({ records: Array.from({ length: batchSize }, (_, i) => ({ id: ids[(b + i) % ids.length], loss: ((i * 37) % 100) / 40, correct: i % 3 !== 0 })) }));
    const posts = quick ? 20 : 50;
    const t2 = performance.now();
    let accepted = 0;
    for (let p = 0; p < posts; p++) {
      const r = await fetch(`${server.url}/v1/sessions/${created.id}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: httpBodies[p % httpBodies.length] });
      accepted += ((await r.json()) as { accepted: number }).accepted;
    }
    const overHttp = accepted / ((performance.now() - t2) / 1000);
    ingestRows.push(['HTTP POST /v1/sessions/:id/feedback (saved each POST)', String(batchSize), String(accepted), overHttp.toFixed(0)]);
  } finally {
    await server.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- render rates
async function warmUp(size: number): Promise<void> {
  const grid = parseSpec({ name: 'warm', mode: 'grid', resolution: [size, size], classes: CLASSES, factors: { asset: { values: [0, 1, 2] }, texture: { values: ['default', 'checker', 'wood', 'noise'] } } }, catalog);
  const plan = planSampling(grid, catalog);
  for (let i = 0; i < plan.count; i++) await renderer.render(describeSample(plan, i));
  const envs = planSampling(parseSpec({ name: 'warm', mode: 'grid', resolution: [size, size], classes: ['cube'], factors: { environment: { values: ENVS } } }, catalog), catalog);
  for (let i = 0; i < envs.count; i++) await renderer.render(describeSample(envs, i));
}

async function plainExport(spec: Spec, n: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'synth-bench-'));
  try {
    const r = await exportDataset({ spec: { ...spec, count: n }, catalog, renderer, out: join(dir, 'out'), formats: ['webdataset'] });
    return r.count / r.seconds;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function plainStream(spec: Spec, n: number): Promise<number> {
  const plan = planSampling({ ...spec, count: n }, catalog);
  const t0 = performance.now();
  let bytes = 0;
  for await (const s of renderInOrder({ renderer, plan, spec }, indexRange(0, n))) bytes += sampleTar(s).length;
  if (bytes === 0) throw new Error('no tar bytes');
  return n / ((performance.now() - t0) / 1000);
}

async function sessionBatch(session: Session, n: number, strategy: Strategy): Promise<number> {
  const t0 = performance.now();
  const batch = await prepareBatch(session, { n, strategy, renderer, classifier: judge.classifier });
  let bytes = 0;
  for await (const { item, sample } of renderBatch(batch, { renderer })) {
    bytes += sampleTarFragment(sessionRecord(session, batch.batch, item, { ...sample.record, caption: sample.rendered.caption }), sample.image, sample.labelFiles).length;
  }
  if (bytes === 0) throw new Error('no tar bytes');
  return n / ((performance.now() - t0) / 1000);
}

const renderRows: string[][] = [];
let drawRate = 0;
for (const size of [64, 224]) {
  await warmUp(size);
  const raw = rawSpec(size);
  const spec = parseSpec(raw, catalog);
  const n = quick ? (size === 64 ? 150 : 100) : (size === 64 ? 400 : 250);
  const fresh = newSession(spec, raw, 'hardness');
  const trained = newSession(spec, raw, 'hardness');
  train(trained, 20, 500);
  if (size === 64) {
    // The draw itself (mixture tables, cell draws, scene descriptions), without rendering.
    const t0 = performance.now();
    const draws = quick ? 2000 : 10_000;
    trained.prepare(draws);
    drawRate = draws / ((performance.now() - t0) / 1000);
  }
  const uniform = newSession(spec, raw, 'uniform');
  const pruned = newSession(spec, raw, 'pruned');
  const rates: Record<string, number[]> = { export: [], stream: [], uniform: [], fresh: [], trained: [] };
  // Interleaved twice so drift (thermal, caches) hits every row alike; the mean is reported.
  for (let rep = 0; rep < 2; rep++) {
    rates.export.push(await plainExport(spec, n));
    rates.stream.push(await plainStream(spec, n));
    rates.uniform.push(await sessionBatch(uniform, n, 'uniform'));
    rates.fresh.push(await sessionBatch(fresh, n, 'hardness'));
    rates.trained.push(await sessionBatch(trained, n, 'hardness'));
  }
  const prunedRate = await sessionBatch(pruned, Math.round(n / 4), 'pruned');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = mean(rates.export);
  const row = (label: string, rate: number, count: number) => renderRows.push([`${size}x${size}`, label, String(count), rate.toFixed(1), `${((rate / base) * 100).toFixed(0)}%`]);
  row('plain export (exportDataset, webdataset)', base, n);
  row('plain stream (renderInOrder + tar, as /v1/stream)', mean(rates.stream), n);
  row('session batch, uniform', mean(rates.uniform), n);
  row('session batch, hardness (no feedback yet)', mean(rates.fresh), n);
  row('session batch, hardness (after 10,000 records)', mean(rates.trained), n);
  row('session batch, pruned k=4 (served samples/s)', prunedRate, Math.round(n / 4));
  process.stderr.write(`  ${size}² done\n`);
}

const table = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
};
console.log(`\nbackend: ${renderer.backend} (${renderer.adapter.device || renderer.adapter.description}); ${CLASSES.length} classes, ${ENVS.length} environments\n`);
console.log('Feedback ingestion');
table(['path', 'records per batch', 'records', 'records/s'], ingestRows);
console.log(`\nHardness draws without rendering (prepare: mixture, cells, scene descriptions): ${drawRate.toFixed(0)} samples/s`);
console.log('\nBatch render rate (img/s; % of the plain export rate)');
table(['resolution', 'what', 'images', 'img/s', 'vs export'], renderRows);
await judge.session.release();
renderer.dispose();
process.exit(0);
