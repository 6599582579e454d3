#!/usr/bin/env node
/**
 * The `synth` command line. Wires the modules together; nothing imports it. Each command is declared
 * by a table of its options (see args.ts), from which its parsing and its `--help` both come.
 * Exit codes: 0 done, 1 runtime failure or bug, 2 bad input (spec, options, files, output folder), 130 interrupted.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { inputError } from '../core/errors.js';
import { SYNTH_VERSION } from '../core/version.js';
import { UsageError, type Command, type CommandGroup } from './args.js';
import { reportFailure } from './failure.js';
import { exportCommand, previewCommand, catalogCommand } from './export-commands.js';
import { assetsCommands } from './assets-command.js';
import { verifyCommand, mergeCommand } from './dataset-commands.js';
import { generateCommand } from './generate-command.js';
import { serveCommand } from './serve-command.js';
import { sessionCommands } from './session-command.js';
import { evaluateCommand } from './evaluate-command.js';

/** Every command of the CLI by the name after `synth`, in the order `synth --help` lists them. */
export const COMMANDS: Record<string, Command | CommandGroup> = {
  export: exportCommand,
  preview: previewCommand,
  catalog: catalogCommand,
  verify: verifyCommand,
  merge: mergeCommand,
  assets: assetsCommands,
  generate: generateCommand,
  serve: serveCommand,
  session: sessionCommands,
  evaluate: evaluateCommand,
};

/** `synth --help`: the commands, one line each. */
export function usage(): string {
  const lines = Object.entries(COMMANDS).flatMap(([name, c]) => ('subcommands' in c
    ? Object.entries(c.subcommands).map(([sub, s]) => `  synth ${`${name} ${sub}`.padEnd(20)}${s.summary}`)
    : [`  synth ${name.padEnd(20)}${c.summary}`]));
  return [
    `synth ${SYNTH_VERSION}: labelled synthetic images from factor specs`, '',
    'Usage: synth <command> [options]', '', 'Commands:', ...lines, '',
    'synth <command> --help (or synth help <command>) prints a command\'s options and their defaults.',
    'Exit codes: 0 ok, 1 runtime failure, 2 bad input, 130 interrupted.',
  ].join('\n');
}

function say(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}

/** The command `words` name (`session create`), the group it belongs to, and the arguments after it. */
function lookUp(words: string[]): { command?: Command; group?: CommandGroup; name: string; rest: string[] } {
  const [first, ...rest] = words;
  const entry = COMMANDS[first];
  if (!entry) throw inputError('command', `one of ${Object.keys(COMMANDS).join(', ')} (synth --help lists them)`, first);
  if (!('subcommands' in entry)) return { command: entry, name: first, rest };
  const [sub, ...after] = rest;
  const command = sub === undefined || sub.startsWith('-') ? undefined : entry.subcommands[sub];
  if (sub !== undefined && !sub.startsWith('-') && !command) {
    throw new UsageError(inputError('', `a subcommand: one of ${Object.keys(entry.subcommands).join(', ')}`, sub).message, entry.help());
  }
  return command ? { command, group: entry, name: command.name, rest: after } : { group: entry, name: first, rest };
}

/** Run the CLI on `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (!first || first === '--help' || first === '-h') return say(usage());
  if (first === '--version' || first === 'version') return say(SYNTH_VERSION);
  let name = first === 'help' ? 'help' : first;
  try {
    if (first === 'help') {
      if (rest.length === 0) return say(usage());
      const found = lookUp(rest);
      return say((found.command ?? found.group)!.help());
    }
    const found = lookUp(argv);
    name = found.name;
    if (found.command) return await found.command.run(found.rest);
    const group = found.group!;
    if (found.rest[0] === '--help' || found.rest[0] === '-h') return say(group.help());
    throw new UsageError(inputError('', `a subcommand: one of ${Object.keys(group.subcommands).join(', ')}`, found.rest[0] ?? 'nothing').message.replace(/got "nothing"$/, 'got nothing'), group.help());
  } catch (err) {
    return reportFailure(`synth ${name}`, err);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  // Dawn keeps handles open after the renderer is disposed: exit explicitly once the work is done.
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
