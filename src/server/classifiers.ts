/**
 * Uploaded classifiers: a client's model.json and ONNX file, stored under the data dir so they can
 * guide POST /v1/generate. Layout:
 *
 *   classifiers/<id>/model.json    the manifest as uploaded, `file` set to model.onnx
 *   classifiers/<id>/model.onnx    the graph
 *   classifiers/<id>/upload.json   id, name, date, size and sha256 of the graph
 *
 * An upload is written into `classifiers/.upload-<id>/`, validated there (manifest schema, image
 * sides within MODEL_LIMITS, graph against manifest, a test inference on mid-grey, seeded noise and a
 * smooth pattern, run in a runner process under the model budget) and renamed into place only when
 * it passes; on any failure the folder is removed, so a listed classifier always loaded once. A
 * graph that loops, allocates without bound or answers a huge output is refused with a 400 naming
 * the budget (docs/models-and-limits.md).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type InputIssue } from '../core/errors.js';
import { ClassifierManifestSchema, parseManifest, type ClassifierManifest } from '../diffusion/manifest.js';
import { JOB_ID_RE } from './paths.js';
import type { Logger } from './logger.js';

/** Format tag of upload.json. */
export const UPLOAD_FORMAT = 'synth.classifier-upload/1';

/** upload.json of a stored classifier. */
export interface UploadRecord {
  format: typeof UPLOAD_FORMAT;
  id: string;
  name: string;
  createdAt: string;
  /** Size of model.onnx. */
  bytes: number;
  sha256: string;
}

/** A stored classifier: its upload record and validated manifest. */
export interface StoredClassifier {
  record: UploadRecord;
  manifest: ClassifierManifest;
}

/** What a client uploads (the ONNX bytes already decoded). */
export interface ClassifierUpload {
  name?: string;
  manifest: Record<string, unknown>;
  model: Uint8Array;
  /** The forward-only graph, stored as forward.onnx (the manifest's forwardFile then points there). */
  forward?: Uint8Array;
}

const UPLOAD_DIR_PREFIX = '.upload-';

/** Paths in an InputError from a check in `dir` rewritten to what the client sent (no server paths). */
function clientPaths(err: InputError, dir: string): InputError {
  const onnx = join(dir, 'model.onnx');
  const forward = join(dir, 'forward.onnx');
  const swap = (text: string) => text.replace(/^model file\b/, 'model').split(JSON.stringify(onnx)).join('the uploaded file')
    .split(JSON.stringify(forward)).join('the uploaded file').split(join(dir, 'model.json')).join('manifest')
    .split(onnx).join('model').split(forward).join('forward').split(dir).join('upload');
  return new InputError(err.issues.map((i): InputIssue => {
    // A problem of the forward-only graph is the body's `forward`, whatever path the loader gave it.
    const ofForward = [i.path, i.received, i.message].some((t) => t.includes(forward) || /\(forwardFile\)|: forwardFile\b/.test(t));
    if (!ofForward) return { path: swap(i.path), expected: swap(i.expected), received: swap(i.received), message: swap(i.message) };
    const detail = i.path.replace(/^.*\(forwardFile\)(: )?|^.*: forwardFile$|^model( file)?$/, '');
    const path = detail ? `forward: ${detail}` : 'forward';
    const rest = i.message.startsWith(i.path) ? i.message.slice(i.path.length) : `: ${i.message}`;
    return { path: 'forward', expected: swap(i.expected), received: swap(i.received), message: `${path}${swap(rest)}` };
  }));
}

/** `manifest: a.b` (parseManifest's `where: path`) as the body path `manifest.a.b`. */
function bodyPaths(err: InputError): InputError {
  const fix = (text: string) => text.replace(/^manifest: (\(root\)|$)/, 'manifest').replace(/^manifest: /, 'manifest.');
  return new InputError(err.issues.map((i) => ({ ...i, path: fix(i.path), message: fix(i.message) })));
}

/** The classifiers uploaded to one data dir. */
export class ClassifierStore {
  private constructor(readonly root: string, private readonly logger: Logger) {}

  /** Open `<dataDir>/classifiers`, removing uploads a killed process left half-validated. */
  static async open(dataDir: string, logger: Logger): Promise<ClassifierStore> {
    const root = join(dataDir, 'classifiers');
    await mkdir(root, { recursive: true });
    for (const name of await readdir(root)) {
      if (name.startsWith(UPLOAD_DIR_PREFIX)) await rm(join(root, name), { recursive: true, force: true });
    }
    return new ClassifierStore(root, logger);
  }

  /** True for a well-formed upload id (a UUID v4). */
  static isId(id: unknown): id is string {
    return typeof id === 'string' && JOB_ID_RE.test(id);
  }

  /** Folder of classifier `id` (the id must be well-formed: see isId). */
  dir(id: string): string {
    if (!ClassifierStore.isId(id)) throw new RangeError(`ClassifierStore.dir: expected an upload id, got ${JSON.stringify(id)}`);
    return join(this.root, id);
  }

  /**
   * Validate and store an upload: the manifest against its schema, then `validate(dir)` on the written
   * files (loadClassifier: graph against manifest, test inference).
   * @throws InputError naming the problem in the client's terms (`manifest.classes`, `model`); nothing is kept
   */
  async add(upload: ClassifierUpload, validate: (dir: string) => Promise<void>): Promise<StoredClassifier> {
    // The ONNX file is always model.onnx beside the manifest: a client's `file` could point anywhere.
    const { forwardFile: _forwardFile, ...declared } = upload.manifest;
    const raw = { ...declared, file: 'model.onnx', ...(upload.forward ? { forwardFile: 'forward.onnx' } : {}) };
    let manifest: ClassifierManifest;
    try {
      manifest = parseManifest(ClassifierManifestSchema, raw, 'manifest');
    } catch (err) {
      throw err instanceof InputError ? bodyPaths(err) : err;
    }
    const id = randomUUID();
    const staging = join(this.root, `${UPLOAD_DIR_PREFIX}${id}`);
    const record: UploadRecord = {
      format: UPLOAD_FORMAT, id, name: upload.name ?? manifest.name, createdAt: new Date().toISOString(),
      bytes: upload.model.length, sha256: createHash('sha256').update(upload.model).digest('hex'),
    };
    try {
      await mkdir(staging, { recursive: true });
      await writeFile(join(staging, 'model.json'), `${JSON.stringify(raw, null, 2)}\n`);
      await writeFile(join(staging, 'model.onnx'), upload.model);
      if (upload.forward) await writeFile(join(staging, 'forward.onnx'), upload.forward);
      try {
        await validate(staging);
      } catch (err) {
        throw err instanceof InputError ? clientPaths(err, staging) : err;
      }
      await writeFile(join(staging, 'upload.json'), `${JSON.stringify(record, null, 2)}\n`);
      await rename(staging, this.dir(id));
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
    this.logger.info(`classifiers: stored ${id} (${record.name}, ${record.bytes} bytes)`);
    return { record, manifest };
  }

  /** A stored classifier, or null (unknown id, or files that no longer parse: logged). */
  async get(id: string): Promise<StoredClassifier | null> {
    if (!ClassifierStore.isId(id)) return null;
    const dir = this.dir(id);
    let record: UploadRecord;
    let rawManifest: unknown;
    try {
      record = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as UploadRecord;
      rawManifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.error(`classifiers: skipping ${id}: ${(err as Error).message}`);
      return null;
    }
    try {
      if (record.format !== UPLOAD_FORMAT || record.id !== id) throw new Error('not a synth classifier upload');
      return { record, manifest: parseManifest(ClassifierManifestSchema, rawManifest, 'model.json') };
    } catch (err) {
      this.logger.error(`classifiers: skipping ${id}: ${(err as Error).message}`);
      return null;
    }
  }

  /** Every stored classifier, oldest first. */
  async list(): Promise<StoredClassifier[]> {
    const out: StoredClassifier[] = [];
    for (const name of await readdir(this.root).catch(() => [] as string[])) {
      const c = ClassifierStore.isId(name) ? await this.get(name) : null;
      if (c) out.push(c);
    }
    return out.sort((a, b) => (a.record.createdAt < b.record.createdAt ? -1 : a.record.createdAt > b.record.createdAt ? 1 : 0));
  }

  /** Remove classifier `id` (renamed aside first, so it vanishes at once); false when there is none. */
  async remove(id: string): Promise<boolean> {
    if (!ClassifierStore.isId(id)) return false;
    const aside = join(this.root, `${UPLOAD_DIR_PREFIX}${randomUUID()}`);
    try {
      await rename(this.dir(id), aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await rm(aside, { recursive: true, force: true });
    this.logger.info(`classifiers: removed ${id}`);
    return true;
  }
}
