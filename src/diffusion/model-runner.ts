/**
 * Models run in processes of their own: `openRunnerSession` starts a runner process
 * (model-runner-process.ts) for one ONNX file and returns a `ModelSession` whose runs go to it over
 * the IPC channel (typed arrays are copied once each way by V8's serializer). Each run, and the
 * opening of the model, has a budget (model-limits.ts):
 *
 * - time: the parent kills the process when a run takes longer than `timeoutMs`;
 * - memory: the parent samples the process's resident memory every 25 ms while a run is in flight
 *   and kills it over `memoryMb` (an allocation larger than the machine fails at once inside
 *   onnxruntime and counts as over the budget too). No address-space limit: V8 reserves far more
 *   address space than it uses (WebAssembly alone reserves 10 GiB), so one would refuse sane runs;
 * - output: the process refuses outputs over MODEL_LIMITS.maxOutputValues before sending them.
 *
 * A run over a budget fails with ModelBudgetError; the session starts a fresh process (and opens the
 * model again) for its next run. A run can also be stopped from outside: `withRunSignal(signal, fn)`
 * makes every model run started inside `fn` kill its process when `signal` fires (a job cancelled or
 * a server shutting down does not wait for a model that never returns).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError, inputError, truncateText, type InputIssue } from '../core/errors.js';
import { siblingModule } from '../core/threads.js';
import type { SessionSignature, TensorInfo } from './manifest.js';
import { budgetMessage, ModelBudgetError, ModelRunError, resolveModelBudget, type ModelBudget, type ModelBudgetKind } from './model-limits.js';
import type { ModelOutputs, ModelSession, OnnxSessionOptions, TensorData } from './onnx.js';

/** An error as it crosses the IPC channel. */
export interface SerializedError {
  name: string;
  message: string;
  issues?: InputIssue[];
  budget?: ModelBudgetKind;
  limit?: number;
}

/** A message from the parent to a runner process. */
export type RunnerRequest =
  | { op: 'open'; id: number; path: string; options: Pick<OnnxSessionOptions, 'threads' | 'graphOptimizationLevel'> }
  | { op: 'run'; id: number; feeds: Record<string, TensorData>; outputNames: readonly string[] | null };

/** A message from a runner process to its parent. */
export type RunnerReply =
  | { op: 'ready'; id: number }
  | { op: 'opened'; id: number; inputs: readonly TensorInfo[]; outputs: readonly TensorInfo[] }
  | { op: 'result'; id: number; outputs: ModelOutputs }
  | { op: 'error'; id: number; error: SerializedError };

/** A request before its id is assigned. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** How long a runner process may take to start (Node and its modules, before any model). */
const START_TIMEOUT_MS = 30_000;
/** How often a busy runner's resident memory is sampled. */
const MEMORY_POLL_MS = 25;
const runSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Run `fn` so that every model run it starts (through any runner session) stops when `signal`
 * fires: the run's process is killed and the run rejects with an Error named AbortError.
 */
export function withRunSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return signal ? runSignal.run(signal, fn) : fn();
}

function abortError(): Error {
  const err = new Error('model run stopped: the request or job was cancelled');
  err.name = 'AbortError';
  return err;
}

/** Runner processes alive, killed when this process exits (a stuck runner would outlive it). */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
  }
}

/** Resident memory of process `pid` in MiB, or null where /proc cannot tell. */
function residentMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function reviveError(e: SerializedError, what: string, budget: ModelBudget): Error {
  if (e.name === 'InputError' && e.issues) return new InputError(e.issues);
  if (e.name === 'ModelBudgetError' && e.budget) return new ModelBudgetError(e.budget, e.limit ?? 0, e.message);
  if (/Failed to allocate memory|bad_alloc/i.test(e.message)) {
    return new ModelBudgetError('memory', budget.memoryMb, `${budgetMessage('memory', budget.memoryMb, what)}: ${e.message.split('\n')[0].slice(0, 300)}`);
  }
  const err = new Error(e.message);
  if (e.name && e.name !== 'Error') err.name = e.name;
  return err;
}

/** A typed array owning exactly its bytes (a view into a larger buffer would send the whole buffer). */
function compact<T extends Float32Array | BigInt64Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

interface InFlight {
  id: number;
  resolve: (reply: RunnerReply) => void;
  reject: (err: Error) => void;
}

/** One runner process: spawned, sent one request at a time, killed on a budget or a release. */
class RunnerProcess {
  private readonly child: ChildProcess;
  private inFlight: InFlight | null = null;
  private nextId = 1;
  private stderrTail = '';
  private dead: Error | null = null;
  readonly ready: Promise<void>;
  /** Resolves once the process has exited (and been reaped). */
  readonly exited: Promise<void>;

  constructor(private readonly what: string, private readonly budget: ModelBudget) {
    const entry = siblingModule('model-runner-process', import.meta.url);
    const nodeArgs = [
      ...(entry.pathname.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []),
      `--max-old-space-size=${Math.max(64, Math.min(budget.memoryMb, 2048))}`,
      fileURLToPath(entry),
    ];
    const options = { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] as ('ignore' | 'pipe' | 'ipc')[], serialization: 'advanced' as const };
    this.child = spawn(process.execPath, nodeArgs, options);
    track(this.child);
    this.child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    this.child.on('message', (msg: RunnerReply) => {
      const f = this.inFlight;
      if (f && msg.id === f.id) {
        this.inFlight = null;
        this.idle();
        f.resolve(msg);
      }
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.once('exit', (code, signal) => {
      const reason = this.dead ?? new ModelRunError(`${this.what}: the model runner process exited (${signal ?? `code ${code}`})${this.stderrTail ? `: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ').slice(0, 500)}` : ''}`);
      this.dead = reason;
      const f = this.inFlight;
      this.inFlight = null;
      f?.reject(reason);
    });
    this.child.once('error', (err) => {
      this.dead ??= new ModelRunError(`${this.what}: could not start the model runner process: ${err.message}`);
      this.inFlight?.reject(this.dead);
      this.inFlight = null;
    });
    this.ready = this.send(null, START_TIMEOUT_MS, null).then((reply) => {
      if (reply.op === 'error') throw new ModelRunError(`${this.what}: the model runner process could not start: ${reply.error.message}`);
    }, (err: Error) => {
      throw err instanceof ModelBudgetError ? new ModelRunError(`${this.what}: the model runner process did not start within ${START_TIMEOUT_MS} ms`) : err;
    });
  }

  /** True once killed or exited. */
  get alive(): boolean {
    return this.dead === null;
  }

  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  private busy(): void {
    this.child.ref();
    this.child.channel?.ref();
    (this.child.stderr as { ref?: () => void } | null)?.ref?.();
  }

  /** Kill the process (idempotent); the request in flight rejects with `reason`. */
  kill(reason: Error): void {
    if (this.dead) return;
    this.dead = reason;
    this.busy(); // until it has exited: a caller may await `exited`
    this.child.kill('SIGKILL');
    const f = this.inFlight;
    this.inFlight = null;
    f?.reject(reason);
  }

  /**
   * Send `request` (null: wait for the process's ready message) and wait for its reply within
   * `timeoutMs`, watching the process's memory meanwhile; `signal` kills it when it fires.
   */
  send(request: WithoutId<RunnerRequest> | null, timeoutMs: number, signal: AbortSignal | null): Promise<RunnerReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = request ? this.nextId++ : 0;
    return new Promise<RunnerReply>((resolve, reject) => {
      const timer = setTimeout(() => this.kill(new ModelBudgetError('time', timeoutMs, budgetMessage('time', timeoutMs, this.what))), timeoutMs);
      const poll = setInterval(() => {
        const pid = this.child.pid;
        const mb = pid ? residentMb(pid) : null;
        if (mb !== null && mb > this.budget.memoryMb) {
          this.kill(new ModelBudgetError('memory', this.budget.memoryMb, `${budgetMessage('memory', this.budget.memoryMb, this.what)} (${Math.round(mb)} MiB resident)`));
        }
      }, MEMORY_POLL_MS);
      const onAbort = () => this.kill(abortError());
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        signal?.removeEventListener('abort', onAbort);
      };
      this.inFlight = {
        id,
        resolve: (reply) => { done(); resolve(reply); },
        reject: (err) => { done(); reject(err); },
      };
      this.busy();
      if (request) this.child.send({ ...request, id } as RunnerRequest);
    });
  }
}

/**
 * Open `path` in a runner process (see the module comment) as a ModelSession. Runs are sent one at
 * a time; a run over budget kills the process and the next run starts another.
 * @throws InputError when the model does not open (missing, not ONNX, over a budget while loading)
 */
export async function openRunnerSession(path: string, options: OnnxSessionOptions = {}): Promise<ModelSession> {
  const budget = resolveModelBudget(options);
  const threads = options.threads ?? 0;
  const openOptions = { threads, ...(options.graphOptimizationLevel ? { graphOptimizationLevel: options.graphOptimizationLevel } : {}) };
  const what = `model ${truncateText(options.label ?? path)}`;
  let proc: RunnerProcess | null = null;
  let released = false;

  /** A live process with the model open (a new one after a kill). */
  const opened = async (signal: AbortSignal | null): Promise<{ proc: RunnerProcess; signature: SessionSignature }> => {
    if (proc?.alive && signature) return { proc, signature };
    proc?.kill(new ModelRunError('replaced'));
    const p = new RunnerProcess(what, budget);
    proc = p;
    await p.ready;
    let reply: RunnerReply;
    try {
      reply = await p.send({ op: 'open', path, options: openOptions }, budget.timeoutMs, signal);
    } catch (err) {
      if (err instanceof ModelBudgetError) throw inputError('model file', 'an ONNX model onnxruntime can load within its budget', path, err.message);
      throw err;
    }
    if (reply.op === 'error') {
      p.kill(new ModelRunError('open failed'));
      throw reviveError(reply.error, what, budget);
    }
    if (reply.op !== 'opened') throw new ModelRunError(`${what}: unexpected reply ${reply.op} to open`);
    signature ??= { inputs: reply.inputs, outputs: reply.outputs };
    return { proc: p, signature };
  };
  let signature: SessionSignature | null = null;
  const first = await opened(runSignal.getStore() ?? null);

  let tail: Promise<unknown> = Promise.resolve();
  const run = async (feeds: Record<string, TensorData>, outputNames?: readonly string[]): Promise<ModelOutputs> => {
    const signal = runSignal.getStore() ?? null;
    if (released) throw new Error(`${what}: the session was released`);
    if (signal?.aborted) throw abortError();
    const { proc: p } = await opened(signal);
    const sent: Record<string, TensorData> = {};
    for (const [name, t] of Object.entries(feeds)) sent[name] = { ...t, data: compact(t.data) } as TensorData;
    const reply = await p.send({ op: 'run', feeds: sent, outputNames: outputNames ?? null }, budget.timeoutMs, signal);
    if (reply.op === 'error') {
      const err = reviveError(reply.error, what, budget);
      if (err instanceof ModelBudgetError) p.kill(err); // a fresh process for the next run
      throw err;
    }
    if (reply.op !== 'result') throw new ModelRunError(`${what}: unexpected reply ${reply.op} to run`);
    return reply.outputs;
  };

  return {
    inputs: first.signature.inputs,
    outputs: first.signature.outputs,
    run(feeds, outputNames) {
      const next = tail.then(() => run(feeds, outputNames));
      tail = next.catch(() => undefined);
      return next;
    },
    async release() {
      released = true;
      const p = proc;
      p?.kill(new ModelRunError(`${what}: the session was released`));
      await p?.exited;
    },
  };
}
