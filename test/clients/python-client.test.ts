// Runs the Python client's unittest suite (clients/python/tests) against the built service: the suite
// starts its own `synth serve --port 0` from dist/ (npm test builds it first). It needs python3 with
// numpy (scripts/setup.sh installs Debian's python3-numpy); Pillow and torch are optional there and
// the tests that need them report as skipped.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The first interpreter that imports numpy: $SYNTH_PYTHON, Debian's, then python3 on the PATH. */
function findPython(): string | null {
  const candidates = [process.env.SYNTH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  return candidates.find((p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) ?? null;
}

test('the Python client suite passes against a live service', async (t) => {
  const python = findPython();
  t.truthy(python, 'python3 with numpy (Debian: apt-get install python3-numpy; scripts/setup.sh does it)');
  if (!python) return;
  const child = spawn(python, ['-m', 'unittest', 'discover', '-v', '-s', 'clients/python/tests'], {
    cwd: ROOT, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ran = Number(/^Ran (\d+) tests?/m.exec(output)?.[1] ?? 0);
  const skipped = [...output.matchAll(/\.\.\. skipped '([^']*)'/g)].map((m) => m[1]);
  t.is(code, 0, `unittest exit status; output:\n${output.slice(-4000)}`);
  t.true(ran >= 11, `every test was found (ran ${ran})`);
  t.regex(output, /^OK/m);
  if (skipped.length > 0) t.log(`${python}: skipped ${skipped.length}: ${[...new Set(skipped)].join('; ')}`);
});
