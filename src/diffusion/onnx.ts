/**
 * The ONNX Runtime backend: the only module that imports onnxruntime-node. It opens a model file as a
 * `ModelSession`, a thin shell that declares its signature and runs plain typed arrays, so the sampler,
 * the evaluation and the tests never see onnxruntime's types (tests pass fakes with the same shape).
 */
import * as ort from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import { inputError } from '../core/errors.js';
import type { SessionSignature, TensorInfo } from './manifest.js';

/** A tensor as plain data: float32 or int64 values, and dims. */
export type TensorData =
  | { type: 'float32'; data: Float32Array; dims: readonly number[] }
  | { type: 'int64'; data: BigInt64Array; dims: readonly number[] };

/** A loaded model: its declared signature, and `run` over plain tensors. */
export interface ModelSession extends SessionSignature {
  /**
   * Run the graph on `feeds` (every input by name); resolves to the float32 outputs by name.
   * @throws Error from the runtime when the feeds do not fit the graph
   */
  run(feeds: Record<string, TensorData>, outputNames?: readonly string[]): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
  /** Free the native session. */
  release(): Promise<void>;
}

/** Options of openOnnxSession. */
export interface OnnxSessionOptions {
  /** Intra-op threads (0 = onnxruntime's default, all cores). */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Defaults of OnnxSessionOptions. */
export const ONNX_SESSION_DEFAULTS: Required<OnnxSessionOptions> = { threads: 0, graphOptimizationLevel: 'all' };

function infoOf(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  return meta.isTensor ? { name: meta.name, type: meta.type, shape: [...meta.shape] } : { name: meta.name, type: null, shape: [] };
}

/**
 * Open an ONNX file (CPU execution provider).
 * @throws InputError when the file is missing or onnxruntime cannot load it (not ONNX, truncated, unsupported ops)
 */
export async function openOnnxSession(path: string, options: OnnxSessionOptions = {}): Promise<ModelSession> {
  const opts = { ...ONNX_SESSION_DEFAULTS, ...options };
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw inputError('model file', 'a readable ONNX file', path, (err as NodeJS.ErrnoException).code);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: opts.graphOptimizationLevel,
      ...(opts.threads > 0 ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    });
  } catch (err) {
    const reason = String((err as Error).message ?? err).split('\n')[0].slice(0, 300);
    throw inputError('model file', 'an ONNX model onnxruntime can load', path, `onnxruntime: ${reason}`);
  }
  return {
    inputs: session.inputMetadata.map(infoOf),
    outputs: session.outputMetadata.map(infoOf),
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const result = outputNames ? await session.run(ortFeeds, outputNames as string[]) : await session.run(ortFeeds);
      const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
      for (const [name, tensor] of Object.entries(result)) {
        if (tensor.type !== 'float32') throw new TypeError(`output ${name}: expected float32, got ${tensor.type}`);
        out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
      }
      return out;
    },
    release: () => session.release(),
  };
}
