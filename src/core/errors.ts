/**
 * Error classes shared by every module. Each says who (a path into the input), what was expected
 * and what came, so the CLI can print it and exit 2, and the HTTP layer can answer 400 with it.
 */

/** Longest text an error message shows of a received value or a path (longer ones are cut). */
export const MAX_SHOWN_CHARS = 120;

/** `text` cut to `max` characters with `...` and its full length noted (so a 1 MB input never comes back). */
export function truncateText(text: string, max = MAX_SHOWN_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 3)}... (${text.length} characters)` : text;
}

/**
 * Render any received value compactly for an error message, cut to MAX_SHOWN_CHARS. Never throws:
 * a value nested too deep for JSON.stringify is named, not walked (String() would recurse as deep).
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? 'an array nested too deep to show'
      : typeof value === 'object' && value !== null ? 'an object nested too deep to show'
        : typeof value === 'bigint' ? `${value}n` : typeof value;
  }
  return truncateText(text);
}

/** One problem in a user's input: the JSON path, what was expected, what came. */
export interface InputIssue {
  path: string;
  expected: string;
  received: string;
  message: string;
}

/**
 * Invalid user input (spec, options, files). `issues` lists each problem; `message` joins them.
 * The CLI exits with code 2 on it.
 */
export class InputError extends Error {
  override name = 'InputError';
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[] | string) {
    const list = typeof issues === 'string'
      ? [{ path: '', expected: '', received: '', message: issues }]
      : issues;
    super(list.map((i) => i.message).join('\n'));
    this.issues = list;
  }
}

/** Build an InputError for one path: `spec.factors.yaw: expected X, got Y`. */
export function inputError(path: string, expected: string, received: unknown, note?: string): InputError {
  const got = describeValue(received);
  path = truncateText(path, 2 * MAX_SHOWN_CHARS); // paths hold user keys (factors.<name>)
  const message = `${path ? `${path}: ` : ''}expected ${expected}, got ${got}${note ? ` (${note})` : ''}`;
  return new InputError([{ path, expected, received: got, message }]);
}

/** Unknown name among a fixed set: lists the valid names. */
export function unknownName(path: string, kind: string, received: string, valid: readonly string[]): InputError {
  const shown = valid.length > 60 ? `${valid.slice(0, 60).join(', ')}, ... (${valid.length} in all)` : valid.join(', ');
  return inputError(path, `a known ${kind} (one of: ${shown})`, received);
}

/** A runtime failure of the renderer or GPU device (not the user's fault). */
export class RenderError extends Error {
  override name = 'RenderError';
}

/** Refusal to touch the output location (non-empty folder without --resume/--overwrite, etc.). */
export class OutputError extends Error {
  override name = 'OutputError';
}

/**
 * The same InputError with each issue's path said in a caller's own words: `rename` maps an option
 * path (`guidance.scale`, `count`) to, say, a CLI flag (`--guidance-scale`) or a JSON body path
 * (`options.guided.scale`); the message's leading path is swapped with it. Paths `rename` returns
 * unchanged stay as they are.
 */
export function withInputPaths(err: InputError, rename: (path: string) => string): InputError {
  return new InputError(err.issues.map((issue) => {
    const path = issue.path ? rename(issue.path) : issue.path;
    if (path === issue.path) return issue;
    const rest = issue.message.startsWith(issue.path) ? issue.message.slice(issue.path.length) : null;
    const message = rest !== null && /^($|[:\s(])/.test(rest) ? `${path}${rest}` : `${path}: ${issue.message}`;
    return { ...issue, path, message };
  }));
}
