/**
 * A session's classifier snapshot (for `pruned` and `guided`): installed into the session's folder from an upload
 * (manifest + ONNX bytes) or from a model folder, checked to load and to know every class the
 * session's spec draws, then swapped in whole.
 */
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError, inputError, type InputIssue } from '../core/errors.js';
import { loadClassifier, type LoadedClassifier } from '../diffusion/load.js';
import { ClassifierManifestSchema, locateModel, parseManifest, readManifest, type ClassifierManifest } from '../diffusion/manifest.js';
import type { ClassifierInfo } from './session.js';

/** File names of an installed snapshot. */
export const CLASSIFIER_FILES = { manifest: 'model.json', model: 'model.onnx', forward: 'forward.onnx' } as const;

/** A classifier as uploaded: its manifest object (see ClassifierManifestSchema) and the ONNX bytes. */
export interface ClassifierUpload {
  manifest: unknown;
  model: Uint8Array;
  /** The forward-only graph of a classifier with gradient outputs (its manifest's forwardFile). */
  forward?: Uint8Array;
}

/** Where a snapshot comes from: an upload, or a model folder (or model.json path) on disk. */
export type ClassifierSource = ClassifierUpload | { dir: string };

/** An installed snapshot: what the session records, and the loaded model. */
export interface InstalledClassifier {
  info: ClassifierInfo;
  loaded: LoadedClassifier;
}

/**
 * Install a classifier into `dir` (replacing any there): written to a temp folder beside it, loaded,
 * its classes checked against `classes`, then renamed into place.
 * @throws InputError for a manifest that does not validate (paths start with `manifest`), an ONNX
 * file that does not load or does not fit the manifest, or classes missing from `manifest.classes`
 */
export async function installClassifier(dir: string, source: ClassifierSource, classes: readonly string[], label: string, threads = 0): Promise<InstalledClassifier> {
  const tmp = `${dir}.${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(tmp, { recursive: true });
  let loaded: LoadedClassifier | null = null;
  try {
    let manifest: ClassifierManifest;
    if ('dir' in source) {
      const located = await readManifest(ClassifierManifestSchema, locateModel(source.dir));
      manifest = located.manifest;
      await copyFile(located.onnxPath, join(tmp, CLASSIFIER_FILES.model));
      if (manifest.forwardFile) await copyFile(join(located.dir, manifest.forwardFile), join(tmp, CLASSIFIER_FILES.forward));
    } else {
      manifest = parseManifest(ClassifierManifestSchema, source.manifest, 'manifest');
      if (source.model.length === 0) throw inputError('model', 'the ONNX file, base64-encoded', '""');
      await writeFile(join(tmp, CLASSIFIER_FILES.model), source.model);
      // the forward graph comes as its own upload; without it the manifest's forwardFile is dropped
      if (source.forward) await writeFile(join(tmp, CLASSIFIER_FILES.forward), source.forward);
      const { forwardFile: _drop, ...rest } = manifest;
      manifest = source.forward ? { ...rest, forwardFile: CLASSIFIER_FILES.forward } : rest;
    }
    manifest = { ...manifest, file: CLASSIFIER_FILES.model, ...(manifest.forwardFile ? { forwardFile: CLASSIFIER_FILES.forward } : {}) };
    const missing = classes.filter((c) => !manifest.classes.includes(c));
    if (missing.length > 0) {
      throw inputError('manifest.classes', `every class the session draws (${classes.join(', ')}); missing: ${missing.join(', ')}`, manifest.classes);
    }
    await writeFile(join(tmp, CLASSIFIER_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    loaded = await loadClassifier(tmp, { threads });
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return {
      info: { name: manifest.name, classes: [...manifest.classes], image: [manifest.image.width, manifest.image.height], source: label, installedAt: new Date().toISOString() },
      loaded,
    };
  } catch (err) {
    await loaded?.session.release();
    await rm(tmp, { recursive: true, force: true });
    throw err instanceof InputError ? clientPaths(err, tmp, 'dir' in source ? source.dir : null) : err;
  }
}

/**
 * Paths in an InputError as the client knows them: `manifest.<path>` for manifest fields, `manifest`
 * and `model` for the files, never a server path.
 */
function clientPaths(err: InputError, tmp: string, from: string | null): InputError {
  const swap = (text: string) => {
    let out = text.split(join(tmp, CLASSIFIER_FILES.manifest)).join('manifest').split(join(tmp, CLASSIFIER_FILES.model)).join('model').split(join(tmp, CLASSIFIER_FILES.forward)).join('forward').split(tmp).join('upload');
    if (from) out = out.split(from).join('classifier');
    return out.replace(/^manifest: \(root\)/, 'manifest').replace(/^manifest: /, 'manifest.');
  };
  return new InputError(err.issues.map((i): InputIssue => ({ path: swap(i.path), expected: swap(i.expected), received: swap(i.received), message: swap(i.message) })));
}

/**
 * Load the snapshot installed in `dir`.
 * @throws InputError when it is missing or no longer loads
 */
export async function openClassifier(dir: string, threads = 0): Promise<LoadedClassifier> {
  return loadClassifier(join(dir, CLASSIFIER_FILES.manifest), { threads });
}
