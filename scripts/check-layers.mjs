#!/usr/bin/env node
/**
 * Checks that imports between the folders of src/ run one way (docs/architecture.md, "The layering
 * rule"): every relative import of a src/<folder>/ file names its own folder or one ALLOWED lists for it.
 * Usage: node scripts/check-layers.mjs   Exit 0 when every import is allowed, 1 listing each one that is not.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

const BASE = ['core', 'spec', 'labels', 'assets'];
/** The folders each folder of src/ may import (besides itself). */
const ALLOWED = {
  core: [],
  spec: ['core'],
  labels: ['core', 'spec'],
  assets: ['core', 'spec'],
  render: [...BASE],
  pipeline: [...BASE, 'render'],
  export: [...BASE, 'render', 'pipeline'],
  diffusion: [...BASE, 'pipeline'],
  feedback: [...BASE, 'render', 'pipeline', 'diffusion'],
  evaluate: [...BASE, 'render', 'pipeline', 'diffusion', 'feedback'],
  server: [...BASE, 'render', 'pipeline', 'export', 'diffusion', 'feedback', 'evaluate'],
  cli: [...BASE, 'render', 'pipeline', 'export', 'diffusion', 'feedback', 'evaluate', 'server'],
};

/** Every .ts file under `dir`. */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The src/ folder a path lies in. */
const folderOf = (path) => relative(SRC, path).split('/')[0];

const problems = [];
for (const file of sources(SRC)) {
  const from = folderOf(file);
  const allowed = ALLOWED[from];
  if (!allowed) {
    problems.push(`src/${relative(SRC, file)}: folder ${from}/ is not in scripts/check-layers.mjs's ALLOWED table`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const to = folderOf(resolve(dirname(file), m[1]));
    if (to !== from && !allowed.includes(to)) problems.push(`src/${relative(SRC, file)}: imports ${m[1]} (${from}/ may import ${allowed.join(', ') || 'nothing of ours'})`);
  }
}
for (const p of problems) console.log(p);
console.log(`${problems.length} import${problems.length === 1 ? '' : 's'} against the layering rule`);
process.exit(problems.length > 0 ? 1 : 0);
