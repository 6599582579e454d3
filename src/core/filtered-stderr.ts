/**
 * A process whose stderr passes through a line filter: the process runs itself again as a child with
 * its stderr on a pipe, and copies every line the filter keeps to its own stderr. For native code
 * that writes straight to file descriptor 2 (Dawn's notices when it opens an adapter), which nothing
 * inside the process can intercept. stdin and stdout stay the child's own; SIGINT, SIGTERM and SIGHUP
 * are passed on (the child has its own process group, so Ctrl-C reaches it once, through here); the
 * exit code, or the signal that ended the child, become this process's.
 */
import { spawn } from 'node:child_process';

/** Set in the child's environment (so it does not wrap itself again). */
export const FILTERED_ENV = 'SYNTH_STDERR_FILTERED';
/** `SYNTH_STDERR_FILTER=0` runs without the child (stderr unfiltered). */
export const FILTER_SWITCH_ENV = 'SYNTH_STDERR_FILTER';
const TTY_ENV = 'SYNTH_STDERR_TTY';

/** Lines to drop: each matches `drop`; a partial line is held back only while it may grow into one (it starts like one of `prefixes`). */
export interface StderrFilter {
  prefixes: readonly string[];
  drop(line: string): boolean;
}

/** True when this process should run its work itself: it is the filtered child, or filtering is off. */
export function stderrIsFiltered(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[FILTERED_ENV] === '1' || env[FILTER_SWITCH_ENV] === '0';
}

/**
 * In the filtered child: report stderr as a terminal when the parent's is one (progress lines are
 * then redrawn in place, through the parent, as without the filter).
 */
export function adoptParentTerminal(env: NodeJS.ProcessEnv = process.env): void {
  if (env[FILTERED_ENV] === '1' && env[TTY_ENV] === '1') Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
}

/**
 * The lines of `text` the filter keeps, and the unfinished rest to hold back until more comes (it
 * starts like a line the filter drops); an unfinished rest that cannot become one is kept at once.
 */
export function filterChunk(text: string, filter: StderrFilter): { keep: string; hold: string } {
  const lines = text.split('\n');
  let rest = lines.pop()!;
  const kept = lines.filter((l) => !filter.drop(l)).map((l) => `${l}\n`);
  const mayGrow = filter.prefixes.some((p) => p.startsWith(rest) || rest.startsWith(p));
  if (rest !== '' && !mayGrow) {
    kept.push(rest);
    rest = '';
  }
  return { keep: kept.join(''), hold: rest };
}

/**
 * Run this process's script again (same node options and arguments) as a child whose stderr goes
 * through `filter`; resolves with its exit code. When the child was ended by a signal, this process
 * ends by the same signal.
 */
export function runWithFilteredStderr(filter: StderrFilter): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [FILTERED_ENV]: '1', ...(process.stderr.isTTY ? { [TTY_ENV]: '1' } : {}) },
    detached: true,
  });
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const forward = (signal: NodeJS.Signals) => { child.kill(signal); };
  for (const s of signals) process.on(s, forward);
  let held = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const { keep, hold } = filterChunk(held + chunk, filter);
    held = hold;
    if (keep) process.stderr.write(keep);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (held && !filter.drop(held)) process.stderr.write(held);
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}
