import test from 'ava';
import { mkdtemp, readFile, readdir, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../src/core/fs.js';

test('writeFileAtomicSync makes the folders, writes the bytes and leaves no temp file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-fs-'));
  const dirs = new Set<string>();
  writeFileAtomicSync(join(dir, 'a', 'b', 'x.bin'), Uint8Array.from([1, 2, 3]), dirs);
  writeFileAtomicSync(join(dir, 'a', 'b', 'y.txt'), 'hello', dirs);
  writeFileAtomicSync(join(dir, 'a', 'b', 'y.txt'), 'replaced', dirs);
  t.deepEqual([...await readFile(join(dir, 'a', 'b', 'x.bin'))], [1, 2, 3]);
  t.is(await readFile(join(dir, 'a', 'b', 'y.txt'), 'utf8'), 'replaced');
  t.deepEqual((await readdir(join(dir, 'a', 'b'))).sort(), ['x.bin', 'y.txt']);
  t.deepEqual([...dirs], [join(dir, 'a', 'b')], 'the folder is remembered once');
});

test('writeFileAtomicSync: a failed rename removes its temp file and throws', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-fs-'));
  await mkdir(join(dir, 'taken', 'inside'), { recursive: true }); // a non-empty folder where the file should go
  const err = t.throws(() => writeFileAtomicSync(join(dir, 'taken'), 'x')) as NodeJS.ErrnoException;
  t.regex(err.code ?? '', /^(EISDIR|ENOTEMPTY|EEXIST|ENOTDIR)$/);
  t.deepEqual(await readdir(dir), ['taken'], 'no temp file left beside it');
});
