/**
 * The ONNX Runtime backend: the only module that imports onnxruntime-node, and only when a model is
 * opened (a command that samples no model never loads it). It opens a model file as a `ModelSession`,
 * a thin shell that declares its signature and runs plain typed arrays, so the sampler, the
 * evaluation and the tests never see onnxruntime's types (tests pass fakes with the same shape).
 *
 * `openOnnxSession` runs the model in a runner process of its own (model-runner.ts) under a time and
 * memory budget (model-limits.ts): a hostile or broken graph can stop its run, never the caller.
 * `openInProcessSession` is what that process runs.
 */
import type * as Ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import { inputError } from '../core/errors.js';
import type { SessionSignature, TensorInfo } from './manifest.js';
import { budgetMessage, MODEL_LIMITS, ModelBudgetError, type ModelBudget } from './model-limits.js';
import { openRunnerSession } from './model-runner.js';

/** A tensor as plain data: float32 or int64 values, and dims. */
export type TensorData =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

/** The outputs of a run by name: float32 values and dims. */
export type ModelOutputs = Record<string, { data: Float32Array; dims: readonly number[] }>;

/** A loaded model: its declared signature, and `run` over plain tensors. */
export interface ModelSession extends SessionSignature {
  /**
   * Run the graph on `feeds` (every input by name); resolves to the float32 outputs by name.
   * @throws Error from the runtime when the feeds do not fit the graph; ModelBudgetError (model-limits.ts)
   *   when the run goes over its time, memory or output budget
   */
  run(feeds: Record<string, TensorData>, outputNames?: readonly string[]): Promise<ModelOutputs>;
  /** Free the native session (and its runner process). */
  release(): Promise<void>;
}

/** Options of openOnnxSession. */
export interface OnnxSessionOptions extends Partial<ModelBudget> {
  /** Intra-op threads (0 = onnxruntime's default, all cores). */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** What errors of its runs call the model (default: its file path). */
  label?: string;
}

/** Defaults of OnnxSessionOptions (the budgets default to MODEL_LIMITS, see resolveModelBudget). */
export const ONNX_SESSION_DEFAULTS: Required<Pick<OnnxSessionOptions, 'threads' | 'graphOptimizationLevel'>> = { threads: 0, graphOptimizationLevel: 'all' };

/**
 * Open an ONNX file (CPU execution provider) in a runner process of its own: each run has a time and
 * memory budget (options, else SYNTH_MODEL_TIMEOUT_MS / SYNTH_MODEL_MEMORY_MB, else MODEL_LIMITS).
 * @throws InputError when the file is missing or onnxruntime cannot load it (not ONNX, truncated,
 *   unsupported ops, over a budget while loading)
 */
export function openOnnxSession(path: string, options: OnnxSessionOptions = {}): Promise<ModelSession> {
  return openRunnerSession(path, options);
}

function infoOf(meta: Ort.InferenceSession.ValueMetadata): TensorInfo {
  return meta.isTensor ? { name: meta.name, type: meta.type, shape: [...meta.shape] } : { name: meta.name, type: null, shape: [] };
}

/** The first line of a runtime error, cut to 300 characters. */
export function runtimeReason(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300);
}

/** True for onnxruntime's message of an allocation that failed (the runner's address-space limit). */
export function isAllocationFailure(message: string): boolean {
  return /Failed to allocate memory|bad_alloc|std::bad_array_new_length/i.test(message);
}

/**
 * Open an ONNX file in this process (CPU execution provider), loading onnxruntime-node now. Runs
 * block nothing of the caller's budget: use it only where the process itself is the sandbox (the
 * model runner). Outputs over MODEL_LIMITS.maxOutputValues fail with ModelBudgetError `output`.
 * @throws InputError when the file is missing or onnxruntime cannot load it
 */
export async function openInProcessSession(path: string, options: OnnxSessionOptions = {}): Promise<ModelSession> {
  const opts = { ...ONNX_SESSION_DEFAULTS, ...options };
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw inputError('model file', 'a readable ONNX file', path, (err as NodeJS.ErrnoException).code);
  }
  const ort = await import('onnxruntime-node');
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: opts.graphOptimizationLevel,
      logSeverityLevel: 3, // errors come back as exceptions; warnings about hostile graphs would flood the log
      ...(opts.threads > 0 ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    });
  } catch (err) {
    const reason = runtimeReason(err);
    throw inputError('model file', 'an ONNX model onnxruntime can load', path, `onnxruntime: ${reason}`);
  }
  return {
    inputs: session.inputMetadata.map(infoOf),
    outputs: session.outputMetadata.map(infoOf),
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, Ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const result = outputNames ? await session.run(ortFeeds, outputNames as string[]) : await session.run(ortFeeds);
      const out: ModelOutputs = {};
      for (const [name, tensor] of Object.entries(result)) {
        if (tensor.size > MODEL_LIMITS.maxOutputValues) {
          throw new ModelBudgetError('output', MODEL_LIMITS.maxOutputValues, budgetMessage('output', MODEL_LIMITS.maxOutputValues, `output ${name} (${tensor.size} values, dims [${tensor.dims.join(', ')}])`));
        }
        if (tensor.type !== 'float32') throw new TypeError(`output ${name}: expected float32, got ${tensor.type}`);
        out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
      }
      return out;
    },
    release: () => session.release(),
  };
}
