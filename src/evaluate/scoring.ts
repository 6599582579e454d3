/**
 * From a classifier's logits to a scored prediction: the class mapping (the spec's classes to the
 * model's output indices, many-to-one allowed), softmax, top-k, cross-entropy of the true class over
 * its mapped outputs, entropy. Pure functions.
 */
import { InputError, describeValue, inputError, type InputIssue } from '../core/errors.js';

/** A resolved class mapping: for each spec class, the model output indices that count for it. */
export interface ClassMapping {
  /** Spec class -> model output indices (sorted, at least one). */
  outputs: Record<string, number[]>;
  /** Model output index -> the spec class it counts for, or null when no class claims it. */
  classOf: (string | null)[];
}

/**
 * Resolve a class mapping. `raw` maps a spec class to a model class name, an output index, or a list
 * of them (several model labels counting for one class); a spec class it leaves out maps to the model
 * class of the same name. The field named in errors is `field` (`--map` on the command line, `map` in
 * an HTTP body).
 * @throws InputError naming `<field>.<class>` for a key that is not a spec class, an unknown model class
 * or index, an output claimed by two classes, and `<field>` for spec classes left unmapped
 * @example resolveClassMapping(['car', 'cube'], ['cube', 'car', 'bus'], { car: ['car', 'bus'] })
 */
export function resolveClassMapping(specClasses: readonly string[], modelClasses: readonly string[], raw: unknown, field = 'map'): ClassMapping {
  const issues: InputIssue[] = [];
  const given: Record<string, unknown> = {};
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object' || Array.isArray(raw)) throw inputError(field, 'an object of spec class to model class name(s) or output index(es)', raw);
    Object.assign(given, raw);
  }
  for (const key of Object.keys(given)) {
    if (!specClasses.includes(key)) issues.push(...inputError(`${field}.${key}`, `a class of the spec (one of: ${specClasses.join(', ')})`, key).issues);
  }
  const outputs: Record<string, number[]> = {};
  const unmapped: string[] = [];
  for (const cls of specClasses) {
    const entry = given[cls];
    if (entry === undefined) {
      const i = modelClasses.indexOf(cls);
      if (i < 0) unmapped.push(cls);
      else outputs[cls] = [i];
      continue;
    }
    const list = Array.isArray(entry) ? entry : [entry];
    if (list.length === 0) {
      issues.push(...inputError(`${field}.${cls}`, 'at least one model class name or output index', entry).issues);
      continue;
    }
    const indices: number[] = [];
    list.forEach((item, k) => {
      const at = Array.isArray(entry) ? `${field}.${cls}[${k}]` : `${field}.${cls}`;
      if (typeof item === 'number') {
        if (Number.isInteger(item) && item >= 0 && item < modelClasses.length) indices.push(item);
        else issues.push(...inputError(at, `a model output index in [0, ${modelClasses.length - 1}]`, item).issues);
      } else if (typeof item === 'string') {
        const i = modelClasses.indexOf(item);
        if (i >= 0) indices.push(i);
        else issues.push(...inputError(at, `a class of the model (one of: ${modelClasses.join(', ')}) or an output index`, item).issues);
      } else {
        issues.push(...inputError(at, 'a model class name or output index', item).issues);
      }
    });
    outputs[cls] = [...new Set(indices)].sort((a, b) => a - b);
  }
  if (unmapped.length > 0) {
    issues.push({
      path: field, expected: 'a model class for every spec class', received: describeValue(unmapped),
      message: `${field}: expected a model class for every spec class; ${unmapped.join(', ')} ${unmapped.length === 1 ? 'is' : 'are'} not among the model's classes (${modelClasses.join(', ')}): map ${unmapped.length === 1 ? 'it' : 'them'} to model class names or output indices`,
    });
  }
  const classOf: (string | null)[] = modelClasses.map(() => null);
  for (const cls of specClasses) {
    for (const i of outputs[cls] ?? []) {
      if (classOf[i] !== null && classOf[i] !== cls) {
        issues.push(...inputError(`${field}.${cls}`, `output indices no other class claims (${modelClasses[i]} (${i}) counts for ${classOf[i]} already)`, given[cls] ?? cls).issues);
      } else classOf[i] = cls;
    }
  }
  if (issues.length > 0) throw new InputError(issues);
  return { outputs, classOf };
}

/** A mapping as plain JSON (spec class -> model class names), for reports. */
export function mappingView(mapping: ClassMapping, modelClasses: readonly string[]): Record<string, string[]> {
  return Object.fromEntries(Object.entries(mapping.outputs).map(([c, idx]) => [c, idx.map((i) => modelClasses[i])]));
}

/** One output of the top-k: model label, its index and probability. */
export interface TopEntry {
  label: string;
  index: number;
  p: number;
}

/** A scored prediction of one sample. */
export interface Score {
  top1: number;
  /** The spec class the top-1 output counts for; null when none does. */
  predicted: string | null;
  confidence: number;
  correct: boolean;
  /** −log Σ_{i ∈ outputs(true)} softmax_i (natural log). */
  loss: number;
  /** Entropy of the softmax over every output (natural log). */
  entropy: number;
  top: TopEntry[];
}

/**
 * Score row `row` of [rows, K] logits against `trueClass` under `mapping`, with the `k` most probable
 * outputs. Ties go to the lower index.
 */
export function scoreLogits(logits: ArrayLike<number>, row: number, modelClasses: readonly string[], mapping: ClassMapping, trueClass: string, k = 5): Score {
  const K = modelClasses.length;
  const o = row * K;
  let max = -Infinity;
  for (let i = 0; i < K; i++) max = Math.max(max, logits[o + i]);
  const e = new Float64Array(K);
  let sum = 0;
  for (let i = 0; i < K; i++) { e[i] = Math.exp(logits[o + i] - max); sum += e[i]; }
  const p = Float64Array.from(e, (v) => v / sum);
  let entropy = 0;
  for (let i = 0; i < K; i++) if (p[i] > 0) entropy -= p[i] * Math.log(p[i]);
  const order = Array.from({ length: K }, (_, i) => i).sort((a, b) => (p[b] - p[a]) || (a - b));
  const top1 = order[0];
  const own = mapping.outputs[trueClass];
  if (!own) throw new RangeError(`scoreLogits: class ${trueClass} has no mapped outputs`);
  let mass = 0;
  for (const i of own) mass += e[i];
  // log-sum-exp of all outputs minus that of the true class's outputs, computed in the shifted space
  const loss = Math.log(sum) - Math.log(mass);
  return {
    top1, predicted: mapping.classOf[top1], confidence: p[top1], correct: own.includes(top1), loss: Number.isFinite(loss) ? loss : 1e9, entropy,
    top: order.slice(0, Math.min(k, K)).map((i) => ({ label: modelClasses[i], index: i, p: p[i] })),
  };
}
