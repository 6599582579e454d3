/**
 * The budgets and bounds of ONNX models: how long one run may take, how much memory its runner
 * process may hold, how large an output and a declared image may be. One defaults constant, read by
 * the model runner, the manifest schemas and docs/models-and-limits.md; the two budgets can be set
 * per session (options) or per process (environment variables).
 */

/** Budgets and bounds of model runs and manifests. */
export const MODEL_LIMITS = {
  /** Wall-clock budget of one run of a model, and of opening it, in ms (env SYNTH_MODEL_TIMEOUT_MS). */
  timeoutMs: 60_000,
  /**
   * Resident memory budget of one model's runner process in MiB (env SYNTH_MODEL_MEMORY_MB): the
   * model's weights plus what a run allocates.
   */
  memoryMb: 4096,
  /** Most values one output tensor of a run may hold (256 MiB of float32). */
  maxOutputValues: 64 * 1024 * 1024,
  /** Largest image width or height a model manifest may declare. */
  maxImageSide: 2048,
} as const;

/** Environment variable overriding MODEL_LIMITS.timeoutMs (ms). */
export const MODEL_TIMEOUT_ENV = 'SYNTH_MODEL_TIMEOUT_MS';
/** Environment variable overriding MODEL_LIMITS.memoryMb (MiB). */
export const MODEL_MEMORY_ENV = 'SYNTH_MODEL_MEMORY_MB';

/** The two budgets of a model session. */
export interface ModelBudget {
  /** Wall-clock ms per run (and for opening the model). */
  timeoutMs: number;
  /** Resident MiB of the runner process. */
  memoryMb: number;
}

function budgetValue(option: number | undefined, env: string | undefined, envName: string, optionName: string, fallback: number, max: number): number {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1 || option > max) throw new RangeError(`${optionName}: expected an integer in [1, ${max}], got ${option}`);
    return option;
  }
  if (env === undefined || env.trim() === '') return fallback;
  const value = Number(env);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RangeError(`${envName}: expected an integer in [1, ${max}], got ${JSON.stringify(env)}`);
  return value;
}

/**
 * The budgets of a session: options first, then the environment, then MODEL_LIMITS.
 * @throws RangeError naming the option or environment variable that is not a positive integer
 */
export function resolveModelBudget(options: Partial<ModelBudget> = {}, env: NodeJS.ProcessEnv = process.env): ModelBudget {
  return {
    timeoutMs: budgetValue(options.timeoutMs, env[MODEL_TIMEOUT_ENV], MODEL_TIMEOUT_ENV, 'timeoutMs', MODEL_LIMITS.timeoutMs, 24 * 3600 * 1000),
    memoryMb: budgetValue(options.memoryMb, env[MODEL_MEMORY_ENV], MODEL_MEMORY_ENV, 'memoryMb', MODEL_LIMITS.memoryMb, 1024 * 1024),
  };
}

/** A model run that failed in the runtime's own way: its runner process died, or it was stopped. */
export class ModelRunError extends Error {
  override name = 'ModelRunError';
}

/** Which budget a run went over. */
export type ModelBudgetKind = 'time' | 'memory' | 'output';

/**
 * A model run (or the opening of a model) that went over a budget: `time` (MODEL_LIMITS.timeoutMs),
 * `memory` (MODEL_LIMITS.memoryMb) or `output` (MODEL_LIMITS.maxOutputValues). Its runner process
 * was stopped; the session starts a fresh one for its next run.
 */
export class ModelBudgetError extends ModelRunError {
  override name = 'ModelBudgetError';
  constructor(readonly budget: ModelBudgetKind, readonly limit: number, message: string) {
    super(message);
  }
}

/** The message of a ModelBudgetError of `kind` over `limit`, for the model at `what`. */
export function budgetMessage(kind: ModelBudgetKind, limit: number, what: string): string {
  switch (kind) {
    case 'time':
      return `${what}: stopped after the time budget of ${limit} ms per run (${MODEL_TIMEOUT_ENV})`;
    case 'memory':
      return `${what}: stopped at the memory budget of ${limit} MiB (${MODEL_MEMORY_ENV})`;
    default:
      return `${what}: an output over the bound of ${limit} values (MODEL_LIMITS.maxOutputValues)`;
  }
}
