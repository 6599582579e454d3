/**
 * Loading committed or user models by name or path: manifest, then ONNX session, then the check of
 * one against the other (the session is released when the check fails).
 */
import { ClassifierManifestSchema, DenoiserManifestSchema, locateModel, readManifest, type ClassifierManifest, type DenoiserManifest } from './manifest.js';
import { openOnnxSession, type ModelSession, type OnnxSessionOptions } from './onnx.js';
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
  const session = await openOnnxSession(onnxPath, options);
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
  const session = await openOnnxSession(onnxPath, options);
  try {
    const classifier = createClassifier({ session, manifest });
    await probeClassifier(session, manifest);
    return { manifest, dir, session, classifier };
  } catch (err) {
    await session.release();
    throw err;
  }
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
  const resolved = resolveGuidance(options, settings);
  const classifierRef = options.classifier ?? DEFAULT_GUIDE;
  const loaded = await loadClassifier(classifierRef, sessionOptions);
  try {
    checkGuideCompatible(loaded.manifest, model, resolved, classes);
    const guide = createGuide({ session: loaded.session, classifier: loaded.manifest, model });
    return { guidance: { settings: resolved, guide, classifierRef }, classifier: loaded };
  } catch (err) {
    await loaded.session.release();
    throw err;
  }
}
