import test from 'ava';
import { InputError } from '../../src/core/errors.js';
import { describeSample, planSampling } from '../../src/spec/sample.js';
import { Session, type SessionOptions } from '../../src/feedback/session.js';
import { validateFeedback, sampleNumberOf, sessionSampleId } from '../../src/feedback/ingest.js';
import type { Strategy } from '../../src/feedback/strategy.js';
import { catalog, spec } from '../helpers.js';

const RAW = { name: 'fb', seed: 9, resolution: [32, 32], classes: ['cube', 'torus', 'sphere'], factors: { yaw: { uniform: [0, 360] }, texture: { choice: ['default', 'wood', 'checker'] } } };
const ID_A = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ID_B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function make(id = ID_A, strategy: Strategy = 'hardness', options: SessionOptions = {}, raw: Record<string, unknown> = RAW): Session {
  return Session.create({ id, rawSpec: raw, spec: spec(raw), catalog, strategy, options });
}

/** Feedback: loss 3 for torus samples with yaw in [270, 360), 0.3 otherwise. */
function lossOf(s: Session, n: number): number {
  const item = s.served.classOf(n);
  const { buf, offset } = s.served.binsAt(n);
  return item === 1 && buf[offset] === 3 ? 3 : 0.3;
}

function serveAndReport(s: Session, n: number): void {
  const b = s.prepare(n);
  s.commit(b);
  s.ingest(b.items.map((it) => ({ id: it.id, loss: lossOf(s, it.number) })));
}

test('commit gives session sample ids; ids resolve back to sample numbers', (t) => {
  const s = make();
  const b = s.prepare(5);
  t.true(b.items.every((it) => it.id === '' && it.number === -1), 'no ids before commit');
  s.commit(b);
  t.deepEqual(b.items.map((it) => it.id), [0, 1, 2, 3, 4].map((n) => `${ID_A}-0000000${n}`));
  t.is(sampleNumberOf(b.items[3].id, ID_A), 3);
  t.is(sampleNumberOf(sessionSampleId(ID_B, 3), ID_A), -2, 'another session\'s id');
  t.is(sampleNumberOf('cat.png', ID_A), -1);
  t.is(sampleNumberOf(`${ID_A}-x1`, ID_A), -1);
  t.is(s.counters.served, 5);
  t.throws(() => s.commit(b), { message: /already committed/ });
});

test('uniform is plain spec sampling: sample i of the session is sample i of the spec', (t) => {
  const s = make(ID_A, 'uniform');
  const b = s.prepare(6);
  const plan = planSampling(spec(RAW), catalog);
  b.items.forEach((it, i) => t.deepEqual(it.factors, describeSample(plan, i).factors));
  t.true(b.items.every((it) => it.strategy === 'uniform' && it.hardness === undefined));
  const next = s.prepare(2);
  t.deepEqual(next.items.map((it) => it.sceneIndex), [6, 7], 'the scene counter moves on');
});

test('the served map records each sample\'s actual class and bins', (t) => {
  const s = make();
  const b = s.prepare(40);
  s.commit(b);
  for (const it of b.items) {
    t.is(s.served.classOf(it.number), ['cube', 'torus', 'sphere'].indexOf(String(it.factors.class)));
    const { buf, offset } = s.served.binsAt(it.number);
    t.is(buf[offset], Math.floor(Number(it.factors.yaw) / 90));
    t.is(buf[offset + 1], ['default', 'wood', 'checker'].indexOf(String(it.factors.texture)));
    t.is(s.served.strategyOf(it.number), 'hardness');
  }
});

test('the same feedback history gives the same next batch; another history another batch', (t) => {
  const a = make(ID_A);
  const b = make(ID_B);
  for (let k = 0; k < 3; k++) {
    serveAndReport(a, 64);
    serveAndReport(b, 64);
  }
  const na = a.prepare(32);
  const nb = b.prepare(32);
  t.deepEqual(na.items.map((it) => it.factors), nb.items.map((it) => it.factors), 'same draws (ids differ, scenes do not)');
  t.deepEqual(na.items.map((it) => it.hardness), nb.items.map((it) => it.hardness));
  const c = make(ID_B);
  for (let k = 0; k < 3; k++) {
    const batch = c.prepare(64);
    c.commit(batch);
    c.ingest(batch.items.map((it) => ({ id: it.id, loss: c.served.classOf(it.number) === 0 ? 3 : 0.3 })));
  }
  t.notDeepEqual(c.prepare(32).items.map((it) => it.factors), na.items.map((it) => it.factors));
});

test('hardness batches move towards the hard cells, and record the hardness they were drawn for', (t) => {
  const s = make();
  for (let k = 0; k < 6; k++) serveAndReport(s, 128);
  const b = s.prepare(600);
  const torus = b.items.filter((it) => it.factors.class === 'torus');
  t.true(torus.length > 300, `torus (the hard class) is most of the batch: ${torus.length} of 600`);
  const hardYaw = torus.filter((it) => Number(it.factors.yaw) >= 270).length;
  t.true(hardYaw > torus.length / 2, `most torus samples in the hard yaw bin: ${hardYaw} of ${torus.length}`);
  t.true(b.items.some((it) => it.factors.class === 'cube') && b.items.some((it) => it.factors.class === 'sphere'), 'the easy classes still come');
  const it = torus[0];
  t.is(it.strategy, 'hardness');
  t.true(it.hardness! > 0.3, `class hardness recorded: ${it.hardness}`);
  t.deepEqual(Object.keys(it.binHardness!), ['yaw', 'texture']);
  const view = s.view();
  t.is(view.hardness.signal, 'loss');
  const classes = Object.fromEntries(view.hardness.classes.map((c) => [c.class, c]));
  t.true(classes.torus.hardness > classes.cube.hardness);
  t.true(classes.torus.probability > classes.cube.probability);
  const yawBins = view.hardness.factors[0].bins;
  t.is(yawBins[3].label, '[270, 360]');
  t.true(yawBins[3].hardness > yawBins[0].hardness);
  t.true(Math.abs(view.hardness.classes.reduce((p, c) => p + c.probability, 0) - 1) < 1e-9);
});

test('balanceClasses: classes stay balanced while the factor bins still tilt towards the hard ones', (t) => {
  const s = make(ID_A, 'hardness', { balanceClasses: true });
  for (let k = 0; k < 6; k++) serveAndReport(s, 128);
  const b = s.prepare(900);
  const counts = ['cube', 'torus', 'sphere'].map((c) => b.items.filter((it) => it.factors.class === c).length);
  t.true(counts.every((n) => n > 240 && n < 360), `about a third each: ${counts}`);
  const torus = b.items.filter((it) => it.factors.class === 'torus');
  const hardYaw = torus.filter((it) => Number(it.factors.yaw) >= 270).length;
  t.true(hardYaw > torus.length / 2, `within torus, the hard yaw bin dominates: ${hardYaw} of ${torus.length}`);
  t.true(s.view().hardness.classes.every((c) => Math.abs(c.probability - 1 / 3) < 1e-9), 'the view shows the uniform class draw');
  t.is(s.toFile().options.balanceClasses, true, 'stored with the session');
});

test('neighbours: draws land in the joint cells of the hardest recent records, which the per-factor tilt misses', (t) => {
  // Hard only in one joint cell: torus with wood texture and yaw in [90, 180) (loss 4; all else 0.2).
  const hardCell = (f: Record<string, unknown>) => f.class === 'torus' && f.texture === 'wood' && Number(f.yaw) >= 90 && Number(f.yaw) < 180;
  const run = (options: SessionOptions) => {
    const s = make(ID_A, 'hardness', options);
    for (let k = 0; k < 4; k++) {
      const b = s.prepare(200);
      s.commit(b);
      s.ingest(b.items.map((it) => ({ id: it.id, loss: hardCell(it.factors) ? 4 : 0.2 })));
    }
    return s;
  };
  const plain = run({});
  const mixed = run({ neighbours: 0.5 });
  const inCell = (s: Session) => s.prepare(1000).items.filter((it) => hardCell(it.factors)).length;
  const a = inCell(plain), b = inCell(mixed);
  t.true(b > a + 200, `the joint hard cell: ${b} of 1000 with neighbours, ${a} without`);
  const batch = mixed.prepare(400);
  const neighbours = batch.items.filter((it) => it.neighbourOf);
  t.true(neighbours.length > 140 && neighbours.length < 260, `about half the draws are neighbours: ${neighbours.length}`);
  for (const it of neighbours) {
    t.true(hardCell(it.factors), 'every neighbour is in the hard joint cell (the hard records are all there)');
    t.is(it.strategy, 'hardness');
    t.is(it.neighbourOf!.score, 4);
    t.is(sampleNumberOf(it.neighbourOf!.id, ID_A) >= 0, true);
  }
  const view = mixed.view().hardness.neighbours;
  t.deepEqual({ share: view.share, records: view.records, minScore: view.minScore }, { share: 0.5, records: 800, minScore: 4 });
  t.true(view.hard > 0 && view.hard <= 200, `the hard records: ${view.hard}`);
});

test('neighbours: the newest records only, persisted with the session; an old file draws no neighbours', (t) => {
  const s = make(ID_A, 'hardness', { neighbours: 1, recent: 50 });
  const b = s.prepare(120);
  s.commit(b);
  // the oldest 70 records are hard, the newest 50 easy but for one
  s.ingest(b.items.map((it, i) => ({ id: it.id, loss: i < 70 ? 5 : i === 100 ? 2 : 0.1 })));
  t.is(s.recent.size, 50);
  const next = s.prepare(30);
  t.true(next.items.every((it) => it.neighbourOf?.id === b.items[100].id || (it.neighbourOf?.score === 0.1)), 'drawn around the newest records only');
  t.true(next.items.some((it) => it.neighbourOf?.id === b.items[100].id));
  const file = JSON.parse(JSON.stringify(s.toFile()));
  t.is(file.recent.numbers.length, 50);
  const back = Session.fromFile(file, spec(RAW), catalog, s.served.rows(0));
  t.deepEqual(back.prepare(20).items, s.prepare(20).items, 'the same draws after a round trip');
  const { recent: _recent, ...old } = file;
  const { neighbours: _n, hardFraction: _h, recent: _r, ...oldOptions } = file.options;
  const legacy = Session.fromFile({ ...old, options: oldOptions }, spec(RAW), catalog, s.served.rows(0));
  t.is(legacy.options.neighbours, 0);
  t.true(legacy.prepare(20).items.every((it) => !it.neighbourOf));
});

test('ingestion counts unknown and other sessions\' ids and never applies them', (t) => {
  const a = make(ID_A);
  const b = make(ID_B);
  const ba = a.prepare(4); a.commit(ba);
  const bb = b.prepare(4); b.commit(bb);
  const before = JSON.stringify(a.hardness.toJSON());
  const r = a.ingest([
    { id: bb.items[0].id, loss: 9 }, { id: `${ID_A}-00000099`, loss: 9 }, { id: 'nonsense', loss: 9 },
  ]);
  t.deepEqual(r, { accepted: 0, rejected: 3, unknown: 2, otherSession: 1, unknownIds: [bb.items[0].id, `${ID_A}-00000099`, 'nonsense'] });
  t.is(JSON.stringify(a.hardness.toJSON()), before, 'nothing applied');
  const ok = a.ingest([{ id: ba.items[1].id, loss: 1.5, correct: false }, { id: ba.items[2].id, correct: true }, { id: 'x', loss: 1 }]);
  t.is(ok.accepted, 2);
  t.is(ok.rejected, 1);
  t.is(a.hardness.global.records, 2);
  t.is(a.hardness.global.errorSum, 1);
  t.is(a.counters.accepted, 2);
  t.is(a.counters.rejected, 4);
  t.is(a.counters.otherSession, 1);
  t.is(a.view().feedback.bySource.hardness.meanLoss, 1.5);
});

test('validateFeedback names the offending record index and field', (t) => {
  const records = Array.from({ length: 20 }, (_, i) => ({ id: `s-${i}`, loss: 0.5 }));
  t.is(validateFeedback({ records }).length, 20);
  const bad = records.map((r) => ({ ...r })) as Record<string, unknown>[];
  bad[17].loss = 'x';
  const e = t.throws(() => validateFeedback({ records: bad }), { instanceOf: InputError });
  t.is(e!.message, 'records[17].loss: expected a finite number >= 0, got "x"');
  t.is(e!.issues[0].path, 'records[17].loss');
  t.throws(() => validateFeedback({ records: [{ id: 'a', loss: -1 }] }), { message: 'records[0].loss: expected a finite number >= 0, got -1' });
  t.throws(() => validateFeedback({ records: [{ id: 'a' }] }), { message: /^records\[0\]: expected a loss or correct/ });
  t.throws(() => validateFeedback({ records: [{ id: 7, loss: 1 }] }), { message: /^records\[0\]\.id: expected a sample id/ });
  t.throws(() => validateFeedback({ records: [{ id: 'a', correct: 'yes' }] }), { message: 'records[0].correct: expected a boolean, got "yes"' });
  t.throws(() => validateFeedback({ records: [{ id: 'a', loss: 1, los: 2 }] }), { message: /records\[0\]: expected only the keys id, loss, correct, got unknown key "los"/ });
  t.throws(() => validateFeedback({ records: 'x' }), { message: /^records: expected an array/ });
  t.throws(() => validateFeedback({ records: [], extra: 1 }), { message: /^body: expected only the key records/ });
  const many = t.throws(() => validateFeedback({ records: Array(50).fill({ id: 1, loss: 1 }) }), { instanceOf: InputError });
  t.is(many!.issues.length, 10, 'at most 10 problems listed');
});

test('a session round-trips through its file form and draws the same next batch', (t) => {
  const s = make();
  for (let k = 0; k < 2; k++) serveAndReport(s, 50);
  const file = JSON.parse(JSON.stringify(s.toFile()));
  const back = Session.fromFile(file, spec(RAW), catalog, s.served.rows(0));
  t.is(back.served.count, 100);
  t.deepEqual(back.view(), s.view());
  t.deepEqual(back.prepare(20).items, s.prepare(20).items);
  t.throws(() => Session.fromFile(file, spec({ ...RAW, factors: { ...RAW.factors, yaw: { uniform: [0, 180] } } }), catalog, s.served.rows(0)), { instanceOf: InputError, message: /the spec's binning changed/ });
});

test('hardness draws never put a train sample in the holdout, even when the held-out cell is the hardest', (t) => {
  const raw = { ...RAW, holdout: [{ class: 'torus', texture: 'wood' }] };
  const s = make(ID_A, 'hardness', {}, raw);
  for (let k = 0; k < 4; k++) {
    const b = s.prepare(100);
    s.commit(b);
    s.ingest(b.items.map((it) => ({ id: it.id, loss: it.factors.class === 'torus' ? 3 : it.factors.texture === 'wood' ? 2 : 0.1 })));
  }
  const b = s.prepare(400);
  t.false(b.items.some((it) => it.factors.class === 'torus' && it.factors.texture === 'wood'));
  t.true(b.items.filter((it) => it.factors.class === 'torus').length > 150);
});

test('hardness works over grid specs: the binned axes are fixed, the rest cycles through the grid', (t) => {
  const raw = { name: 'g', seed: 2, mode: 'grid', resolution: [32, 32], classes: ['cube', 'torus'], factors: { texture: { values: ['default', 'wood'] }, yaw: { values: [0, 90, 180] } } };
  const s = make(ID_A, 'hardness', {}, raw);
  t.deepEqual(s.binning.factors.map((f) => [f.factor, f.count]), [['yaw', 3], ['texture', 2]]);
  const b = s.prepare(30);
  for (const it of b.items) t.true([0, 90, 180].includes(Number(it.factors.yaw)));
});

test('pruned keeps the candidates with the highest criterion, in candidate order', (t) => {
  const s = make(ID_A, 'pruned', { candidates: 3 });
  const b = s.prepare(4);
  t.is(b.items.length, 12, 'k * n candidates');
  const criteria = [0, 5, 1, 9, 2, 2, 7, 0, 0, 3, 8, 1];
  const kept = Session.selectPruned(b, criteria);
  t.deepEqual(kept.items.map((it) => it.sceneIndex), [1, 3, 6, 10].map((i) => b.items[i].sceneIndex), 'the 4 highest of 12, in candidate order');
  t.deepEqual(kept.items.map((it) => it.criterion), [5, 9, 7, 8]);
  s.commit(kept);
  t.is(s.counters.served, 4);
  t.is(s.counters.drawn, 12);
  t.true(kept.items.every((it) => it.strategy === 'pruned'));
});

test('bad options and strategies name their field', (t) => {
  t.throws(() => make(ID_A, 'hardness', { factors: ['pitch'] }), { message: /^options\.factors\[0\]: expected a factor the spec varies/ });
  t.throws(() => make(ID_A, 'fancy' as Strategy), { message: /^strategy: expected one of uniform, hardness, pruned, guided/ });
  t.throws(() => make().prepare(0), { message: /^n: expected an integer >= 1/ });
});
