#!/usr/bin/env node
/**
 * The `synth` command line: export, preview, catalog. Wires the modules together; nothing imports it.
 * Exit codes: 0 done, 1 runtime failure, 2 bad input (spec, options, output folder), 130 interrupted.
 */
import { fileURLToPath } from 'node:url';
import { resolve, dirname } from 'node:path';
import { InputError, OutputError, RenderError, inputError } from '../core/errors.js';
import { createProgressPrinter, formatDuration } from '../core/progress.js';
import { SYNTH_VERSION } from '../core/version.js';
import { loadSpec } from '../spec/load.js';
import { planSampling } from '../spec/sample.js';
import { FACTORS } from '../spec/factors.js';
import { commandAssets, loadLibrary, ASSETS_USAGE } from './assets-command.js';
import { TEXTURES } from '../assets/textures.js';
import { ENVIRONMENTS } from '../assets/environments.js';
import { loadBackgroundImages } from '../assets/backgrounds.js';
import { NAMED_COLORS } from '../core/color.js';
import { BACKENDS, type Backend } from '../render/gpu.js';
import { RENDER_DEFAULTS, SHADOW_MODES, createRenderer } from '../render/renderer.js';
import { createRenderers } from '../render/pool.js';
import { shardRange } from '../spec/sample.js';
import { exportDataset, EXPORT_DEFAULTS } from '../export/export.js';
import { parseFormats } from '../export/manifest.js';
import { resolveOutput, OUTPUT_ROOT_ENV } from '../export/output-root.js';
import { commandVerify, commandMerge, DATASET_USAGE } from './dataset-commands.js';
import { commandGenerate, GENERATE_USAGE } from './generate-command.js';
import { composeContactSheet, CONTACT_SHEET_DEFAULTS } from '../export/contact-sheet.js';
import { renderSample } from '../render/render-sample.js';
import { interruptible } from './interrupt.js';
import { parseCommandArgs, intOption, choiceOption, workersOption } from './args.js';
import { commandServe, SERVE_USAGE } from './serve-command.js';
import { commandSession, SESSION_USAGE } from './session-command.js';

/** The spec used when --spec is not given: a small demo dataset. */
export const DEMO_SPEC_PATH = fileURLToPath(new URL('../../scenes/demo.json', import.meta.url));

const USAGE = `synth ${SYNTH_VERSION}: labelled synthetic images from factor specs

Usage:
  synth export  [--spec FILE] --out DIR [--count N] [--seed S] [--shard-index K --num-shards N]
                [--resume | --overwrite] [--format imagefolder,coco,webdataset] [--shard-size 1000]
                [--root DIR] [--backend auto|opengles|vulkan] [--shadows soft|hard|off] [--workers auto|N] [--quiet] [--assets DIR]
  synth preview [--spec FILE] --out SHEET.png [--columns 8] [--rows 8] [--tile 128] [--seed S] [--assets DIR]
  synth catalog [--json] [--assets DIR]
${DATASET_USAGE}
${ASSETS_USAGE}
${GENERATE_USAGE}
${SERVE_USAGE}
${SESSION_USAGE}

Without --spec, export and preview use the demo spec (${'scenes/demo.json'}).
--assets DIR adds user classes from DIR/<class>/<asset>.glb|.gltf (class = folder, variants = files,
sorted; a class named like a built-in one replaces it; unreadable files are skipped with a warning).
The factors texture/color/roughness/metalness act on a user asset's main material: the one
\`synth assets export\` marked as main, else the glTF material covering the largest surface area.
Exit codes: 0 ok, 1 runtime failure, 2 bad input, 130 interrupted.`;

const COMMON = {
  spec: { type: 'string' as const },
  out: { type: 'string' as const, short: 'o' },
  count: { type: 'string' as const },
  seed: { type: 'string' as const },
  backend: { type: 'string' as const },
  shadows: { type: 'string' as const },
  assets: { type: 'string' as const },
};

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function commandExport(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('export', argv, {
    ...COMMON,
    'shard-index': { type: 'string' }, 'num-shards': { type: 'string' },
    resume: { type: 'boolean' }, overwrite: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' }, 'shard-size': { type: 'string' }, root: { type: 'string' }, workers: { type: 'string' },
  });
  if (values.help) return say(USAGE), 0;
  if (!values.out) throw inputError('--out', 'an output folder', undefined);
  if (values.resume && values.overwrite) throw inputError('--resume/--overwrite', 'at most one of them', 'both');
  const numShards = intOption('num-shards', values['num-shards'], 1, 1_000_000) ?? EXPORT_DEFAULTS.numShards;
  const shardIndex = intOption('shard-index', values['shard-index'], 0, numShards - 1) ?? EXPORT_DEFAULTS.shardIndex;
  const backend = choiceOption<Backend>('backend', values.backend, BACKENDS, RENDER_DEFAULTS.backend);
  const shadows = choiceOption('shadows', values.shadows, SHADOW_MODES, RENDER_DEFAULTS.shadows);
  const formats = values.format === undefined ? EXPORT_DEFAULTS.formats : parseFormats(values.format);
  const shardSize = intOption('shard-size', values['shard-size'], 1, 100_000_000) ?? EXPORT_DEFAULTS.shardSize;
  const library = await loadLibrary(values.assets);
  const catalog = library.catalog();
  const spec = await loadSpec(values.spec ?? DEMO_SPEC_PATH, catalog, {
    count: intOption('count', values.count, 1), seed: intOption('seed', values.seed, 0, 2 ** 32 - 1),
  });
  await loadBackgroundImages(spec.backgrounds, dirname(resolve(values.spec ?? DEMO_SPEC_PATH)));
  const out = await resolveOutput(values.out, values.root ?? process.env[OUTPUT_ROOT_ENV]);
  const [first, last] = shardRange(spec.count, shardIndex, numShards);
  const workers = workersOption(values.workers, last - first);
  const renderer = await createRenderers(library, { backend, shadows, workers, assetsDir: values.assets, framePixels: spec.resolution[0] * spec.resolution[1] });
  const printer = values.quiet ? null : createProgressPrinter({ label: 'export ' });
  try {
    return await interruptible(async (signal) => {
      if (!values.quiet) process.stderr.write(`rendering on ${renderer.backend} (${renderer.adapter.device || renderer.adapter.description})${workers > 1 ? `, ${workers} renderer threads` : ''}\n`);
      let last = null as Parameters<NonNullable<Parameters<typeof exportDataset>[0]['onProgress']>>[0] | null;
      const result = await exportDataset({
        spec, catalog, renderer, out, formats, shardSize, shardIndex, numShards, resume: values.resume, overwrite: values.overwrite,
        signal, onProgress: (p) => { last = p; printer?.update(p); },
      });
      if (printer && last) printer.finish(last);
      say(`wrote ${result.count} samples to ${out} (${result.rendered} rendered, ${result.skipped} already there) in ${formatDuration(result.seconds)}`);
      if (spec.labels.length > 0 && result.labelled < result.count) process.stderr.write(`warning: the spec asks for labels (${spec.labels.join(', ')}) but the renderer gave them for ${result.labelled} of ${result.count} samples\n`);
      return 0;
    });
  } finally {
    await renderer.dispose();
  }
}

async function commandPreview(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('preview', argv, {
    ...COMMON, columns: { type: 'string' }, rows: { type: 'string' }, tile: { type: 'string' }, 'no-labels': { type: 'boolean' },
  });
  if (values.help) return say(USAGE), 0;
  if (!values.out) throw inputError('--out', 'an output PNG path', undefined);
  if (!values.out.toLowerCase().endsWith('.png')) throw inputError('--out', 'a path ending in .png', values.out);
  const columns = intOption('columns', values.columns, 1, 64) ?? CONTACT_SHEET_DEFAULTS.columns;
  const rows = intOption('rows', values.rows, 1, 64) ?? 8;
  const tile = intOption('tile', values.tile, 16, 1024) ?? CONTACT_SHEET_DEFAULTS.tile;
  const backend = choiceOption<Backend>('backend', values.backend, BACKENDS, RENDER_DEFAULTS.backend);
  const shadows = choiceOption('shadows', values.shadows, SHADOW_MODES, RENDER_DEFAULTS.shadows);
  const library = await loadLibrary(values.assets);
  const catalog = library.catalog();
  const spec = await loadSpec(values.spec ?? DEMO_SPEC_PATH, catalog, {
    count: intOption('count', values.count, 1), seed: intOption('seed', values.seed, 0, 2 ** 32 - 1),
  });
  await loadBackgroundImages(spec.backgrounds, dirname(resolve(values.spec ?? DEMO_SPEC_PATH)));
  const plan = planSampling(spec, catalog);
  const n = Math.min(plan.count, columns * rows);
  const renderer = await createRenderer(library, { backend, shadows });
  try {
    // Each tile is the exported sample itself (same resolution, same layout rule), scaled to the tile.
    const items = [];
    for (let i = 0; i < n; i++) {
      const s = await renderSample(renderer, plan, i);
      items.push({ frame: s.frame, label: `${s.desc.objects[0].class}/${s.desc.objects[0].assetName}` });
    }
    const { width, height } = await composeContactSheet(items, resolve(values.out), { columns, tile, labels: !values['no-labels'] });
    say(`wrote ${values.out}: ${n} samples, ${width}x${height}`);
    return 0;
  } finally {
    renderer.dispose();
  }
}

function range(r: readonly [number, number] | undefined): string {
  return r ? `[${r[0]}, ${r[1]}]` : '';
}

async function commandCatalog(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('catalog', argv, { json: { type: 'boolean' }, assets: { type: 'string' } });
  if (values.help) return say(USAGE), 0;
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
}

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  export: commandExport,
  preview: commandPreview,
  catalog: commandCatalog,
  assets: (argv) => commandAssets(argv, USAGE),
  verify: (argv) => commandVerify(argv, USAGE),
  merge: (argv) => commandMerge(argv, USAGE),
  generate: (argv) => commandGenerate(argv, USAGE),
  serve: (argv) => commandServe(argv, USAGE),
  session: (argv) => commandSession(argv, USAGE),
};

/** Run the CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') return say(USAGE), 0;
  if (command === '--version' || command === 'version') return say(SYNTH_VERSION), 0;
  const run = COMMANDS[command];
  try {
    if (!run) throw inputError('command', `one of ${Object.keys(COMMANDS).join(', ')}`, command);
    return await run(rest);
  } catch (err) {
    if (err instanceof InputError || err instanceof OutputError || err instanceof RangeError || err instanceof TypeError && /expected/.test(err.message)) {
      process.stderr.write(`synth ${command}: ${err.message.split('\n').join(`\nsynth ${command}: `)}\n`);
      return 2;
    }
    if (err instanceof RenderError) {
      process.stderr.write(`synth ${command}: render failure: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`synth ${command}: unexpected failure: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  // Dawn keeps handles open after the renderer is disposed: exit explicitly once the work is done.
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
