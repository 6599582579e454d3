import test from 'ava';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from '../../src/feedback/session.js';
import { SESSION_FILES, SessionStore, loadSessionDir, saveSessionDir } from '../../src/feedback/store.js';
import { catalog, spec } from '../helpers.js';

const RAW = { name: 'store', seed: 1, resolution: [32, 32], classes: ['cube', 'torus'], factors: { yaw: { uniform: [0, 360] }, texture: { choice: ['default', 'wood'] } } };
const dirs: string[] = [];
test.after.always(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'synth-store-'));
  dirs.push(d);
  return d;
}

function serve(s: Session, n: number): void {
  const b = s.prepare(n);
  s.commit(b);
  s.ingest(b.items.map((it, i) => ({ id: it.id, loss: i % 3, correct: i % 2 === 0 })));
}

test('saves append served rows and rewrite session.json; a load gives the same session', async (t) => {
  const dir = join(await temp(), 's');
  const s = Session.create({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', rawSpec: RAW, spec: spec(RAW), catalog });
  serve(s, 10);
  await saveSessionDir(dir, s);
  serve(s, 7);
  await saveSessionDir(dir, s);
  await saveSessionDir(dir, s);
  t.is((await stat(join(dir, SESSION_FILES.served))).size, 17 * s.served.rowBytes, 'each row written once');
  const back = await loadSessionDir(dir, catalog);
  t.deepEqual(back.view(), s.view());
  t.deepEqual(Array.from(back.served.rows(0)), Array.from(s.served.rows(0)));
  t.deepEqual(back.prepare(5).items, s.prepare(5).items, 'the same next batch');
});

test('rows past the committed count (a batch cut short by a crash) are cut at load', async (t) => {
  const dir = join(await temp(), 's');
  const s = Session.create({ id: '0f8fad5b-d9cb-469f-a165-70867728950e', rawSpec: RAW, spec: spec(RAW), catalog });
  serve(s, 4);
  await saveSessionDir(dir, s);
  await appendFile(join(dir, SESSION_FILES.served), new Uint8Array(3 * s.served.rowBytes).fill(7));
  const back = await loadSessionDir(dir, catalog);
  t.is(back.served.count, 4);
  t.is((await stat(join(dir, SESSION_FILES.served))).size, 4 * s.served.rowBytes, 'the file is cut too, so the next append lines up');
  serve(back, 2);
  await saveSessionDir(dir, back);
  const again = await loadSessionDir(dir, catalog);
  t.deepEqual(Array.from(again.served.rows(0)), Array.from(back.served.rows(0)));
});

test('a store loads every session of its data dir, skips broken ones, deletes with files', async (t) => {
  const dataDir = await temp();
  const errors: string[] = [];
  const logger = { error: (m: string) => errors.push(m) };
  const store = await SessionStore.open({ dataDir, catalog, logger });
  const a = await store.create({ rawSpec: RAW, spec: spec(RAW) });
  const b = await store.create({ rawSpec: RAW, spec: spec(RAW), strategy: 'uniform' });
  serve(a, 5);
  await Promise.all([store.save(a), store.save(a), store.save(b)]);
  await writeFile(join(store.root(), '7c9e6679-7425-40de-944b-e07fc1f90ae7'), 'not a folder');
  await store.close();
  const reopened = await SessionStore.open({ dataDir, catalog, logger });
  t.deepEqual(reopened.list().map((s) => s.id).sort(), [a.id, b.id].sort());
  t.is(reopened.get(a.id)!.counters.served, 5);
  t.is(reopened.get(b.id)!.strategy, 'uniform');
  t.is(errors.length, 1, 'the broken entry is logged and skipped');
  t.true(await reopened.delete(a.id));
  t.false(await reopened.delete(a.id));
  await t.throwsAsync(readFile(join(reopened.dirOf(a.id), SESSION_FILES.session)));
  t.is((await SessionStore.open({ dataDir, catalog })).list().length, 1);
});
