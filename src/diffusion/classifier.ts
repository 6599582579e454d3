/**
 * A classifier over 8-bit images (the judge of a generator): normalisation from its manifest, logits
 * and, where the model exports them, penultimate features; plus the metrics of the evaluation
 * (agreement, KID and FID over features), all pure functions over plain arrays.
 */
import { InputError } from '../core/errors.js';
import { rngFor } from '../core/random.js';
import { checkClassifierSignature, type ClassifierManifest } from './manifest.js';
import { ModelBudgetError } from './model-limits.js';
import type { ModelSession, TensorData } from './onnx.js';

/** Logits [B, K] and features [B, D] (empty when the model has no features output). */
export interface ClassifierOutput {
  logits: Float32Array;
  features: Float32Array;
  classes: number;
  featureDim: number;
}

/** A classifier bound to one model. */
export interface Classifier {
  readonly manifest: ClassifierManifest;
  /**
   * Classify B images given as 8-bit HWC pixels (B·H·W·3 values, RGB), in one session.run.
   * @throws InputError when the pixel count does not fit the model's input size
   */
  classify(pixels: Uint8Array, count: number): Promise<ClassifierOutput>;
}

/**
 * A classifier over a session that fits `manifest` (checked here).
 * @throws InputError listing every mismatch between the session and the manifest
 */
export function createClassifier(deps: { session: ModelSession; manifest: ClassifierManifest }): Classifier {
  const { session, manifest } = deps;
  checkClassifierSignature(manifest, session);
  const { width, height } = manifest.image;
  const plane = width * height;
  const { name } = manifest.input;
  const logitsName = manifest.outputs.logits.name;
  const featuresName = manifest.outputs.features?.name;
  return {
    manifest,
    async classify(pixels, count) {
      if (pixels.length !== count * plane * 3) throw new InputError(`${manifest.name}: expected ${count} images of ${width}x${height}x3 (${count * plane * 3} values), got ${pixels.length}`);
      const x = normalisePixels(manifest, pixels, count);
      const names = featuresName ? [logitsName, featuresName] : [logitsName];
      const feeds: Record<string, TensorData> = { [name]: { type: 'float32', data: x, dims: [count, 3, height, width] } };
      // a graph with gradient outputs also takes the target class; the logits do not depend on it
      if (manifest.target) feeds[manifest.target.name] = { type: 'int64', data: new BigInt64Array(count), dims: [count] };
      const out = await session.run(feeds, names);
      const logits = out[logitsName].data;
      const features = featuresName ? out[featuresName].data : new Float32Array(0);
      return { logits, features, classes: logits.length / count, featureDim: features.length / count };
    },
  };
}

/**
 * The classifier's input tensor [count, 3, H, W] for `count` 8-bit HWC RGB images: value =
 * (pixel * scale - mean) / std per channel, as model.json says.
 */
export function normalisePixels(manifest: ClassifierManifest, pixels: Uint8Array, count: number): Float32Array {
  const plane = manifest.image.width * manifest.image.height;
  const { scale, mean, std } = manifest.input;
  const x = new Float32Array(count * 3 * plane);
  for (let b = 0; b < count; b++) {
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) x[(b * 3 + c) * plane + p] = (pixels[(b * plane + p) * 3 + c] * scale - mean[c]) / std[c];
    }
  }
  return x;
}

/** Images of the test inference. */
export const PROBE_IMAGES = ['mid-grey', 'seeded noise', 'seeded smooth pattern'] as const;

/**
 * The 8-bit HWC pixels of the test inference's images (PROBE_IMAGES, in order) at `width` x
 * `height`: what a real batch looks like (a graph that only misbehaves on non-zero input is caught
 * here, not at the first guided batch); seeded, so a check is repeatable.
 */
export function probePixels(width: number, height: number): Uint8Array {
  const plane = width * height;
  const pixels = new Uint8Array(PROBE_IMAGES.length * plane * 3).fill(128, 0, plane * 3);
  const noise = rngFor(0x5eed, 0, 'classifier-probe-noise');
  for (let k = plane * 3; k < 2 * plane * 3; k++) pixels[k] = noise.int(0, 255);
  const smooth = rngFor(0x5eed, 1, 'classifier-probe-smooth');
  const phase = [0, 1, 2].map(() => smooth.uniform(0, 2 * Math.PI));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 0.5 + 0.5 * Math.sin((x / width) * 2 * Math.PI * (c + 1) + (y / height) * 3 * Math.PI + phase[c]);
        pixels[2 * plane * 3 + (y * width + x) * 3 + c] = Math.round(v * 255);
      }
    }
  }
  return pixels;
}

/**
 * A test inference on load: the PROBE_IMAGES (mid-grey, seeded noise, a seeded smooth pattern) with
 * targets 0, 1, 2 (modulo the classes) through every declared output, normalised as the manifest
 * says; each output must have the declared size and only finite values. The run has the session's
 * time and memory budget (model-limits.ts), so a graph that loops or allocates without bound fails
 * here.
 * @throws InputError naming the output and what is wrong with it, or the budget the run went over
 */
export async function probeClassifier(session: ModelSession, manifest: ClassifierManifest): Promise<void> {
  const { width, height } = manifest.image;
  const b = PROBE_IMAGES.length;
  const x = normalisePixels(manifest, probePixels(width, height), b);
  const feeds: Record<string, TensorData> = { [manifest.input.name]: { type: 'float32', data: x, dims: [b, 3, height, width] } };
  if (manifest.target) feeds[manifest.target.name] = { type: 'int64', data: BigInt64Array.from({ length: b }, (_, i) => BigInt(i % manifest.classes.length)), dims: [b] };
  const { logits, features, gradients } = manifest.outputs;
  const expected: [string, number][] = [[logits.name, b * manifest.classes.length]];
  if (features) expected.push([features.name, -1]);
  for (const g of Object.values(gradients ?? {})) if (g) expected.push([g.name, b * 3 * width * height]);
  let out: Awaited<ReturnType<ModelSession['run']>>;
  try {
    out = await session.run(feeds, expected.map(([n]) => n));
  } catch (err) {
    const reason = String((err as Error).message ?? err).split('\n')[0].slice(0, 300);
    if (err instanceof ModelBudgetError) throw new InputError(`${manifest.name}: test inference on ${b} images (${PROBE_IMAGES.join(', ')}): ${reason}`);
    throw new InputError(`${manifest.name}: test inference failed: ${reason}`);
  }
  for (const [name, size] of expected) {
    const data = out[name]?.data;
    if (!data) throw new InputError(`${manifest.name}: test inference: output ${name} is missing`);
    if (size >= 0 && data.length !== size) {
      throw new InputError(`${manifest.name}: test inference: output ${name}: expected ${size} values for a batch of ${b}${name === logits.name ? ` (${manifest.classes.length} classes in model.json)` : ''}, got ${data.length}`);
    }
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new InputError(`${manifest.name}: test inference: output ${name} has a non-finite value (${data[bad]}) at index ${bad}`);
  }
}

/** Index of the largest value in each row of a [rows, cols] matrix. */
export function argmaxRows(values: Float32Array, cols: number): number[] {
  const rows = values.length / cols;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c] > values[r * cols + best]) best = c;
    return best;
  });
}

/** Rows of a flattened [n, d] float matrix as float64 arrays. */
function rowsOf(values: Float32Array | Float64Array, d: number): Float64Array[] {
  return Array.from({ length: values.length / d }, (_, i) => Float64Array.from(values.subarray(i * d, (i + 1) * d)));
}

/**
 * Kernel Inception Distance (Bińkowski et al. 2018) between two feature sets [n, d] and [m, d]:
 * the unbiased MMD² with the cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over
 * `subsets` random subsets of size `subsetSize` (min of n, m by default) drawn with `random`.
 * Returns mean and standard deviation over subsets.
 */
export function kernelInceptionDistance(a: Float32Array, b: Float32Array, d: number, opts: { subsets?: number; subsetSize?: number; random?: () => number } = {}): { mean: number; std: number } {
  const xa = rowsOf(a, d);
  const xb = rowsOf(b, d);
  const size = Math.min(opts.subsetSize ?? Math.min(xa.length, xb.length), xa.length, xb.length);
  const subsets = opts.subsets ?? 10;
  const random = opts.random ?? Math.random;
  if (size < 2) throw new RangeError(`kernelInceptionDistance: expected at least 2 samples per set, got ${xa.length} and ${xb.length}`);
  const k = (x: Float64Array, y: Float64Array) => {
    let dot = 0;
    for (let i = 0; i < d; i++) dot += x[i] * y[i];
    return (dot / d + 1) ** 3;
  };
  const pick = (rows: Float64Array[]) => {
    const idx = rows.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, size).map((i) => rows[i]);
  };
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const x = pick(xa);
    const y = pick(xb);
    let kxx = 0, kyy = 0, kxy = 0;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        if (i !== j) {
          kxx += k(x[i], x[j]);
          kyy += k(y[i], y[j]);
        }
        kxy += k(x[i], y[j]);
      }
    }
    values.push(kxx / (size * (size - 1)) + kyy / (size * (size - 1)) - (2 * kxy) / (size * size));
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return { mean, std };
}

function meanAndCovariance(rows: Float64Array[], d: number): { mu: Float64Array; cov: Float64Array } {
  const n = rows.length;
  const mu = new Float64Array(d);
  for (const r of rows) for (let i = 0; i < d; i++) mu[i] += r[i] / n;
  const cov = new Float64Array(d * d);
  for (const r of rows) {
    for (let i = 0; i < d; i++) {
      const di = r[i] - mu[i];
      for (let j = i; j < d; j++) cov[i * d + j] += (di * (r[j] - mu[j])) / (n - 1);
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) cov[i * d + j] = cov[j * d + i];
  return { mu, cov };
}

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi); returns eigenvalues and column eigenvectors. */
export function symmetricEigen(m: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p], akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k], aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p], vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i]), vectors: v };
}

/**
 * Fréchet distance between Gaussians fitted to two feature sets [n, d], [m, d] (FID in the given
 * feature space): |μa − μb|² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½), via symmetric eigen-decompositions.
 */
export function frechetDistance(a: Float32Array, b: Float32Array, d: number): number {
  const A = meanAndCovariance(rowsOf(a, d), d);
  const B = meanAndCovariance(rowsOf(b, d), d);
  const ea = symmetricEigen(A.cov, d);
  // S = Σa^½
  const S = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += ea.vectors[i * d + k] * Math.sqrt(Math.max(ea.values[k], 0)) * ea.vectors[j * d + k];
    S[i * d + j] = s;
  }
  // M = S Σb S
  const tmp = new Float64Array(d * d);
  const M = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += S[i * d + k] * B.cov[k * d + j];
    tmp[i * d + j] = s;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += tmp[i * d + k] * S[k * d + j];
    M[i * d + j] = s;
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) M[i * d + j] = M[j * d + i] = (M[i * d + j] + M[j * d + i]) / 2;
  const em = symmetricEigen(M, d);
  let traceSqrt = 0;
  for (let i = 0; i < d; i++) traceSqrt += Math.sqrt(Math.max(em.values[i], 0));
  let dist = 0, trace = 0;
  for (let i = 0; i < d; i++) {
    dist += (A.mu[i] - B.mu[i]) ** 2;
    trace += A.cov[i * d + i] + B.cov[i * d + i];
  }
  return dist + trace - 2 * traceSqrt;
}
