import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { describeGuidance, guidanceFlags } from '../../src/cli/generate-command.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');

function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test('synth generate --guidance entropy --guidance-mode svdd writes records with guidance and criterion', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-gen-guided-'));
  const out = join(dir, 'out');
  const r = await synth([
    'generate', '--class', 'cube,car', '--count', '2', '--steps', '4', '--scheduler', 'ddim', '--eta', '1',
    '--guidance', 'entropy', '--guidance-mode', 'svdd', '--candidates', '3', '--classifier', 'synth-classifier-32', '--out', out,
  ]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stderr, /guidance entropy, svdd \(scale 0, 3 candidates, steps 1,3\) by synth-classifier-32/, 'the header shows the guidance');
  const records = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  t.is(records.length, 4);
  for (const rec of records) {
    t.deepEqual(rec.guidance, { criterion: 'entropy', mode: 'svdd', scale: 0, steps: [1, 3], candidates: 3, classifier: 'synth-classifier-32' });
    t.true(typeof rec.criterion === 'number' && rec.criterion >= 0 && rec.criterion <= Math.log(10) + 1e-6, `entropy in [0, ln 10], got ${rec.criterion}`);
  }
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
  t.like(manifest.guidance, { criterion: 'entropy', mode: 'svdd', classifier: 'synth-classifier-32' });
});

test('bad guidance flags exit 2 naming the flag', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-gen-guided-'));
  const cases: [string[], RegExp][] = [
    [['--guidance', 'entropy', '--guidance-mode', 'gradient', '--steps', '4', '--classifier', 'synth-classifier-32'],
      /--guidance-mode: expected svdd or particles: classifier synth-classifier-32 has no input-gradient output for entropy/],
    [['--guidance-scale', '1'], /--guidance: expected a criterion \(entropy, loss, margin\) when --guidance-scale is given/],
    [['--classifier', 'synth-classifier-32'], /--guidance: expected a criterion .* when --classifier is given/],
    [['--guidance', 'fear'], /--guidance: expected one of entropy, loss, margin, got "fear"/],
    [['--guidance', 'loss', '--guidance-mode', 'svdd', '--steps', '4'], /--scheduler: expected ddpm, or ddim with eta > 0/],
    [['--guidance', 'loss', '--guidance-mode', 'svdd', '--particles', '3'], /--particles: expected --guidance-mode particles/],
    [['--guidance', 'loss', '--guidance-mode', 'svdd', '--scheduler', 'ddpm', '--steps', '4', '--classifier', './no/such/classifier'], /--classifier: expected a model name/],
    [['--guidance', 'loss', '--guidance-mode', 'svdd', '--scheduler', 'ddpm', '--steps', '4', '--guidance-steps', '1,x'], /--guidance-steps: expected a count N, or step indices i,j,k/],
  ];
  for (const [args, message] of cases) {
    const r = await synth(['generate', '--class', 'cube', '--count', '1', '--out', join(dir, 'out'), '--quiet', ...args]);
    t.is(r.code, 2, `${args.join(' ')}: exit 2 (${r.stderr})`);
    t.regex(r.stderr, message, args.join(' '));
  }
});

test('guidanceFlags maps the flags to guidance options', (t) => {
  t.is(guidanceFlags({}), null, 'no guidance without --guidance');
  t.deepEqual(guidanceFlags({ guidance: 'margin', 'guidance-mode': 'particles', particles: 5, 'guidance-steps': '2,7', 'guidance-scale': 4 }), {
    criterion: 'margin', mode: 'particles', scale: 4, steps: [2, 7], candidates: 5, classifier: 'synth-classifier-32-guide',
  });
  t.like(guidanceFlags({ guidance: 'loss', 'guidance-steps': '6' }), { steps: 6, mode: undefined, candidates: undefined }, 'a bare number is a count of steps');
  t.throws(() => guidanceFlags({ 'guidance-steps': '3' }), { instanceOf: InputError, message: /^--guidance: .*--guidance-steps/ });
  t.is(describeGuidance({ criterion: 'loss', mode: 'gradient', scale: 0.03, steps: [5, 10], candidates: 1, classifier: 'g' }), 'loss, gradient (scale 0.03, steps 5,10) by g');
});
