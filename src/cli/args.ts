/**
 * Commands of the CLI as declarative tables: each option's type, range or choices, one-line
 * description, default and the option path it stands for live in one table, from which both the
 * parsing (node's parseArgs) and the command's `--help` come. Every bad value becomes an InputError
 * naming the flag.
 *
 * @example
 * export const fooCommand = defineCommand({
 *   name: 'foo', summary: 'do foo to a folder',
 *   options: {
 *     out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder', required: 'the output folder' },
 *     count: { type: 'int', min: 1, value: 'N', description: 'items per class', default: FOO_DEFAULTS.count, path: 'count' },
 *   },
 * }, async ({ values }) => { ...; return 0; });
 */
import { parseArgs } from 'node:util';
import { InputError, inputError, withInputPaths } from '../core/errors.js';
import { autoWorkers, MAX_WORKERS } from '../render/pool.js';
import { RENDER_DEFAULTS, MAX_BATCH } from '../render/renderer.js';

interface OptionBase {
  /** One line for the help: what the option does. */
  description: string;
  /** One-letter alias (`-o`). */
  short?: string;
  /** The value's placeholder in the help (`DIR`, `N`); by type when absent. */
  value?: string;
  /** The default in words, shown in the help, where it is not a value the parser fills in (`the spec's`). */
  defaultText?: string;
  /** Set when the option must be given: what it is, for `--out is required: the output folder`. */
  required?: string;
  /** The option path of the domain's errors this flag stands for (`guidance.scale`, `count`). */
  path?: string;
}

/** A flag without a value: true when given. */
export interface BooleanOptionDef extends OptionBase { type: 'boolean' }
/** A value as given. */
export interface StringOptionDef extends OptionBase { type: 'string'; default?: string }
/** Comma-separated names (empty items dropped). */
export interface ListOptionDef extends OptionBase { type: 'list'; default?: readonly string[] }
/** An integer in [min, max]. */
export interface IntOptionDef extends OptionBase { type: 'int'; min: number; max?: number; default?: number }
/** A finite number in [min, max]. */
export interface NumberOptionDef extends OptionBase { type: 'number'; min: number; max: number; default?: number }
/** One of `choices`. */
export interface ChoiceOptionDef<C extends string = string> extends OptionBase { type: 'choice'; choices: readonly C[]; default?: C }

/** One option of a command. */
export type OptionDef = BooleanOptionDef | StringOptionDef | ListOptionDef | IntOptionDef | NumberOptionDef | ChoiceOptionDef;

/** A command's options by long name (without the `--`). */
export type OptionTable = Record<string, OptionDef>;

type ValueOf<D> = D extends { type: 'boolean' } ? boolean
  : D extends { type: 'int' | 'number' } ? number
    : D extends { type: 'list' } ? string[]
      : D extends { choices: readonly (infer C)[] } ? C
        : string;
type AlwaysSet<D> = D extends { type: 'boolean' } ? true : D extends { default: unknown } ? true : D extends { required: string } ? true : false;

/** Parsed values of a table: absent options are undefined unless they have a default or are required. */
export type OptionValues<O extends OptionTable> = { -readonly [K in keyof O]: AlwaysSet<O[K]> extends true ? ValueOf<O[K]> : ValueOf<O[K]> | undefined };

/** What a command's table says besides its options. */
export interface CommandSpec<O extends OptionTable> {
  /** The words after `synth`: `export`, `session create`. */
  name: string;
  /** One line for `synth --help`. */
  summary: string;
  /** Positional arguments: their name in the usage line (`DIR`, `SLICE_DIR...`) and how many. */
  positionals?: { name: string; description: string; min: number; max: number };
  options: O;
  /** Paragraphs printed after the options. */
  notes?: string;
}

/** A command of the CLI: its help text and its run on the arguments after its name. */
export interface Command {
  name: string;
  summary: string;
  /** The command's option table (its parsing and its help come from it). */
  options: OptionTable;
  /** The full help: usage line, options with descriptions and defaults, notes. */
  help(): string;
  /** Parse `argv` (after the command's name) and run; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** A command with subcommands (`synth session create`). */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: Record<string, Command>;
  help(): string;
}

/** A command line that does not fit a command's usage: the CLI prints the message, then `usage`, and exits 2. */
export class UsageError extends InputError {
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

/** `--count N`, `-o, --out DIR`: the option as the help's left column shows it. */
function optionLabel(name: string, def: OptionDef): string {
  const flag = `${def.short ? `-${def.short}, ` : '    '}--${name}`;
  if (def.type === 'boolean') return flag;
  const placeholder = def.value ?? (def.type === 'choice' ? def.choices.join('|')
    : def.type === 'int' ? 'N' : def.type === 'number' ? 'X' : def.type === 'list' ? 'A,B' : 'VALUE');
  return `${flag} ${placeholder}`;
}

/** The default as the help shows it, or null when the option has none to show. */
export function defaultLabel(def: OptionDef): string | null {
  if (def.type !== 'boolean' && def.default !== undefined) return Array.isArray(def.default) ? (def.default as readonly string[]).join(',') : String(def.default);
  return def.defaultText ?? null;
}

/** `an integer in [1, 64]`; bounds that only keep values finite read as `> 0` and `...`. */
function range(def: IntOptionDef | NumberOptionDef): string {
  const kind = def.type === 'int' ? 'an integer' : 'a number';
  const open = def.max === undefined || def.max > 2 ** 32;
  if (def.min > 0 && def.min <= 1e-6 && open) return `${kind} > 0`;
  return `${kind} in [${def.min}, ${open ? '...' : def.max}]`;
}

/** A command's help text from its table. */
export function formatHelp(spec: CommandSpec<OptionTable>): string {
  const required = Object.entries(spec.options).filter(([, d]) => d.required).map(([n, d]) => `--${n} ${d.type === 'boolean' ? '' : d.value ?? 'VALUE'}`.trim());
  const pos = spec.positionals ? ` ${spec.positionals.min === 0 ? `[${spec.positionals.name}]` : spec.positionals.name}` : '';
  const lines = [`Usage: synth ${spec.name} ${[...required, '[options]'].join(' ')}${pos}`, '', `${spec.summary[0].toUpperCase()}${spec.summary.slice(1)}.`, ''];
  if (spec.positionals) lines.push(`  ${spec.positionals.name}: ${spec.positionals.description}`, '');
  lines.push('Options:');
  // required options first, as in the usage line; the rest in the table's order
  const entries = Object.entries(spec.options).sort(([, a], [, b]) => Number(Boolean(b.required)) - Number(Boolean(a.required)));
  const rows = entries.map(([name, def]) => {
    const extra = [
      def.type === 'int' || def.type === 'number' ? range(def) : null,
      def.required ? 'required' : null,
      defaultLabel(def) !== null ? `default: ${defaultLabel(def)}` : null,
    ].filter(Boolean);
    return [optionLabel(name, def), `${def.description}${extra.length ? ` (${extra.join('; ')})` : ''}`] as const;
  });
  rows.push(['-h, --help', 'print this help']);
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  for (const [label, text] of rows) lines.push(label.length + 2 > width ? `  ${label}\n  ${' '.repeat(width)}${text}` : `  ${label.padEnd(width)}${text}`);
  if (spec.notes) lines.push('', spec.notes);
  return lines.join('\n');
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** parseArgs' own errors (unknown option, missing value) as InputErrors in the CLI's words. */
function parseFailure(err: unknown, spec: CommandSpec<OptionTable>): unknown {
  const code = (err as { code?: string }).code ?? '';
  if (!code.startsWith('ERR_PARSE_ARGS_')) return err;
  const see = `(synth ${spec.name} --help lists the options)`;
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec((err as Error).message)?.[1];
  if (unknown) {
    const name = unknown.replace(/^-+/, '').split('=')[0];
    const near = Object.keys(spec.options).filter((o) => distance(o, name) <= Math.max(1, Math.floor(name.length / 4))).sort((a, b) => distance(a, name) - distance(b, name))[0];
    return new InputError(`unknown option ${unknown}${near ? `; did you mean --${near}?` : ''} ${see}`);
  }
  const missing = /Option '(?:-\w, )?(--[^ ']+) <value>' argument missing/.exec((err as Error).message)?.[1];
  if (missing) {
    const def = spec.options[missing.slice(2)];
    const expected = `a value${def && def.type !== 'boolean' ? ` (${optionLabel(missing.slice(2), def).split(' ').pop()})` : ''}`;
    return new InputError([{ path: missing, expected, received: 'nothing', message: `${missing}: expected ${expected}, got nothing` }]);
  }
  const flag = /Option '(?:-\w, )?(--[^ ']+)' does not take an argument/.exec((err as Error).message)?.[1];
  if (flag) return new InputError(`${flag} is a flag and takes no value ${see}`);
  const dashed = /Option '(?:-\w, )?(--[^ ']+)' argument is ambiguous/.exec((err as Error).message)?.[1];
  if (dashed) return new InputError(`${dashed}: a value starting with "-" goes as ${dashed}=VALUE (${dashed}=-1)`);
  return new InputError(`${(err as Error).message.replace(/\. To specify.*$/s, '').split('\n').join(' ')} ${see}`);
}

/** One raw value to its typed value, as the table says. @throws InputError naming the flag */
function convert(name: string, def: OptionDef, raw: string): unknown {
  switch (def.type) {
    case 'int':
    case 'number': {
      const n = Number(raw);
      const ok = raw.trim() !== '' && (def.type === 'int' ? /^-?\d+$/.test(raw.trim()) && Number.isSafeInteger(n) : Number.isFinite(n));
      if (!ok || n < def.min || n > (def.max ?? Number.MAX_SAFE_INTEGER)) throw inputError(`--${name}`, range(def), raw);
      return n;
    }
    case 'choice':
      if (!def.choices.includes(raw)) throw inputError(`--${name}`, `one of ${def.choices.join(', ')}`, raw);
      return raw;
    case 'list': {
      const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
      if (items.length === 0) throw inputError(`--${name}`, 'a comma-separated list', raw);
      return items;
    }
    default: return raw;
  }
}

/**
 * Parse `argv` by a command's table: typed values with defaults filled in, positionals checked.
 * @throws InputError naming the flag for an unknown option, a missing value, a bad value or a missing required option
 */
export function parseCommand<O extends OptionTable>(spec: CommandSpec<O>, argv: string[]): { values: OptionValues<O>; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, def] of Object.entries(spec.options)) options[name] = { type: def.type === 'boolean' ? 'boolean' : 'string', ...(def.short ? { short: def.short } : {}) };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw parseFailure(err, spec as CommandSpec<OptionTable>);
  }
  if (parsed.values.help) return { values: {} as OptionValues<O>, positionals: [], help: true };
  const values: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(spec.options)) {
    const raw = parsed.values[name];
    if (def.type === 'boolean') values[name] = raw === true;
    else if (typeof raw === 'string') values[name] = convert(name, def, raw);
    else if (def.required) throw new InputError([{ path: `--${name}`, expected: def.required, received: 'undefined', message: `--${name} is required: ${def.required}` }]);
    else values[name] = def.default === undefined ? undefined : Array.isArray(def.default) ? [...def.default] : def.default;
  }
  const pos = spec.positionals ?? { name: '', description: '', min: 0, max: 0 };
  if (parsed.positionals.length > pos.max) {
    throw inputError(pos.max === 0 ? 'arguments' : pos.name, pos.max === 0 ? `options only (synth ${spec.name} --help lists them)` : `at most ${pos.max} ${pos.name}`, parsed.positionals);
  }
  if (parsed.positionals.length < pos.min) throw new InputError([{ path: pos.name, expected: pos.description, received: 'nothing', message: `${pos.name} is required: ${pos.description}` }]);
  return { values: values as OptionValues<O>, positionals: parsed.positionals, help: false };
}

/**
 * The CLI's words for an option path: the flag whose table entry names it (the one given, when two
 * flags share a path, as --candidates and --particles do); an indexed path (`options.factors[2]`)
 * by its list's flag. Other paths stay as they are.
 */
export function flagForPath(options: OptionTable, given: Record<string, unknown>, path: string): string {
  const base = path.replace(/\[\d+\]$/, '');
  const names = Object.entries(options).filter(([, d]) => d.path === path || d.path === base).map(([n]) => n);
  if (names.length === 0) return path;
  const name = names.find((n) => given[n] !== undefined && given[n] !== false) ?? names[0];
  return `--${name}`;
}

/**
 * A command from its table and its work: `run` gets typed values; `--help` prints the help; domain
 * InputErrors come back naming the flags their option paths stand for.
 */
export function defineCommand<const O extends OptionTable>(spec: CommandSpec<O>, work: (args: { values: OptionValues<O>; positionals: string[] }) => Promise<number>): Command {
  const help = () => formatHelp(spec as CommandSpec<OptionTable>);
  return {
    name: spec.name,
    summary: spec.summary,
    options: spec.options,
    help,
    async run(argv) {
      const { values, positionals, help: wantsHelp } = parseCommand(spec, argv);
      if (wantsHelp) return process.stdout.write(`${help()}\n`), 0;
      try {
        return await work({ values, positionals });
      } catch (err) {
        if (!(err instanceof InputError) || err instanceof UsageError) throw err;
        throw withInputPaths(err, (path) => flagForPath(spec.options, values, path));
      }
    },
  };
}

/** A command with subcommands; its help lists them. */
export function defineGroup(name: string, summary: string, subcommands: Command[]): CommandGroup {
  const table = Object.fromEntries(subcommands.map((c) => [c.name.slice(name.length + 1), c]));
  return {
    name, summary, subcommands: table,
    help: () => [
      `Usage: synth ${name} <subcommand> [options]`, '', `${summary[0].toUpperCase()}${summary.slice(1)}.`, '', 'Subcommands:',
      ...Object.entries(table).map(([sub, c]) => `  ${sub.padEnd(12)}${c.summary}`),
      '', `synth ${name} <subcommand> --help prints a subcommand's options.`,
    ].join('\n'),
  };
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

/** The `--workers` entry of a table (the threads are picked after parsing: auto depends on the job). */
export const WORKERS_OPTION = {
  type: 'string', value: 'auto|N', description: `renderer threads, at most ${MAX_WORKERS}; auto picks by the machine's cores and the job's size`, defaultText: 'auto',
} as const satisfies StringOptionDef;

/** The `--frames-per-readback` entry of a table: frames a renderer thread reads back together (RenderOptions.batch). */
export const BATCH_OPTION = {
  type: 'int', min: 1, max: MAX_BATCH, value: 'N', default: RENDER_DEFAULTS.batch,
  description: 'frames each renderer thread draws into the layers of one target and reads back at once (fewer for large frames: 16 MB of layers at most; 1: one at a time)',
} as const satisfies IntOptionDef;
