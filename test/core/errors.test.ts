import test from 'ava';
import { InputError, inputError, unknownName, withInputPaths } from '../../src/core/errors.js';

test('inputError says who, what was expected and what came, with the path as a structured issue', (t) => {
  const err = inputError('guidance.scale', 'a number in [0, 1000]', -1);
  t.true(err instanceof InputError);
  t.is(err.message, 'guidance.scale: expected a number in [0, 1000], got -1');
  t.deepEqual(err.issues, [{ path: 'guidance.scale', expected: 'a number in [0, 1000]', received: '-1', message: err.message }]);
  t.is(unknownName('classes', 'class', 'zebra', ['a', 'b']).message, 'classes: expected a known class (one of: a, b), got "zebra"');
});

test('withInputPaths says each issue\'s path in the caller\'s words and leaves the rest', (t) => {
  const err = new InputError([
    ...inputError('guidance.scale', 'a step size > 0 for gradient guidance', 0).issues,
    ...inputError('timestepSpacing', 'one of leading, trailing', 'x').issues,
    { path: 'classes', expected: 'a class', received: '"q"', message: 'classes (of the model): expected a class, got "q"' },
    { path: 'steps', expected: 'x', received: 'y', message: 'the sampler says no' },
    { path: '', expected: '', received: '', message: 'a message without a path' },
  ]);
  const flags: Record<string, string> = { 'guidance.scale': '--guidance-scale', timestepSpacing: '--spacing', classes: '--class', steps: '--steps' };
  const renamed = withInputPaths(err, (path) => flags[path] ?? path);
  t.deepEqual(renamed.issues.map((i) => i.path), ['--guidance-scale', '--spacing', '--class', '--steps', '']);
  t.is(renamed.message, [
    '--guidance-scale: expected a step size > 0 for gradient guidance, got 0',
    '--spacing: expected one of leading, trailing, got "x"',
    '--class (of the model): expected a class, got "q"',
    '--steps: the sampler says no',
    'a message without a path',
  ].join('\n'));
  t.is(renamed.issues[0].expected, 'a step size > 0 for gradient guidance', 'expected and received stay');
  const same = withInputPaths(err, (path) => path);
  t.is(same.message, err.message, 'an identity rename changes nothing');
  t.is(withInputPaths(inputError('guidance.mode', 'svdd', 'gradient'), (p) => p.replace(/^guidance\./, 'options.guided.')).message, 'options.guided.mode: expected svdd, got "gradient"');
});
