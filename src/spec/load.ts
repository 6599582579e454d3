/** Reading a spec file: JSON syntax errors and validation errors both become InputError. */
import { readFile } from 'node:fs/promises';
import { InputError, inputError } from '../core/errors.js';
import { parseSpec, type Spec } from './schema.js';
import type { Catalog } from './catalog.js';

/**
 * Read and validate the spec at `path`, applying `overrides` (e.g. count, seed from the CLI) first.
 * @throws InputError for a missing file, bad JSON (with line and column) or an invalid spec.
 */
export async function loadSpec(path: string, catalog: Catalog, overrides: Record<string, unknown> = {}): Promise<Spec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw inputError('spec', 'a readable JSON file', path, (err as NodeJS.ErrnoException).code ?? (err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    json = { ...json, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  }
  try {
    return parseSpec(json, catalog);
  } catch (err) {
    if (err instanceof InputError) {
      throw new InputError(err.issues.map((i) => ({ ...i, message: `${path}: ${i.message}` })));
    }
    throw err;
  }
}
