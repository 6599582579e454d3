import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTar } from '../../src/pipeline/tar.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');

function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const SPEC = { name: 'offline', seed: 4, resolution: [32, 32], classes: ['cube', 'torus'], factors: { yaw: { uniform: [0, 360] } } };

test('the offline loop: create, batch, feedback, show; the next batch follows the feedback', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-session-'));
  await writeFile(join(dir, 'spec.json'), JSON.stringify(SPEC));
  const sess = join(dir, 'sess');
  const created = await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', sess, '--strategy', 'hardness', '--bins', '2']);
  t.is(created.code, 0, created.stderr);
  t.regex(created.stdout, /binned yaw \(2\)/);
  const b0 = await synth(['session', 'batch', '--dir', sess, '--n', '6', '--out', join(dir, 'out'), '--quiet']);
  t.is(b0.code, 0, b0.stderr);
  const tar = join(dir, 'out', 'batch-000000.tar');
  t.true(existsSync(tar));
  const samples = parseTar(await readFile(tar)).filter((m) => m.name.endsWith('.json')).map((m) => JSON.parse(Buffer.from(m.data).toString()));
  t.is(samples.length, 6);
  t.true(samples.every((s) => s.strategy === 'hardness' && /-\d{8}$/.test(s.id)));

  const lines = samples.map((s) => JSON.stringify({ id: s.id, loss: s.class === 'torus' ? 5 : 0.05 }));
  await writeFile(join(dir, 'bad.jsonl'), `${lines.join('\n')}\n{"id": "x", "loss": -2}\n`);
  const bad = await synth(['session', 'feedback', '--dir', sess, '--file', join(dir, 'bad.jsonl')]);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /bad\.jsonl:7: loss: expected a finite number >= 0, got -2/, 'the line is named');
  await writeFile(join(dir, 'fb.jsonl'), `${lines.join('\n')}\n{"id": "${samples[0].id.replace(/.{13}$/, '000000000099')}", "loss": 1}\n`);
  const fb = await synth(['session', 'feedback', '--dir', sess, '--file', join(dir, 'fb.jsonl')]);
  t.is(fb.code, 0, fb.stderr);
  const result = JSON.parse(fb.stdout);
  t.is(result.accepted, 6);
  t.is(result.rejected, 1);

  const show = await synth(['session', 'show', '--dir', sess, '--json']);
  t.is(show.code, 0, show.stderr);
  const view = JSON.parse(show.stdout);
  t.is(view.counts.served, 6);
  t.is(view.feedback.accepted, 6);
  t.is(view.hardness.signal, 'loss');
  const torus = view.hardness.classes.find((c: { class: string }) => c.class === 'torus');
  const cube = view.hardness.classes.find((c: { class: string }) => c.class === 'cube');
  if (torus.records > 0 && cube.records > 0) t.true(torus.probability > cube.probability, 'the hard class is drawn more');
  const text = await synth(['session', 'show', '--dir', sess]);
  t.regex(text.stdout, /hardness: loss, tau/);

  const b1 = await synth(['session', 'batch', '--dir', sess, '--n', '3', '--out', join(dir, 'one.tar'), '--quiet']);
  t.is(b1.code, 0, b1.stderr);
  const ids = parseTar(await readFile(join(dir, 'one.tar'))).filter((m) => m.name.endsWith('.json')).map((m) => JSON.parse(Buffer.from(m.data).toString()).id);
  t.deepEqual(ids.map((id: string) => id.slice(-8)), ['00000006', '00000007', '00000008'], 'ids carry on across runs');
});

test('session commands exit 2 naming the flag', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-session-'));
  await writeFile(join(dir, 'spec.json'), JSON.stringify(SPEC));
  const guided = await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', join(dir, 'g'), '--strategy', 'guided']);
  t.is(guided.code, 0, guided.stderr);
  const noClassifier = await synth(['session', 'batch', '--dir', join(dir, 'g'), '--n', '2', '--out', join(dir, 'g.tar'), '--quiet']);
  t.is(noClassifier.code, 2);
  t.regex(noClassifier.stderr, /--strategy: expected a session with a classifier for guided/);
  t.is((await synth(['session', 'classifier', '--dir', join(dir, 'g'), '--model', 'synth-classifier-32'])).code, 0);
  const made = await synth(['session', 'batch', '--dir', join(dir, 'g'), '--n', '2', '--out', join(dir, 'g.tar'), '--quiet']);
  t.is(made.code, 0, made.stderr);
  const records = parseTar(await readFile(join(dir, 'g.tar'))).filter((m) => m.name.endsWith('.json')).map((m) => JSON.parse(Buffer.from(m.data).toString()));
  t.deepEqual(records.map((r) => [r.strategy, r.guidance.mode, r.generator.model]), [['guided', 'svdd', 'synth-unet-32'], ['guided', 'svdd', 'synth-unet-32']], 'the offline loop serves guided samples too');
  const bogus = await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', join(dir, 's'), '--strategy', 'fancy']);
  t.is(bogus.code, 2);
  t.regex(bogus.stderr, /--strategy: expected one of uniform, hardness, pruned, guided/);
  const factors = await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', join(dir, 's'), '--factors', 'pitch']);
  t.is(factors.code, 2);
  t.regex(factors.stderr, /--factors: expected a factor the spec varies/);
  t.is((await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', join(dir, 's'), '--epsilon', '2'])).code, 2);
  const noDir = await synth(['session', 'batch', '--dir', join(dir, 'none'), '--n', '2', '--out', join(dir, 'x.tar')]);
  t.is(noDir.code, 2);
  t.regex(noDir.stderr, /--dir: expected a session folder/);
  const sub = await synth(['session', 'bogus']);
  t.is(sub.code, 2);
  t.regex(sub.stderr, /session: expected a subcommand: one of create, feedback, batch, show, classifier/);
  const created = await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', join(dir, 's'), '--strategy', 'pruned']);
  t.is(created.code, 0, created.stderr);
  const pruned = await synth(['session', 'batch', '--dir', join(dir, 's'), '--n', '2', '--out', join(dir, 'x.tar')]);
  t.is(pruned.code, 2);
  t.regex(pruned.stderr, /--strategy: expected a session with a classifier for pruned/);
  const wrong = await synth(['session', 'create', '--spec', join(dir, 'spec.json'), '--dir', join(dir, 's2'), '--classifier', 'synth-unet-32']);
  t.is(wrong.code, 2, wrong.stderr);
  t.false(existsSync(join(dir, 's2')), 'no half-made session folder');
});
