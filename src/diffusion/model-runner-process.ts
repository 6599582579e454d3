/**
 * The model runner process (started by model-runner.ts, never imported): opens one ONNX model with
 * onnxruntime-node and runs it on the feeds its parent sends over the IPC channel, one message at a
 * time. Its parent bounds each run's time and memory and kills this process when one goes over; a
 * watchdog thread kills it when the parent dies, since a run stuck in native code never returns to
 * this event loop.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../core/errors.js';
import { ModelBudgetError } from './model-limits.js';
import { openInProcessSession, type ModelSession } from './onnx.js';
import type { RunnerReply, RunnerRequest, SerializedError } from './model-runner.js';

const parentPid = process.ppid;
// A thread of its own: the main thread may be inside onnxruntime for ever.
new Worker(
  `setInterval(() => { if (process.ppid !== ${parentPid}) process.kill(process.pid, 'SIGKILL'); }, 500);`,
  { eval: true },
).unref();

function serializeError(err: unknown): SerializedError {
  if (err instanceof InputError) return { name: 'InputError', message: err.message, issues: err.issues };
  if (err instanceof ModelBudgetError) return { name: err.name, message: err.message, budget: err.budget, limit: err.limit };
  const e = err as Error;
  return { name: e?.name ?? 'Error', message: String(e?.message ?? err) };
}

/** A typed array owning exactly its bytes (a view into a larger buffer would clone the whole buffer). */
function compact<T extends Float32Array | BigInt64Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

let session: ModelSession | null = null;

async function handle(msg: RunnerRequest): Promise<RunnerReply> {
  try {
    if (msg.op === 'open') {
      session = await openInProcessSession(msg.path, msg.options);
      return { op: 'opened', id: msg.id, inputs: session.inputs, outputs: session.outputs };
    }
    if (!session) throw new Error('model runner: run before open');
    const out = await session.run(msg.feeds, msg.outputNames ?? undefined);
    const outputs = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: compact(v.data), dims: [...v.dims] }]));
    return { op: 'result', id: msg.id, outputs };
  } catch (err) {
    return { op: 'error', id: msg.id, error: serializeError(err) };
  }
}

let chain: Promise<void> = Promise.resolve();
process.on('message', (msg: RunnerRequest) => {
  chain = chain.then(async () => {
    const reply = await handle(msg);
    process.send?.(reply);
  });
});
process.on('disconnect', () => process.exit(0));
// This process exists to run a model: load onnxruntime before saying ready, so that opening the
// model (under its time budget) costs only the model.
try {
  await import('onnxruntime-node');
  process.send?.({ op: 'ready', id: 0 } satisfies RunnerReply);
} catch (err) {
  process.send?.({ op: 'error', id: 0, error: { name: 'Error', message: `cannot load onnxruntime-node: ${String((err as Error)?.message ?? err)}` } } satisfies RunnerReply, () => process.exit(1));
}
