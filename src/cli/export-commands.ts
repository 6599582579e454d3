/** `synth export`, `synth preview` and `synth catalog`: a factor spec to a dataset, to a contact sheet, and what a spec may name. */
import { fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';
import { inputError } from '../core/errors.js';
import { createProgressPrinter, formatDuration } from '../core/progress.js';
import { loadSpec } from '../spec/load.js';
import { planSampling, shardRange } from '../spec/sample.js';
import { FACTORS } from '../spec/factors.js';
import { TEXTURES } from '../assets/textures.js';
import { ENVIRONMENTS } from '../assets/environments.js';
import { loadBackgroundImages } from '../assets/backgrounds.js';
import { NAMED_COLORS } from '../core/color.js';
import { BACKENDS } from '../render/gpu.js';
import { RENDER_DEFAULTS, SHADOW_MODES, createRenderer } from '../render/renderer.js';
import { createRenderers } from '../render/pool.js';
import { renderSample } from '../render/render-sample.js';
import { exportDataset, EXPORT_DEFAULTS } from '../export/export.js';
import { parseFormats, WRITER_FORMATS } from '../export/manifest.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { composeContactSheet, CONTACT_SHEET_DEFAULTS } from '../export/contact-sheet.js';
import { WriterPool, MAX_WRITER_THREADS, WRITER_THREADS_ENV } from '../pipeline/writer-pool.js';
import { interruptible } from './interrupt.js';
import { loadLibrary, ASSETS_OPTION } from './assets-command.js';
import { defineCommand, workersOption, WORKERS_OPTION, BATCH_OPTION } from './args.js';

/** The spec used when --spec is not given: a small demo dataset. */
export const DEMO_SPEC_PATH = fileURLToPath(new URL('../../scenes/demo.json', import.meta.url));

/** Rows of a contact sheet when --rows is not given. */
export const PREVIEW_ROWS = 8;

const ASSET_NOTES = `--assets DIR adds user classes from DIR/<class>/<asset>.glb|.gltf (class = folder, variants = files,
sorted; a class named like a built-in one replaces it; unreadable files are skipped with a warning).
The factors texture/color/roughness/metalness act on a user asset's main material: the one
\`synth assets export\` marked as main, else the glTF material covering the largest surface area.`;

/** Options export and preview share: the spec, its overrides and the renderer. */
const SPEC_OPTIONS = {
  spec: { type: 'string', value: 'FILE', description: 'the factor spec, a JSON file', defaultText: 'scenes/demo.json, a small demo', path: 'spec' },
  count: { type: 'int', min: 1, description: 'number of samples, replacing the spec\'s count', defaultText: 'the spec\'s' },
  seed: { type: 'int', min: 0, max: 2 ** 32 - 1, value: 'S', description: 'seed of the factor sampling, replacing the spec\'s', defaultText: 'the spec\'s' },
  backend: { type: 'choice', choices: BACKENDS, description: 'GPU backend of the renderer', default: RENDER_DEFAULTS.backend },
  shadows: { type: 'choice', choices: SHADOW_MODES, description: 'shadow rendering', default: RENDER_DEFAULTS.shadows },
  assets: ASSETS_OPTION,
} as const;

/** `synth export`. */
export const exportCommand = defineCommand({
  name: 'export',
  summary: 'render a factor spec into a labelled dataset (images, labels, manifest)',
  options: {
    ...SPEC_OPTIONS,
    out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder (new or empty; see --resume, --overwrite)', required: 'the output folder' },
    'shard-index': { type: 'int', min: 0, value: 'K', description: 'the slice of the samples this run renders (0-based, below --num-shards)', default: EXPORT_DEFAULTS.shardIndex },
    'num-shards': { type: 'int', min: 1, max: 1_000_000, description: 'slices the samples are split into; merge them with synth merge', default: EXPORT_DEFAULTS.numShards },
    resume: { type: 'boolean', description: 'finish an interrupted export in --out (the same spec, shard and formats)' },
    overwrite: { type: 'boolean', description: 'replace the synth dataset in --out' },
    format: { type: 'string', value: WRITER_FORMATS.join(','), description: 'writers, comma-separated (several at once)', default: EXPORT_DEFAULTS.formats.join(',') },
    'shard-size': { type: 'int', min: 1, max: 100_000_000, description: 'samples per WebDataset tar shard', default: EXPORT_DEFAULTS.shardSize },
    root: { type: 'string', value: 'DIR', description: 'refuse an --out outside this folder', defaultText: `$${OUTPUT_ROOT_ENV}, else none` },
    workers: WORKERS_OPTION,
    'frames-per-readback': BATCH_OPTION,
    writers: {
      type: 'int', min: 1, max: MAX_WRITER_THREADS, value: 'N', defaultText: 'auto',
      description: `writer threads (PNG/raw encoding, files), at most ${MAX_WRITER_THREADS}; auto: ${WRITER_THREADS_ENV} or the cores the renderer threads leave`,
    },
    quiet: { type: 'boolean', short: 'q', description: 'no progress on stderr' },
  },
  notes: ASSET_NOTES,
}, async ({ values }) => {
  if (values.resume && values.overwrite) throw inputError('--resume/--overwrite', 'at most one of them', 'both');
  const numShards = values['num-shards'];
  const shardIndex = values['shard-index'];
  if (shardIndex > numShards - 1) throw inputError('--shard-index', `an integer in [0, ${numShards - 1}] (below --num-shards)`, shardIndex);
  const formats = parseFormats(values.format);
  const library = await loadLibrary(values.assets);
  const catalog = library.catalog();
  const specPath = values.spec ?? DEMO_SPEC_PATH;
  const spec = await loadSpec(specPath, catalog, { count: values.count, seed: values.seed });
  await loadBackgroundImages(spec.backgrounds, dirname(resolve(specPath)));
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const [first, last] = shardRange(spec.count, shardIndex, numShards);
  const workers = workersOption(values.workers, last - first);
  const renderer = await createRenderers(library, { backend: values.backend, shadows: values.shadows, workers, batch: values['frames-per-readback'], assetsDir: values.assets, framePixels: spec.resolution[0] * spec.resolution[1] });
  const printer = values.quiet ? null : createProgressPrinter({ label: 'export ' });
  const writers = values.writers === undefined ? undefined : new WriterPool({ threads: values.writers });
  try {
    return await interruptible(async (signal) => {
      if (!values.quiet) process.stderr.write(`rendering on ${renderer.backend} (${renderer.adapter.device || renderer.adapter.description})${workers > 1 ? `, ${workers} renderer threads` : ''}\n`);
      let lastProgress = null as Parameters<NonNullable<Parameters<typeof exportDataset>[0]['onProgress']>>[0] | null;
      const result = await exportDataset({
        spec, catalog, renderer, out, formats, shardSize: values['shard-size'], shardIndex, numShards, resume: values.resume, overwrite: values.overwrite,
        writers, signal, onProgress: (p) => { lastProgress = p; printer?.update(p); },
      });
      if (printer && lastProgress) printer.finish(lastProgress);
      process.stdout.write(`wrote ${result.count} samples to ${out} (${result.rendered} rendered, ${result.skipped} already there) in ${formatDuration(result.seconds)}\n`);
      if (spec.labels.length > 0 && result.labelled < result.count) process.stderr.write(`warning: the spec asks for labels (${spec.labels.join(', ')}) but the renderer gave them for ${result.labelled} of ${result.count} samples\n`);
      return 0;
    });
  } finally {
    await Promise.all([renderer.dispose(), writers?.close()]);
  }
});

/** `synth preview`. */
export const previewCommand = defineCommand({
  name: 'preview',
  summary: 'render a spec\'s first samples into one contact-sheet PNG',
  options: {
    ...SPEC_OPTIONS,
    out: { type: 'string', short: 'o', value: 'SHEET.png', description: 'the contact sheet to write', required: 'the contact sheet\'s path, ending in .png' },
    columns: { type: 'int', min: 1, max: 64, description: 'tiles per row', default: CONTACT_SHEET_DEFAULTS.columns },
    rows: { type: 'int', min: 1, max: 64, description: 'rows of tiles', default: PREVIEW_ROWS },
    tile: { type: 'int', min: 16, max: 1024, value: 'PX', description: 'tile size in pixels (each sample scaled to it)', default: CONTACT_SHEET_DEFAULTS.tile },
    'no-labels': { type: 'boolean', description: 'no class/asset caption under each tile' },
  },
  notes: ASSET_NOTES,
}, async ({ values }) => {
  if (!values.out.toLowerCase().endsWith('.png')) throw inputError('--out', 'a path ending in .png', values.out);
  const { columns, rows, tile } = values;
  const library = await loadLibrary(values.assets);
  const catalog = library.catalog();
  const specPath = values.spec ?? DEMO_SPEC_PATH;
  const spec = await loadSpec(specPath, catalog, { count: values.count, seed: values.seed });
  await loadBackgroundImages(spec.backgrounds, dirname(resolve(specPath)));
  const plan = planSampling(spec, catalog);
  const n = Math.min(plan.count, columns * rows);
  const renderer = await createRenderer(library, { backend: values.backend, shadows: values.shadows });
  try {
    // Each tile is the exported sample itself (same resolution, same layout rule), scaled to the tile.
    const items = [];
    for (let i = 0; i < n; i++) {
      const s = await renderSample(renderer, plan, i);
      items.push({ frame: s.frame, label: `${s.desc.objects[0].class}/${s.desc.objects[0].assetName}` });
    }
    const { width, height } = await composeContactSheet(items, resolve(values.out), { columns, tile, labels: !values['no-labels'] });
    process.stdout.write(`wrote ${values.out}: ${n} samples, ${width}x${height}\n`);
    return 0;
  } finally {
    renderer.dispose();
  }
});

function range(r: readonly [number, number] | undefined): string {
  return r ? `[${r[0]}, ${r[1]}]` : '';
}

/** `synth catalog`. */
export const catalogCommand = defineCommand({
  name: 'catalog',
  summary: 'list the classes, factors, textures, environments and colours a spec may name',
  options: {
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    assets: ASSETS_OPTION,
  },
}, async ({ values }) => {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const library = await loadLibrary(values.assets);
  const catalog = library.catalog();
  const factors = FACTORS.map((f) => ({ name: f.name, kind: f.kind, unit: f.unit ?? null, range: f.range ?? null, domain: f.domain ?? null, perObject: f.perObject, default: f.default, doc: f.doc }));
  if (values.json) {
    say(JSON.stringify({ classes: catalog.classes, factors, textures: TEXTURES.map((t) => ({ name: t.name, doc: t.doc })), environments: ENVIRONMENTS.map((e) => ({ name: e.name, doc: e.doc })), colors: NAMED_COLORS }, null, 2));
    return 0;
  }
  say(`Classes (${catalog.classes.length}):`);
  for (const c of catalog.classes) {
    const params = Object.entries(c.params).map(([k, r]) => `${k} ${range(r)}`).join(', ');
    say(`  ${c.name.padEnd(16)} ${c.family.padEnd(10)} variants: ${c.variants.join(', ')}${params ? `; params: ${params}` : ''}`);
  }
  say(`\nFactors (${FACTORS.length}):`);
  for (const f of factors) {
    const domain = f.domain ? `names from ${f.domain}` : `${f.kind} ${range(f.range ?? undefined)}${f.unit ? ` ${f.unit}` : ''}`;
    say(`  ${f.name.padEnd(18)} ${domain.padEnd(28)} default ${f.default ? JSON.stringify(f.default) : '(asset/class)'}  ${f.doc}`);
  }
  say(`\nTextures (${TEXTURES.length + 1}): default, ${TEXTURES.map((t) => t.name).join(', ')}`);
  say(`Environments (${ENVIRONMENTS.length}): ${ENVIRONMENTS.map((e) => e.name).join(', ')}`);
  say(`Colours: default, ${Object.keys(NAMED_COLORS).join(', ')}, or #rrggbb`);
  return 0;
});
