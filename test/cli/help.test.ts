import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { InputError, OutputError, RenderError, inputError } from '../../src/core/errors.js';
import { SESSION_DEFAULTS } from '../../src/feedback/session.js';
import { EXPORT_DEFAULTS } from '../../src/export/export.js';
import { defaultLabel, defineCommand, flagForPath, parseCommand, UsageError, type Command } from '../../src/cli/args.js';
import { describeFailure, reportFailure } from '../../src/cli/failure.js';
import { COMMANDS } from '../../src/cli/main.js';

const BIN = join(process.cwd(), 'dist/cli/main.js');

function synth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Every command, subcommands included. */
const ALL: Command[] = Object.values(COMMANDS).flatMap((c) => ('subcommands' in c ? Object.values(c.subcommands) : [c]));

test('every option of every command has a description and a default or is required', (t) => {
  t.true(ALL.length >= 13, `${ALL.length} commands`);
  for (const c of ALL) {
    for (const [name, def] of Object.entries(c.options)) {
      t.true(def.description.length > 5, `synth ${c.name} --${name} is described`);
      if (def.type !== 'boolean') t.true(defaultLabel(def) !== null || Boolean(def.required), `synth ${c.name} --${name} has a default or is required`);
    }
  }
});

test('synth <command> --help lists every option of that command with its default', async (t) => {
  const results = await Promise.all(ALL.map((c) => synth([...c.name.split(' '), '--help'])));
  ALL.forEach((c, i) => {
    const r = results[i];
    t.is(r.code, 0, `synth ${c.name} --help: ${r.stderr}`);
    t.true(r.stdout.startsWith(`Usage: synth ${c.name} `), `synth ${c.name} --help starts with its own usage line`);
    t.false(r.stdout.includes('Commands:'), `synth ${c.name} --help is not the global usage`);
    for (const [name, def] of Object.entries(c.options)) {
      // the option's row: its label, then (maybe on the next line) its description with the default
      const row = new RegExp(`^ {2}(-\\w, | {4})--${name}\\b[^\\n]*(\\n {10,}[^\\n]*)?`, 'm').exec(r.stdout)?.[0] ?? '';
      t.true(row.includes(def.description), `synth ${c.name} --help describes --${name}`);
      const shown = defaultLabel(def);
      if (shown !== null) t.true(row.includes(`default: ${shown}`), `synth ${c.name} --help shows --${name}'s default ${shown}: ${row}`);
      if (def.required) t.true(row.includes('required'), `synth ${c.name} --help says --${name} is required`);
    }
  });
});

test('synth session create --help explains the hardness options with the defaults of SESSION_DEFAULTS', async (t) => {
  const [flagForm, helpForm] = await Promise.all([synth(['session', 'create', '--help']), synth(['help', 'session', 'create'])]);
  t.is(flagForm.code, 0);
  t.is(helpForm.stdout, flagForm.stdout, 'synth help session create prints the same help');
  for (const [flag, value] of [['epsilon', SESSION_DEFAULTS.epsilon], ['half-life', SESSION_DEFAULTS.halfLife], ['neighbours', SESSION_DEFAULTS.neighbours], ['strategy', SESSION_DEFAULTS.strategy]] as const) {
    t.regex(flagForm.stdout, new RegExp(`--${flag} .*\\n?.*default: ${value}\\)`), `--${flag} with default ${value}`);
  }
  const exportHelp = await synth(['help', 'export']);
  t.regex(exportHelp.stdout, new RegExp(`--shard-size N +samples per WebDataset tar shard .*default: ${EXPORT_DEFAULTS.shardSize}\\)`));
});

test('synth --help lists the commands one line each', async (t) => {
  const r = await synth(['--help']);
  t.is(r.code, 0);
  for (const c of ALL) t.regex(r.stdout, new RegExp(`^  synth ${c.name} +${c.summary.replace(/[()[\]|.*+?]/g, '\\$&')}$`, 'm'), `synth ${c.name} has its line`);
  t.true(r.stdout.split('\n').length < 40, 'short');
});

test('a bare synth session exits 2 naming the missing subcommand, with the session usage on stderr', async (t) => {
  const r = await synth(['session']);
  t.is(r.code, 2);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^synth session: expected a subcommand: one of create, feedback, batch, show, classifier, got nothing\n/);
  t.regex(r.stderr, /Usage: synth session <subcommand>/);
  t.regex(r.stderr, /^ {2}create {6}start a session folder from a spec$/m);
  const help = await synth(['session', '--help']);
  t.is(help.code, 0, 'synth session --help is a request, not an error');
  t.regex(help.stdout, /Usage: synth session <subcommand>/);
});

test('an unknown option gets exactly one prefix and a suggestion', async (t) => {
  const r = await synth(['export', '--formt', 'coco']);
  t.is(r.code, 2);
  t.is(r.stderr, 'synth export: unknown option --formt; did you mean --format? (synth export --help lists the options)\n');
  const sub = await synth(['session', 'create', '--bogus']);
  t.is(sub.code, 2);
  t.is(sub.stderr.split('\n')[0], 'synth session create: unknown option --bogus (synth session create --help lists the options)');
  const value = await synth(['export', '--out']);
  t.is(value.code, 2);
  t.is(value.stderr, 'synth export: --out: expected a value (DIR), got nothing\n');
});

test('a missing required option says it is required', async (t) => {
  const r = await synth(['export', '--count', '2']);
  t.is(r.code, 2);
  t.is(r.stderr, 'synth export: --out is required: the output folder\n');
  const n = await synth(['session', 'batch', '--dir', 'x', '--out', 'x.tar']);
  t.is(n.code, 2);
  t.is(n.stderr, 'synth session batch: --n is required: the number of samples in the batch\n');
  const dir = await synth(['verify']);
  t.is(dir.code, 2);
  t.is(dir.stderr, 'synth verify: DIR is required: the dataset folder to check\n');
});

const TABLE = {
  out: { type: 'string', short: 'o', description: 'output folder', required: 'the output folder' },
  count: { type: 'int', min: 1, max: 10, description: 'items', default: 3, path: 'count' },
  scale: { type: 'number', min: 0, max: 1, description: 'a scale', path: 'guidance.scale' },
  mode: { type: 'choice', choices: ['a', 'b'], description: 'mode', default: 'a' },
  names: { type: 'list', description: 'names', defaultText: 'all', path: 'options.factors' },
  candidates: { type: 'int', min: 2, max: 9, description: 'candidates', path: 'guidance.candidates' },
  particles: { type: 'int', min: 2, max: 9, description: 'particles', path: 'guidance.candidates' },
  quiet: { type: 'boolean', short: 'q', description: 'quiet' },
} as const;
const SPEC = { name: 'demo', summary: 'a demo', options: TABLE };

test('parseCommand types values, fills defaults and names the flag of a bad value', (t) => {
  const { values } = parseCommand(SPEC, ['-o', 'dir', '--scale', '0.5', '--names', 'a, b,', '-q']);
  t.deepEqual(values, { out: 'dir', count: 3, scale: 0.5, mode: 'a', names: ['a', 'b'], candidates: undefined, particles: undefined, quiet: true });
  t.true(parseCommand(SPEC, ['--help']).help);
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--count', '11']), { instanceOf: InputError, message: '--count: expected an integer in [1, 10], got "11"' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--scale', 'x']), { instanceOf: InputError, message: '--scale: expected a number in [0, 1], got "x"' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--scale', '-1']), { instanceOf: InputError, message: '--scale: a value starting with "-" goes as --scale=VALUE (--scale=-1)' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--scale=-1']), { instanceOf: InputError, message: '--scale: expected a number in [0, 1], got "-1"' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--quiet=yes']), { instanceOf: InputError, message: '--quiet is a flag and takes no value (synth demo --help lists the options)' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--mode', 'c']), { instanceOf: InputError, message: '--mode: expected one of a, b, got "c"' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--names', ',']), { instanceOf: InputError, message: '--names: expected a comma-separated list, got ","' });
  t.throws(() => parseCommand(SPEC, ['--count', '2']), { instanceOf: InputError, message: '--out is required: the output folder' });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', 'stray']), { instanceOf: InputError, message: /^arguments: expected options only/ });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--counts', '2']), { instanceOf: InputError, message: /^unknown option --counts; did you mean --count\?/ });
  t.throws(() => parseCommand(SPEC, ['-o', 'd', '--zebra']), { instanceOf: InputError, message: 'unknown option --zebra (synth demo --help lists the options)' });
});

test('domain errors come back naming the flag their option path stands for', async (t) => {
  t.is(flagForPath(TABLE, {}, 'guidance.scale'), '--scale');
  t.is(flagForPath(TABLE, { particles: 3 }, 'guidance.candidates'), '--particles', 'the flag given, of two sharing a path');
  t.is(flagForPath(TABLE, { candidates: 3 }, 'guidance.candidates'), '--candidates');
  t.is(flagForPath(TABLE, {}, 'options.factors[2]'), '--names', 'an item of a list by the list\'s flag');
  t.is(flagForPath(TABLE, {}, 'classes[1]'), 'classes[1]', 'a path no flag stands for stays');
  const command = defineCommand(SPEC, async ({ values }) => {
    if (values.scale !== undefined) throw inputError('guidance.scale', 'a step size > 0 for gradient guidance', 0);
    throw inputError('classes[1]', 'a known class', 'dragon');
  });
  await t.throwsAsync(command.run(['-o', 'd', '--scale', '0']), { instanceOf: InputError, message: '--scale: expected a step size > 0 for gradient guidance, got 0' });
  await t.throwsAsync(command.run(['-o', 'd']), { instanceOf: InputError, message: 'classes[1]: expected a known class, got "dragon"' });
});

test('exit codes by error class: input and output errors 2, a render failure 1, any other error is a bug: 1 with its stack', (t) => {
  t.is(describeFailure(inputError('--count', 'an integer', 'x')).code, 2);
  t.is(describeFailure(new OutputError('/x is not empty')).code, 2);
  const usage = describeFailure(new UsageError('expected a subcommand', 'Usage: synth session'));
  t.deepEqual([usage.code, usage.trailer], [2, 'Usage: synth session']);
  t.deepEqual(describeFailure(new RenderError('device lost')), { code: 1, lines: ['render failure: device lost'] });
  for (const bug of [new RangeError('offset: expected an index in [0, 3], got 7'), new TypeError('expected a string'), new Error('boom')]) {
    const f = describeFailure(bug);
    t.is(f.code, 1, `${bug.name} is a bug, not bad input`);
    t.is(f.trailer, bug.stack, `${bug.name} is reported with its stack`);
  }
  const busy = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8080'), { code: 'EADDRINUSE', syscall: 'listen' });
  t.deepEqual(describeFailure(busy), { code: 1, lines: ['system error: listen EADDRINUSE: address already in use 127.0.0.1:8080'] }, 'the system\'s errors are runtime failures, not bugs');
  let text = '';
  t.is(reportFailure('synth export', new RangeError('x: expected y'), (s) => { text += s; }), 1);
  t.regex(text, /^synth export: internal error \(a bug: please report it with this trace\):\nRangeError: x: expected y\n {4}at /);
  text = '';
  t.is(reportFailure('synth session', new UsageError('expected a subcommand', 'Usage: synth session'), (s) => { text += s; }), 2);
  t.is(text, 'synth session: expected a subcommand\n\nUsage: synth session\n');
  text = '';
  t.is(reportFailure('synth export', new InputError([{ path: 'a', expected: '', received: '', message: 'a: one' }, { path: 'b', expected: '', received: '', message: 'b: two' }]), (s) => { text += s; }), 2);
  t.is(text, 'synth export: a: one\nsynth export: b: two\n', 'each line of an input error under the prefix');
});
