/**
 * Sessions on disk. One folder per session:
 *
 *   session.json   spec, strategy, options, seed, binning, counters, hardness map, classifier info;
 *                  written atomically (temp file then rename)
 *   served.bin     served samples as fixed-width rows (class u16, strategy u8, one byte per binned
 *                  factor), appended per batch; session.json's `counters.served` says how many rows
 *                  are committed, and rows past it (a batch cut short by a crash) are cut at load
 *   classifier/    the session's classifier snapshot (model.json, model.onnx), when one was installed
 *
 * SessionStore keeps the sessions of a data dir (`<dataDir>/sessions/<id>/`) in memory, saves each
 * one through its own queue (saves coalesce, and never run two at once for one session), and caches
 * each session's loaded classifier.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, removeTempFiles } from '../core/fs.js';
import { InputError } from '../core/errors.js';
import type { Catalog } from '../spec/catalog.js';
import { parseSpec } from '../spec/schema.js';
import type { LoadedClassifier } from '../diffusion/load.js';
import { SESSION_FORMAT, Session, type SessionFile, type SessionInit } from './session.js';
import { SESSION_ID_RE } from './ingest.js';
import { installClassifier, openClassifier, type ClassifierSource } from './classifier.js';

/** File names inside a session folder. */
export const SESSION_FILES = { session: 'session.json', served: 'served.bin', classifier: 'classifier' } as const;

/** Folder of the sessions inside a data dir. */
export const SESSIONS_DIR = 'sessions';

/** Idempotency keys of feedback posts remembered per session (the newest), with the answer each got. */
export const MAX_FEEDBACK_KEYS = 1_000;

/**
 * The feedback posts a session has applied, by the client's idempotency key (newest last): a post
 * sent again with a key listed here is answered with the first answer and applied no second time.
 * Saved in session.json with the state the posts changed, so a restart keeps both or neither.
 */
export class FeedbackKeys {
  private readonly answers = new Map<string, unknown>();

  /** The answer the post with `key` got, or undefined when no post had this key. */
  get(key: string): unknown {
    return this.answers.get(key);
  }

  /** Remember the answer of the post with `key`, forgetting the oldest beyond MAX_FEEDBACK_KEYS. */
  set(key: string, answer: unknown): void {
    this.answers.delete(key);
    this.answers.set(key, answer);
    while (this.answers.size > MAX_FEEDBACK_KEYS) this.answers.delete(this.answers.keys().next().value!);
  }

  /** The JSON form: [key, answer] pairs, oldest first. */
  toJSON(): [string, unknown][] {
    return [...this.answers];
  }

  /** Keys from their JSON form (absent in files written before keys existed: none). */
  static fromJSON(data: unknown): FeedbackKeys {
    const keys = new FeedbackKeys();
    if (Array.isArray(data)) for (const e of data) if (Array.isArray(e) && typeof e[0] === 'string') keys.set(e[0], e[1]);
    return keys;
  }
}

const feedbackKeys = new WeakMap<Session, FeedbackKeys>();

/** The feedback keys of `session` (empty for a new one). */
export function feedbackKeysOf(session: Session): FeedbackKeys {
  let keys = feedbackKeys.get(session);
  if (!keys) {
    keys = new FeedbackKeys();
    feedbackKeys.set(session, keys);
  }
  return keys;
}

/**
 * Write a session's new served rows (appended) and then its session.json (atomically), so
 * session.json never counts rows that are not on disk.
 */
export async function saveSessionDir(dir: string, session: Session): Promise<void> {
  await mkdir(dir, { recursive: true });
  const count = session.served.count;
  if (count > session.rowsOnDisk) {
    const fh = await open(join(dir, SESSION_FILES.served), 'a');
    try {
      await fh.write(session.served.rows(session.rowsOnDisk, count));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    session.rowsOnDisk = count;
  }
  const file: SessionFile & { feedbackKeys?: unknown } = session.toFile();
  file.counters = { ...file.counters, served: Math.min(file.counters.served, count) };
  file.feedbackKeys = feedbackKeysOf(session).toJSON();
  await writeFileAtomic(join(dir, SESSION_FILES.session), JSON.stringify(file));
}

/**
 * Load the session saved in `dir`, validating its spec against `catalog` again.
 * @throws InputError for a missing or unreadable session.json, a spec the catalog no longer accepts,
 * or files that disagree with each other
 */
export async function loadSessionDir(dir: string, catalog: Catalog): Promise<Session> {
  let file: SessionFile;
  try {
    file = JSON.parse(await readFile(join(dir, SESSION_FILES.session), 'utf8')) as SessionFile;
  } catch (err) {
    throw new InputError(`${join(dir, SESSION_FILES.session)}: expected a session file, got ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (file?.format !== SESSION_FORMAT) throw new InputError(`${join(dir, SESSION_FILES.session)}: expected format ${SESSION_FORMAT}, got ${JSON.stringify(file?.format)}`);
  const spec = parseSpec(file.spec, catalog);
  const servedPath = join(dir, SESSION_FILES.served);
  let rows: Uint8Array = await readFile(servedPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return new Uint8Array(0);
    throw err;
  });
  const committed = file.counters.served * file.rowBytes;
  if (rows.length > committed) {
    await truncate(servedPath, committed);
    rows = rows.subarray(0, committed);
  }
  const session = Session.fromFile(file, spec, catalog, rows);
  feedbackKeys.set(session, FeedbackKeys.fromJSON((file as { feedbackKeys?: unknown }).feedbackKeys));
  return session;
}

/** Where the store logs what it skips. */
export interface StoreLogger {
  error(message: string): void;
  info?(message: string): void;
}

/** Options of SessionStore.open. */
export interface SessionStoreOptions {
  dataDir: string;
  catalog: Catalog;
  logger?: StoreLogger;
  /** Intra-op threads of loaded classifiers (0: onnxruntime's default). */
  classifierThreads?: number;
}

/** The sessions of a data dir (see the module comment). */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly classifiers = new Map<string, Promise<LoadedClassifier>>();
  private readonly deleted = new Set<string>();

  private constructor(private readonly opts: SessionStoreOptions) {}

  /** Load every session under `<dataDir>/sessions` (unreadable ones are logged and skipped). */
  static async open(opts: SessionStoreOptions): Promise<SessionStore> {
    const store = new SessionStore(opts);
    const root = store.root();
    await mkdir(root, { recursive: true });
    await removeTempFiles(root).catch(() => 0);
    for (const name of (await readdir(root)).sort()) {
      if (!SESSION_ID_RE.test(name)) continue;
      try {
        const session = await loadSessionDir(join(root, name), opts.catalog);
        if (session.id !== name) throw new Error(`session.json names session ${session.id}`);
        store.sessions.set(name, session);
      } catch (err) {
        opts.logger?.error(`sessions: skipping ${name}: ${(err as Error).message}`);
      }
    }
    return store;
  }

  /** The sessions folder. */
  root(): string {
    return join(this.opts.dataDir, SESSIONS_DIR);
  }

  /** The folder of session `id`. */
  dirOf(id: string): string {
    return join(this.root(), id);
  }

  /** A new session with a fresh id, saved before it is returned. */
  async create(init: Omit<SessionInit, 'id' | 'catalog'>): Promise<Session> {
    const session = Session.create({ ...init, id: randomUUID(), catalog: this.opts.catalog });
    this.sessions.set(session.id, session);
    await this.save(session);
    return session;
  }

  /** Session `id`, if there is one. */
  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Sessions, oldest first. */
  list(): Session[] {
    return [...this.sessions.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  }

  /** Save a session (a save already waiting to start covers this call too). */
  save(session: Session): Promise<void> {
    const waiting = this.pending.get(session.id);
    if (waiting) return waiting;
    const previous = this.chains.get(session.id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => {
      this.pending.delete(session.id);
      if (this.deleted.has(session.id)) return undefined;
      return saveSessionDir(this.dirOf(session.id), session);
    });
    this.pending.set(session.id, next);
    this.chains.set(session.id, next);
    return next;
  }

  /** Delete a session and its files; false when there is no such session. */
  async delete(id: string): Promise<boolean> {
    if (!this.sessions.has(id)) return false;
    this.sessions.delete(id);
    this.deleted.add(id);
    await (this.chains.get(id) ?? Promise.resolve()).catch(() => undefined);
    await this.releaseClassifier(id);
    await rm(this.dirOf(id), { recursive: true, force: true });
    return true;
  }

  /**
   * Install a classifier snapshot for `session` (see installClassifier) and keep it loaded.
   * @throws InputError as installClassifier
   */
  async installClassifier(session: Session, source: ClassifierSource, label: string): Promise<void> {
    const { info, loaded } = await installClassifier(join(this.dirOf(session.id), SESSION_FILES.classifier), source, session.binning.classes, label, this.opts.classifierThreads);
    await this.releaseClassifier(session.id);
    this.classifiers.set(session.id, Promise.resolve(loaded));
    session.classifier = info;
    await this.save(session);
  }

  /** The session's loaded classifier (loaded once), or null when it has none. */
  async classifierFor(session: Session): Promise<LoadedClassifier | null> {
    if (!session.classifier) return null;
    let p = this.classifiers.get(session.id);
    if (!p) {
      p = openClassifier(join(this.dirOf(session.id), SESSION_FILES.classifier), this.opts.classifierThreads);
      this.classifiers.set(session.id, p);
      p.catch(() => this.classifiers.delete(session.id));
    }
    return p;
  }

  private async releaseClassifier(id: string): Promise<void> {
    const p = this.classifiers.get(id);
    this.classifiers.delete(id);
    if (p) await p.then((c) => c.session.release(), () => undefined);
  }

  /** Wait for every save, then release the loaded classifiers. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
    await Promise.allSettled([...this.classifiers.keys()].map((id) => this.releaseClassifier(id)));
  }
}
