/** Command-line option parsing helpers: every bad value becomes an InputError naming the flag. */
import { parseArgs } from 'node:util';
import { InputError, inputError } from '../core/errors.js';
import { autoWorkers, MAX_WORKERS } from '../render/pool.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Parse argv for a command; unknown flags and stray positionals are InputErrors listing the valid flags. */
type Values<T extends OptionSpec> = { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

export function parseCommandArgs<T extends OptionSpec>(command: string, argv: string[], options: T, positionals = 0): { values: Values<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (parsed.positionals.length > positionals) {
      throw inputError(command, `at most ${positionals} positional argument(s)`, parsed.positionals);
    }
    return { values: parsed.values as Values<T>, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof InputError) throw err;
    const valid = Object.keys(options).map((k) => `--${k}`).join(', ');
    throw new InputError(`${command}: ${(err as Error).message.replace(/\. To specify.*$/s, '')} (valid options: ${valid})`);
  }
}

/** An integer option: undefined when absent, InputError when not an integer in [min, max]. */
export function intOption(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw inputError(`--${name}`, `an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '...' : max}]`, value);
  }
  return n;
}

/** A choice option: InputError listing the choices when not one of them. */
export function choiceOption<T extends string>(name: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw inputError(`--${name}`, `one of ${choices.join(', ')}`, value);
  return value as T;
}

/**
 * `--workers auto|N`: renderer threads (see render/pool.ts); auto picks by the machine's cores and
 * the job's `samples`.
 * @throws InputError naming --workers
 */
export function workersOption(value: string | undefined, samples?: number): number {
  if (value === undefined || value === 'auto') return autoWorkers(samples);
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_WORKERS) throw inputError('--workers', `auto or an integer in [1, ${MAX_WORKERS}]`, value);
  return n;
}
