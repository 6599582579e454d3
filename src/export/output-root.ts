/** Confining output folders to a configured root (`--root` or SYNTH_OUTPUT_ROOT). */
import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { OutputError, inputError } from '../core/errors.js';

/** Environment variable naming the output root when `--root` is not given. */
export const OUTPUT_ROOT_ENV = 'SYNTH_OUTPUT_ROOT';

/**
 * Resolve `out` (relative to the working directory) to a real path: `..` resolved, and symlinks of its
 * deepest existing ancestor followed. With a `root`, refuse a path that lands outside it.
 * @throws InputError when `root` is not an existing folder.
 * @throws OutputError when `out` escapes `root`, or passes through a dangling symlink.
 */
export async function resolveOutput(out: string, root?: string): Promise<string> {
  let existing = resolve(out);
  const rest: string[] = [];
  let real: string;
  for (;;) {
    try {
      real = await realpath(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (await lstat(existing).then(() => true, () => false)) throw new OutputError(`--out: ${out} passes through a dangling symlink (${existing}); refusing it`);
      rest.unshift(basename(existing));
      existing = dirname(existing);
    }
  }
  const full = join(real, ...rest);
  if (root === undefined || root === '') return full;
  let rootReal: string;
  try {
    rootReal = await realpath(resolve(root));
  } catch (err) {
    throw inputError('--root', 'an existing folder', root, (err as NodeJS.ErrnoException).code);
  }
  const inside = rootReal === sep || full === rootReal || full.startsWith(rootReal + sep);
  if (!inside) throw new OutputError(`--out: ${out} resolves to ${full}, outside the output root ${rootReal} (--root or ${OUTPUT_ROOT_ENV})`);
  return full;
}
