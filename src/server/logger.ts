/** The service's log: one line per event on stderr; `quiet` keeps only errors (for tests). */

/** Where the server writes its log lines. */
export interface Logger {
  /** One line per request: method, path, status, milliseconds, request id. */
  request(line: string): void;
  info(line: string): void;
  error(line: string): void;
}

/** A logger writing to `stream` (stderr by default); `quiet` drops request and info lines. */
export function createLogger(opts: { quiet?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = opts.stream ?? process.stderr;
  const write = (level: string, line: string) => stream.write(`${new Date().toISOString()} ${level} ${line}\n`);
  return {
    request: (line) => { if (!opts.quiet) write('http', line); },
    info: (line) => { if (!opts.quiet) write('info', line); },
    error: (line) => write('error', line),
  };
}
