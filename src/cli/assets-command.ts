/**
 * `synth assets export`: write the procedural assets as glTF binaries, and loadLibrary(), the
 * asset library with the user classes of an `--assets` folder, for export, preview and catalog.
 */
import { relative, resolve } from 'node:path';
import { unknownName } from '../core/errors.js';
import { createAssetLibrary, type AssetLibrary } from '../assets/library.js';
import { loadAssetFolder } from '../assets/gltf-import.js';
import { exportAssets } from '../assets/gltf-export.js';
import { defineCommand, defineGroup } from './args.js';

/** The asset library: built-in classes plus (replacing same-named ones) the classes in `assetsDir`. */
export async function loadLibrary(assetsDir: string | undefined): Promise<AssetLibrary> {
  return createAssetLibrary(assetsDir === undefined ? [] : await loadAssetFolder(assetsDir));
}

/** The `--assets` entry of every command that loads the asset library. */
export const ASSETS_OPTION = {
  type: 'string', value: 'DIR', description: 'add user classes from DIR/<class>/<asset>.glb|.gltf', defaultText: 'none, built-in classes only',
} as const;

/** `synth assets export`. */
export const assetsExportCommand = defineCommand({
  name: 'assets export',
  summary: 'write the asset classes as glTF binaries (DIR/<class>/<variant>.glb)',
  options: {
    out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder', required: 'the output folder' },
    classes: { type: 'list', value: 'a,b', description: 'the classes to write', defaultText: 'all' },
    variants: { type: 'list', value: 'all|v1,v2', description: 'the variants to write', default: ['all'] },
    assets: ASSETS_OPTION,
    quiet: { type: 'boolean', short: 'q', description: 'no file list on stderr' },
  },
}, async ({ values }) => {
  const library = await loadLibrary(values.assets);
  const names = library.classes.map((c) => c.name);
  const wanted = values.classes;
  for (const name of wanted ?? []) if (!names.includes(name)) throw unknownName('--classes', 'class', name, names);
  const classes = wanted ? library.classes.filter((c) => wanted.includes(c.name)) : library.classes;
  let variants: string[] | undefined;
  if (!(values.variants.length === 1 && values.variants[0] === 'all')) {
    const known = [...new Set(classes.flatMap((c) => c.variants))];
    for (const v of values.variants) if (!known.includes(v)) throw unknownName('--variants', 'variant of the selected classes', v, known);
    variants = values.variants;
  }
  const out = resolve(values.out);
  const files = await exportAssets(out, {
    classes, variants,
    onFile: values.quiet ? undefined : (f) => process.stderr.write(`  ${relative(out, f.path)} (${f.bytes} bytes)\n`),
  });
  const bytes = files.reduce((s, f) => s + f.bytes, 0);
  process.stdout.write(`wrote ${files.length} glTF assets (${new Set(files.map((f) => f.class)).size} classes, ${(bytes / 1024).toFixed(0)} KiB) to ${out}\n`);
  return 0;
});

/** `synth assets <subcommand>`. */
export const assetsCommands = defineGroup('assets', 'the procedural assets as glTF files', [assetsExportCommand]);
