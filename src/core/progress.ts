/** Progress reporting for long work: a bar with rate and ETA on a TTY, periodic lines otherwise. */

/** A snapshot of progress, as reported to callbacks and over HTTP. */
export interface Progress {
  done: number;
  total: number;
  /** Items per second since start. */
  rate: number;
  /** Seconds left at the current rate; null before the first item. */
  etaSeconds: number | null;
  elapsedSeconds: number;
}

/** Pure: progress numbers from counts and times. */
export function progressOf(done: number, total: number, elapsedSeconds: number): Progress {
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const etaSeconds = rate > 0 ? (total - done) / rate : null;
  return { done, total, rate, etaSeconds, elapsedSeconds };
}

/** Seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One line of text for a progress snapshot, with a bar of `width` cells. */
export function formatProgress(p: Progress, label = '', width = 24): string {
  const frac = p.total > 0 ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const eta = p.etaSeconds === null ? '?' : formatDuration(p.etaSeconds);
  return `${label}[${bar}] ${p.done}/${p.total} ${(frac * 100).toFixed(1)}% ${p.rate.toFixed(1)}/s ETA ${eta}`;
}

/**
 * A progress printer on a stream (stderr by default). On a TTY it redraws one line at most
 * 10 times a second; elsewhere it prints a line every `intervalMs` (default 5 s).
 */
export function createProgressPrinter(opts: { label?: string; stream?: NodeJS.WriteStream; intervalMs?: number } = {}) {
  const stream = opts.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const interval = tty ? 100 : opts.intervalMs ?? 5000;
  let last = 0;
  return {
    update(p: Progress, force = false): void {
      const now = Date.now();
      if (!force && now - last < interval) return;
      last = now;
      const line = formatProgress(p, opts.label ?? '');
      stream.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
    },
    finish(p: Progress): void {
      const line = formatProgress(p, opts.label ?? '');
      stream.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
