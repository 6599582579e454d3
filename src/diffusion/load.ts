/**
 * Loading committed or user models by name or path: manifest, then ONNX session (in a runner process
 * of its own, under the budgets of model-limits.ts), then the check of one against the other (the
 * session is released when the check fails).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, inputError } from '../core/errors.js';
import { checkClassifierSignature, ClassifierManifestSchema, DenoiserManifestSchema, locateModel, readManifest, type ClassifierManifest, type DenoiserManifest } from './manifest.js';
import { openOnnxSession, type ModelSession, type OnnxSessionOptions } from './onnx.js';
import { ModelRunError } from './model-limits.js';
import { createSampler, type Sampler, type SampleSettings, type SamplerGuidance } from './sampler.js';
import { checkGuideCompatible, createGuide, resolveGuidance, type GuidanceOptions } from './guidance.js';
import { createClassifier, probeClassifier, type Classifier } from './classifier.js';

/** The default generator shipped in models/. */
export const DEFAULT_GENERATOR = 'synth-unet-32';
/** The classifier that judges it. */
export const DEFAULT_JUDGE = 'synth-classifier-32';
/** The default classifier of classifier-feedback guidance (trained independently of the judge, with gradient outputs). */
export const DEFAULT_GUIDE = 'synth-classifier-32-guide';

/** A loaded denoiser. */
export interface LoadedDenoiser {
  manifest: DenoiserManifest;
  dir: string;
  session: ModelSession;
  sampler: Sampler;
}

/**
 * Load a denoiser by name (under models/) or path, checked against its manifest.
 * @throws InputError for a missing model, an invalid manifest, an ONNX file that does not load, or a mismatch
 */
export async function loadDenoiser(ref: string, options: OnnxSessionOptions & { modelsDir?: string } = {}): Promise<LoadedDenoiser> {
  const { manifest, dir, onnxPath } = await readManifest(DenoiserManifestSchema, locateModel(ref, options.modelsDir));
  const session = await openOnnxSession(onnxPath, { label: manifest.name, ...options });
  try {
    return { manifest, dir, session, sampler: createSampler({ session, manifest }) };
  } catch (err) {
    await session.release();
    throw err;
  }
}

/** A loaded classifier. */
export interface LoadedClassifier {
  manifest: ClassifierManifest;
  dir: string;
  session: ModelSession;
  classifier: Classifier;
}

/**
 * Load a classifier by name (under models/) or path, checked against its manifest.
 * @throws InputError as loadDenoiser
 */
export async function loadClassifier(ref: string, options: OnnxSessionOptions & { modelsDir?: string } = {}): Promise<LoadedClassifier> {
  const { manifest, dir, onnxPath } = await readManifest(ClassifierManifestSchema, locateModel(ref, options.modelsDir));
  const full = await openOnnxSession(onnxPath, { label: manifest.name, ...options });
  let forward: ModelSession | null = null;
  try {
    if (manifest.forwardFile) {
      const forwardPath = resolve(dir, manifest.forwardFile);
      if (!existsSync(forwardPath)) throw inputError(`${manifest.name}: forwardFile`, 'an ONNX file beside the manifest', manifest.forwardFile, `${forwardPath} does not exist`);
      forward = await openOnnxSession(forwardPath, { label: `${manifest.name} (forwardFile)`, ...options });
      const { target: _target, outputs, ...rest } = manifest;
      checkClassifierSignature({ ...rest, outputs: { logits: outputs.logits, features: outputs.features } }, forward, `${manifest.name} (forwardFile)`);
      await checkSameLogits(full, forward, manifest);
    }
    const session = forward ? routeForward(full, forward, manifest) : full;
    const classifier = createClassifier({ session, manifest });
    await probeClassifier(session, manifest);
    return { manifest, dir, session, classifier };
  } catch (err) {
    await full.release();
    await forward?.release();
    // a graph that goes over its budget (or kills its runner) while being checked is a bad model file
    if (err instanceof ModelRunError) throw new InputError(`${manifest.name}: checking the model: ${err.message.split('\n')[0].slice(0, 300)}`);
    throw err;
  }
}

/**
 * The forward graph must be the same classifier as the full one: equal logits (to 1e-3 of their scale)
 * on a fixed probe batch of smooth patterns.
 * @throws InputError naming forwardFile when they differ
 */
async function checkSameLogits(full: ModelSession, forward: ModelSession, manifest: ClassifierManifest): Promise<void> {
  const { width, height } = manifest.image;
  const b = 2;
  const plane = width * height;
  const x = Float32Array.from({ length: b * 3 * plane }, (_, k) => Math.sin(k * 0.37) * (k < 3 * plane ? 1 : 0.5));
  const image = { type: 'float32' as const, data: x, dims: [b, 3, height, width] };
  const name = manifest.outputs.logits.name;
  const target = manifest.target ? { [manifest.target.name]: { type: 'int64' as const, data: new BigInt64Array(b), dims: [b] } } : {};
  const a = (await full.run({ [manifest.input.name]: image, ...target }, [name]))[name].data;
  const f = (await forward.run({ [manifest.input.name]: image }, [name]))[name].data;
  let scale = 1e-6;
  let worst = 0;
  a.forEach((v, k) => { scale = Math.max(scale, Math.abs(v)); worst = Math.max(worst, Math.abs(v - f[k])); });
  if (!(worst <= 1e-3 * scale)) {
    throw inputError(`${manifest.name}: forwardFile`, 'the same classifier as the main graph without its gradient outputs (equal logits)', `logits that differ by up to ${worst.toPrecision(3)} on a probe batch`);
  }
}

/**
 * One session over a classifier's two graphs: runs that fetch only forward outputs (logits, features)
 * go to the forward graph (without the target input), the rest to the full graph; release frees both.
 */
function routeForward(full: ModelSession, forward: ModelSession, manifest: ClassifierManifest): ModelSession {
  const forwardOutputs = new Set(forward.outputs.map((o) => o.name));
  const target = manifest.target?.name;
  return {
    inputs: full.inputs,
    outputs: full.outputs,
    run(feeds, outputNames) {
      if (!outputNames || !outputNames.every((n) => forwardOutputs.has(n))) return full.run(feeds, outputNames);
      const { [target ?? '']: _t, ...rest } = feeds;
      return forward.run(target ? rest : feeds, outputNames);
    },
    async release() {
      await full.release();
      await forward.release();
    },
  };
}

/** A guidance run ready for the sampler, and the classifier to release after it. */
export interface LoadedGuidance {
  guidance: SamplerGuidance & { classifierRef: string };
  classifier: LoadedClassifier;
}

/**
 * Resolve guidance options for a run of `model` on `classes` and load its classifier (by name under
 * models/ or path; default DEFAULT_GUIDE), checked against the model and the mode.
 * @throws InputError for bad options, a missing or mismatched classifier, or a mode it cannot serve
 */
export async function loadGuidance(
  model: DenoiserManifest,
  options: GuidanceOptions & { classifier?: string },
  settings: SampleSettings,
  classes: readonly string[],
  sessionOptions: OnnxSessionOptions & { modelsDir?: string } = {},
): Promise<LoadedGuidance> {
  resolveGuidance(options, settings); // bad options fail before the classifier loads
  const classifierRef = options.classifier ?? DEFAULT_GUIDE;
  const loaded = await loadClassifier(classifierRef, sessionOptions);
  try {
    return { guidance: guidanceWith(model, options, settings, classes, loaded, classifierRef), classifier: loaded };
  } catch (err) {
    await loaded.session.release();
    throw err;
  }
}

/**
 * loadGuidance with a classifier that is already loaded (a server keeps its sessions): resolve the
 * options and check the classifier against the model, the mode and the classes.
 * @throws InputError as loadGuidance
 */
export function guidanceWith(
  model: DenoiserManifest,
  options: GuidanceOptions,
  settings: SampleSettings,
  classes: readonly string[],
  classifier: Pick<LoadedClassifier, 'manifest' | 'session'>,
  classifierRef: string,
): SamplerGuidance & { classifierRef: string } {
  const resolved = resolveGuidance(options, settings);
  checkGuideCompatible(classifier.manifest, model, resolved, classes);
  const guide = createGuide({ session: classifier.session, classifier: classifier.manifest, model });
  return { settings: resolved, guide, classifierRef };
}
