/**
 * What the CLI prints and exits with for an error that ends a command: by the error's class, so only
 * the user's input and output problems exit 2, and a bug is never mistaken for one.
 */
import { InputError, OutputError, RenderError } from '../core/errors.js';
import { UsageError } from './args.js';
import { ModelRunError } from '../diffusion/model-limits.js';

/** Exit code and stderr text (without the `synth <command>: ` prefix) for an error. */
export interface Failure {
  /** 2: bad input or a refused output location; 1: a runtime failure or a bug. */
  code: 1 | 2;
  /** Lines to print, each after the command's prefix. */
  lines: string[];
  /** Printed after the lines as it is: the command's usage, or a bug's stack. */
  trailer?: string;
}

/** An operating-system error of a call (EADDRINUSE, EACCES, ENOSPC, ...): Node's errors with a `syscall`. */
function systemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * The exit code and message of an error: InputError (bad spec, options, files, manifests) and
 * OutputError (a refused output folder) exit 2 with their message; RenderError (the GPU or renderer
 * failed), ModelRunError (a model over its time or memory budget, or its runner died) and the
 * system's own errors (a port in use, a full disk) exit 1 with their message; anything else is a bug
 * and exits 1 with its stack.
 */
export function describeFailure(err: unknown): Failure {
  if (err instanceof UsageError) return { code: 2, lines: err.message.split('\n'), trailer: err.usage };
  if (err instanceof InputError || err instanceof OutputError) return { code: 2, lines: err.message.split('\n') };
  if (err instanceof RenderError) return { code: 1, lines: [`render failure: ${err.message}`] };
  if (err instanceof ModelRunError) return { code: 1, lines: [`model failure: ${err.message}`] };
  if (systemError(err)) return { code: 1, lines: [`system error: ${err.message}`] };
  const stack = err instanceof Error ? err.stack ?? `${err.name}: ${err.message}` : String(err);
  return { code: 1, lines: ['internal error (a bug: please report it with this trace):'], trailer: stack };
}

/** Print a failure on stderr, each line of its message under `prefix` (`synth export`); returns its exit code. */
export function reportFailure(prefix: string, err: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): number {
  const f = describeFailure(err);
  const usage = err instanceof UsageError;
  write(`${f.lines.map((l) => `${prefix}: ${l}`).join('\n')}\n${f.trailer ? `${usage ? '\n' : ''}${f.trailer}\n` : ''}`);
  return f.code;
}
