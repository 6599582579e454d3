/**
 * Export benchmark: end-to-end images/s (render + encode + write + manifest) at 224x224 with one
 * object, for each writer (and the raw format's ImageFolder and WebDataset), beside render-only
 * throughput on the same samples. With labels when the renderer provides them (checked at run time).
 * Usage: npm run bench:export [-- --count 300] [-- --rounds 3] [-- --quick]
 */
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssetLibrary } from '../src/assets/library.js';
import { createRenderer, type Frame } from '../src/render/renderer.js';
import { LABEL_PASSES, parseSpec } from '../src/spec/schema.js';
import { planSampling, describeSample } from '../src/spec/sample.js';
import { exportDataset, type WriterFormat } from '../src/export/export.js';
import type { LabelSet } from '../src/labels/types.js';

const args = process.argv.slice(2);
const countIdx = args.indexOf('--count');
const count = countIdx >= 0 ? Number(args[countIdx + 1]) : args.includes('--quick') ? 60 : 300;
const roundsIdx = args.indexOf('--rounds');
const rounds = roundsIdx >= 0 ? Number(args[roundsIdx + 1]) : args.includes('--quick') ? 1 : 3;
const library = createAssetLibrary();
const catalog = library.catalog();
const renderer = await createRenderer(library);

function specFor(labels: boolean) {
  return parseSpec({
    name: 'bench-export', seed: 1, count, resolution: [224, 224], classes: catalog.classes.map((c) => c.name),
    factors: { objects: { const: 1 }, environment: { choice: [...catalog.environments] }, texture: { choice: ['default', 'checker', 'wood', 'noise'] } },
    labels: labels ? [...LABEL_PASSES] : [],
  }, catalog);
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    total += e.isDirectory() ? await du(join(dir, e.name)) : (await stat(join(dir, e.name))).size;
  }
  return total;
}

// Does the renderer return labels yet? (The label passes are being added to the renderer.)
const probe = (await renderer.render(describeSample(planSampling(specFor(true), catalog), 0), { labels: LABEL_PASSES })) as Frame & { labels?: LabelSet };
const labelled = probe.labels !== undefined;
const spec = specFor(labelled);
const plan = planSampling(spec, catalog);
const frameOptions = { labels: spec.labels };
// Warm up on the very samples measured: the first render of each class, asset and texture builds
// geometry and pipelines, a one-off cost a long export amortises.
for (let i = 0; i < count; i++) await renderer.render(describeSample(plan, i), frameOptions);

// Rounds alternate the configurations and keep each one's best time: the machine is shared, and a
// single pass mostly measures who else was busy.
const renderOnly = async () => {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await renderer.render(describeSample(plan, i), frameOptions);
  return { seconds: (performance.now() - t0) / 1000, bytes: 0 };
};
const rawSpec = parseSpec({ ...spec, format: 'raw' }, catalog);
const exportWith = (formats: WriterFormat[], raw = false) => async () => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-bench-export-'));
  try {
    const r = await exportDataset({ spec: raw ? rawSpec : spec, catalog, renderer, out: join(dir, 'out'), formats });
    return { seconds: r.seconds, bytes: await du(join(dir, 'out')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
const configs: [string, () => Promise<{ seconds: number; bytes: number }>][] = [
  [labelled ? 'render only (with labels)' : 'render only', renderOnly],
  ...([['imagefolder'], ['coco'], ['webdataset'], ['imagefolder', 'coco', 'webdataset']] as WriterFormat[][]).map((f) => [f.join('+'), exportWith(f)] as [string, () => Promise<{ seconds: number; bytes: number }>]),
  ['imagefolder, format raw', exportWith(['imagefolder'], true)],
  ['webdataset, format raw', exportWith(['webdataset'], true)],
];
const best = new Map<string, { seconds: number; bytes: number }>();
for (let round = 0; round < rounds; round++) {
  for (const [name, fn] of configs) {
    const r = await fn();
    if (!best.has(name) || r.seconds < best.get(name)!.seconds) best.set(name, r);
    process.stderr.write(`  round ${round + 1}: ${name} ${(count / r.seconds).toFixed(1)} images/s\n`);
  }
}
const rows = configs.map(([name]) => {
  const r = best.get(name)!;
  return [name, String(count), r.seconds.toFixed(2), (count / r.seconds).toFixed(1), r.bytes ? (r.bytes / 1e6).toFixed(1) : '-'];
});

const header = ['writer', 'images', 'seconds', 'images/s', 'MB written'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nbackend: ${renderer.backend} (${renderer.adapter.device || renderer.adapter.description}), 224x224, 1 object, ${catalog.classes.length} classes`);
console.log(labelled ? `labels: ${spec.labels.join(', ')}` : 'labels: not available from renderer yet (images only)');
console.log(`best of ${rounds} round(s), ${count} images each`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
renderer.dispose();
process.exit(0);
