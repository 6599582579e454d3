/**
 * `synth assets export`: write the procedural assets as glTF binaries, and loadLibrary(), the
 * asset library with the user classes of an `--assets` folder, for export, preview and catalog.
 */
import { relative, resolve } from 'node:path';
import { inputError, unknownName } from '../core/errors.js';
import { createAssetLibrary, type AssetLibrary } from '../assets/library.js';
import { loadAssetFolder } from '../assets/gltf-import.js';
import { exportAssets } from '../assets/gltf-export.js';
import { parseCommandArgs } from './args.js';

/** The asset library: built-in classes plus (replacing same-named ones) the classes in `assetsDir`. */
export async function loadLibrary(assetsDir: string | undefined): Promise<AssetLibrary> {
  return createAssetLibrary(assetsDir === undefined ? [] : await loadAssetFolder(assetsDir));
}

/** Usage lines of the assets command (part of the CLI's USAGE). */
export const ASSETS_USAGE = `  synth assets export --out DIR [--classes a,b] [--variants all|v1,v2] [--assets DIR] [--quiet]`;

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `synth assets <subcommand>`; returns the exit code. */
export async function commandAssets(argv: string[], usage: string): Promise<number> {
  const { values, positionals } = parseCommandArgs('assets', argv, {
    out: { type: 'string', short: 'o' }, classes: { type: 'string' }, variants: { type: 'string' },
    assets: { type: 'string' }, quiet: { type: 'boolean', short: 'q' },
  }, 1);
  if (values.help) return process.stdout.write(`${usage}\n`), 0;
  const sub = positionals[0];
  if (sub !== 'export') throw inputError('assets', 'a subcommand: export', sub);
  if (!values.out) throw inputError('--out', 'an output folder', undefined);
  const library = await loadLibrary(values.assets);
  const names = library.classes.map((c) => c.name);
  const wanted = list(values.classes);
  if (wanted && wanted.length === 0) throw inputError('--classes', 'a comma-separated list of class names', values.classes);
  for (const name of wanted ?? []) if (!names.includes(name)) throw unknownName('--classes', 'class', name, names);
  const classes = wanted ? library.classes.filter((c) => wanted.includes(c.name)) : library.classes;
  const variantList = list(values.variants);
  let variants: string[] | undefined;
  if (variantList && !(variantList.length === 1 && variantList[0] === 'all')) {
    if (variantList.length === 0) throw inputError('--variants', '"all" or a comma-separated list of variant names', values.variants);
    const known = [...new Set(classes.flatMap((c) => c.variants))];
    for (const v of variantList) if (!known.includes(v)) throw unknownName('--variants', 'variant of the selected classes', v, known);
    variants = variantList;
  }
  const out = resolve(values.out);
  const files = await exportAssets(out, {
    classes, variants,
    onFile: values.quiet ? undefined : (f) => process.stderr.write(`  ${relative(out, f.path)} (${f.bytes} bytes)\n`),
  });
  const bytes = files.reduce((s, f) => s + f.bytes, 0);
  process.stdout.write(`wrote ${files.length} glTF assets (${new Set(files.map((f) => f.class)).size} classes, ${(bytes / 1024).toFixed(0)} KiB) to ${out}\n`);
  return 0;
}
