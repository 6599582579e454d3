import test from 'ava';
import { catalog, spec as makeSpec } from '../helpers.js';
import { planSampling } from '../../src/spec/sample.js';
import { renderSample } from '../../src/render/render-sample.js';
import { encodeInOrder, pipelineDepth, PIPELINE_MIN_DEPTH } from '../../src/pipeline/pipeline.js';
import { WriterPool } from '../../src/pipeline/writer-pool.js';
import { threadDepth } from '../../src/render/pool.js';
import { parseTar } from '../../src/pipeline/tar.js';
import { sampleTarFragment } from '../../src/pipeline/members.js';
import { decodeNpy } from '../../src/pipeline/npy.js';
import { fakeRenderer } from '../export/fake-renderer.js';

const spec = makeSpec({ name: 'pipe', seed: 2, count: 12, resolution: [48, 40], classes: ['cube', 'sphere'], labels: ['segmentation', 'depth'], format: 'raw' });
const plan = planSampling(spec, catalog);

test('depth: what the renderer needs in flight plus two per writer thread, at least the minimum', (t) => {
  t.is(pipelineDepth({ parallelism: 1 }, { size: 1 }), PIPELINE_MIN_DEPTH);
  t.is(pipelineDepth({ parallelism: 8 }, { size: 7 }), threadDepth(1) * 8 + 2 * 7);
  t.is(pipelineDepth({ parallelism: 8, batch: 8 }, { size: 7 }), threadDepth(8) * 8 + 2 * 7);
  t.is(pipelineDepth({ parallelism: 1, batch: 8 }, { size: 2 }), 2 * 8 + 2 * 2, 'two batches for a single renderer');
});

test('samples come out in order with their records and members; a pre-rendered sample is not rendered again', async (t) => {
  const writers = new WriterPool({ threads: 2 });
  try {
    const renderer = fakeRenderer();
    const pre = await renderSample(renderer, plan, 5, spec.labels);
    const calls = renderer.calls;
    const out = [];
    for await (const { item, sample } of encodeInOrder([9, 5, 0, 3], { renderer, plan, spec, writers, prerendered: (i) => (i === 5 ? pre : undefined) })) out.push({ item, sample });
    t.deepEqual(out.map((o) => o.item), [9, 5, 0, 3], 'in the order asked');
    t.deepEqual(out.map((o) => o.sample.record.index), [9, 5, 0, 3]);
    t.is(renderer.calls - calls, 3, 'sample 5 came pre-rendered');
    const s = out[0].sample;
    t.is(s.record.file, '00000009.npy', 'without a layout the record names the members');
    t.deepEqual(Object.values(s.record.labels!.files).map((f) => f!.file), ['00000009.seg.npy', '00000009.sem.npy', '00000009.depth.npy', '00000009.normals.npy'], 'the maps the renderer gave, in a fixed order');
    t.deepEqual(decodeNpy(s.image).shape, [40, 48, 3]);
    const names = parseTar(sampleTarFragment(s.record, s.image, s.labelFiles)).map((m) => m.name);
    t.deepEqual(names, ['00000009.cls', '00000009.depth.npy', '00000009.json', '00000009.normals.npy', '00000009.npy', '00000009.seg.npy', '00000009.sem.npy']);
  } finally {
    await writers.close();
  }
});

test('a failure comes out at its turn; every sample whose finish began completes it', async (t) => {
  const writers = new WriterPool({ threads: 1 });
  try {
    const base = fakeRenderer();
    const renderer = { ...base, render: (desc: Parameters<typeof base.render>[0]) => (desc.index === 2 ? Promise.reject(new Error('boom at 2')) : base.render(desc)) };
    const finished: number[] = [];
    const yielded: number[] = [];
    await t.throwsAsync(async () => {
      for await (const { item } of encodeInOrder([0, 1, 2, 3, 4, 5], { renderer, plan, spec, writers, depth: 4, finish: async (_s, i) => { await new Promise((r) => setTimeout(r, 5)); finished.push(i); } })) yielded.push(item);
    }, { message: 'boom at 2' });
    t.deepEqual(yielded, [0, 1]);
    t.true(finished.includes(3), `the samples in flight behind the failure finished (${finished})`);
    t.false(finished.includes(2));
  } finally {
    await writers.close();
  }
});
