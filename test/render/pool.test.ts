import test from 'ava';
import { InputError } from '../../src/core/errors.js';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary } from '../../src/assets/library.js';
import { createRenderer } from '../../src/render/renderer.js';
import { autoWorkers, createRendererPool, threadHeapMb, THREAD_HEAP_MB } from '../../src/render/pool.js';
import { parseSpec } from '../../src/spec/schema.js';
import { describeSample, planSampling } from '../../src/spec/sample.js';
import { exportDataset } from '../../src/export/export.js';

const library = createAssetLibrary();
const catalog = library.catalog();
const SPEC = parseSpec({
  name: 'pool', seed: 5, count: 12, resolution: [48, 48], classes: ['cube', 'car', 'chair', 'dog'],
  labels: ['segmentation', 'depth', 'boxes'], factors: { environment: { choice: ['studio', 'meadow', 'living-room'] }, texture: { choice: ['default', 'checker'] } },
}, catalog);

test('auto workers: on the CPU path one renderer thread per core, on a GPU half the cores; at least two, at most 8; one for short jobs', (t) => {
  t.is(autoWorkers(10_000, 1, 'software'), 2);
  t.is(autoWorkers(10_000, 2, 'software'), 2);
  t.is(autoWorkers(10_000, 3, 'software'), 3);
  t.is(autoWorkers(10_000, 32, 'software'), 8, 'at most 8');
  t.is(autoWorkers(10_000, 16, 'hardware'), 8, 'a GPU: half the cores, the other half for the writer threads');
  t.is(autoWorkers(10_000, 6, 'hardware'), 3);
  t.is(autoWorkers(10_000, 2, 'hardware'), 2);
  t.is(autoWorkers(100, 16), 1);
});

test('renderer threads cap their heap at 128 MB unless SYNTH_RENDERER_HEAP_MB says otherwise; a bad value is named', (t) => {
  t.is(threadHeapMb({}), THREAD_HEAP_MB);
  t.is(THREAD_HEAP_MB, 128);
  t.is(threadHeapMb({ SYNTH_RENDERER_HEAP_MB: '512' }), 512);
  t.throws(() => threadHeapMb({ SYNTH_RENDERER_HEAP_MB: 'lots' }), { instanceOf: InputError, message: /SYNTH_RENDERER_HEAP_MB: expected an integer number of MB, at least 64, got "lots"/ });
  t.throws(() => threadHeapMb({ SYNTH_RENDERER_HEAP_MB: '16' }), { message: /at least 64/ });
});

test.serial('a pool of renderer threads draws the same frames and labels as one renderer, in any order', async (t) => {
  const plan = planSampling(SPEC, catalog);
  const single = await createRenderer(library);
  const pool = await createRendererPool(library, { workers: 2 });
  try {
    t.is(pool.parallelism, 2);
    t.is(pool.backend, single.backend);
    const descs = Array.from({ length: 8 }, (_, i) => describeSample(plan, i));
    const mine = [];
    for (const d of descs) mine.push(await single.render(d, { labels: ['segmentation', 'depth'] }));
    // all at once, so both workers render, each starting from a different history
    const theirs = await Promise.all([...descs].reverse().map((d) => pool.render(d, { labels: ['segmentation', 'depth'] })));
    theirs.reverse();
    for (let i = 0; i < descs.length; i++) {
      let worst = 0;
      mine[i].rgba.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - theirs[i].rgba[k])); });
      t.true(worst <= 2, `sample ${i}: max channel difference ${worst}`);
      t.true(theirs[i].rgba instanceof Uint8Array && theirs[i].labels!.depth instanceof Float32Array, 'typed arrays survive the trip');
      t.deepEqual(Array.from(theirs[i].labels!.instanceMask!), Array.from(mine[i].labels!.instanceMask!), `sample ${i}: same instance mask`);
    }
  } finally {
    await single.dispose();
    await pool.dispose();
  }
  await t.throwsAsync(pool.render(describeSample(plan, 0)), { message: /disposed/ });
});

test.serial('renders wait in the pool and go to whichever thread frees first: a slow render holds up only those handed to its thread, not a backlog', async (t) => {
  const big = planSampling(parseSpec({ name: 'big', seed: 1, count: 4, resolution: [1024, 1024], classes: ['dog', 'car'], labels: ['segmentation', 'depth', 'normals'], factors: { objects: { const: 5 } } }, catalog), catalog);
  const small = planSampling(parseSpec({ name: 'small', seed: 1, count: 16, resolution: [32, 32], classes: ['cube'] }, catalog), catalog);
  const bigOptions = { labels: ['segmentation', 'depth', 'normals'] as const };
  // One frame per readback, so each thread takes threadDepth(1) = 3 renders at a time.
  const pool = await createRendererPool(library, { workers: 2, batch: 1 });
  try {
    // Both threads draw both kinds once, so no first-use compile decides the order below.
    await Promise.all([pool.render(describeSample(big, 0), bigOptions), pool.render(describeSample(big, 1), bigOptions), ...[0, 1, 2, 3].map((i) => pool.render(describeSample(small, i)))]);
    const order: string[] = [];
    const slow = pool.render(describeSample(big, 2), bigOptions).then(() => order.push('big'));
    const quick = Array.from({ length: 7 }, (_, i) => pool.render(describeSample(small, 4 + i)).then(() => order.push(`small${i}`)));
    await Promise.all([slow, ...quick]);
    // threadDepth(1) = 3 renders go to each thread at a time: the big one shares its thread with two small
    // ones, the other thread takes every small one after. Per-thread queues filled up front would leave
    // three small renders behind the big one.
    const before = order.indexOf('big');
    t.true(before >= 5, `small renders answered before the big one: ${before} (${order.join(' ')})`);
  } finally {
    await pool.dispose();
  }
});

test.serial('an export through a pool writes the same files as through one renderer', async (t) => {
  const outs = [await mkdtemp(join(tmpdir(), 'pool-1-')), await mkdtemp(join(tmpdir(), 'pool-2-'))];
  const single = await createRenderer(library);
  await exportDataset({ spec: SPEC, catalog, renderer: single, out: outs[0], overwrite: true });
  await single.dispose();
  const pool = await createRendererPool(library, { workers: 2 });
  await exportDataset({ spec: SPEC, catalog, renderer: pool, out: outs[1], overwrite: true });
  await pool.dispose();
  const meta = await Promise.all(outs.map((o) => readFile(join(o, 'metadata.jsonl'), 'utf8')));
  const lines = meta.map((m) => m.trim().split('\n').map((l) => JSON.parse(l)));
  t.is(lines[1].length, 12);
  t.deepEqual(lines[1].map((r) => r.id), lines[0].map((r) => r.id), 'the same samples, in index order');
  t.deepEqual(lines[1].map((r) => r.labels?.objects), lines[0].map((r) => r.labels?.objects), 'the same boxes');
  t.deepEqual(lines[1].map((r) => r.sha256), lines[0].map((r) => r.sha256), 'byte-identical images');
  t.deepEqual((await readdir(join(outs[1], 'images', 'car'))).sort(), (await readdir(join(outs[0], 'images', 'car'))).sort());
});

test.serial('disposing a pool with renders in flight ends its threads cleanly: the process exits with its own code, and a new pool works', async (t) => {
  // A worker thread stopped from outside while inside Dawn aborts the process (exit 134), so the pool
  // lets each thread finish the renders it was handed and end by itself. Run in a child process, whose
  // exit code is the check.
  const script = `
    import { createAssetLibrary } from ${JSON.stringify(new URL('../../src/assets/library.ts', import.meta.url).href)};
    import { createRendererPool } from ${JSON.stringify(new URL('../../src/render/pool.ts', import.meta.url).href)};
    import { parseSpec } from ${JSON.stringify(new URL('../../src/spec/schema.ts', import.meta.url).href)};
    import { describeSample, planSampling } from ${JSON.stringify(new URL('../../src/spec/sample.ts', import.meta.url).href)};
    const library = createAssetLibrary();
    const catalog = library.catalog();
    const plan = planSampling(parseSpec({ name: 'x', count: 20, resolution: [96, 96], classes: ['car', 'dog'] }, catalog), catalog);
    const outcomes = [];
    for (let round = 0; round < 2; round++) { // a second pool after the first is gone
      const pool = await createRendererPool(library, { workers: 2 });
      const renders = Array.from({ length: 20 }, (_, i) => pool.render(describeSample(plan, i)).then(() => 'done', (e) => e.message));
      await renders[1];
      await pool.dispose();
      outcomes.push(...await Promise.all(renders));
    }
    console.log(JSON.stringify({ done: outcomes.filter((o) => o === 'done').length, dropped: outcomes.filter((o) => /disposed/.test(o)).length }));
    process.exit(7);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.is(code, 7, `exit code (stderr: ${err.slice(-400)})`);
  const { done, dropped } = JSON.parse(out.trim().split('\n').at(-1)!);
  t.true(done >= 2, `renders finished before the disposals: ${done}`);
  t.true(dropped > 0, 'queued renders are rejected');
  t.is(done + dropped, 40, 'every render answered');
});
