/**
 * Loading committed or user models by name or path: manifest, then ONNX session, then the check of
 * one against the other (the session is released when the check fails).
 */
import { ClassifierManifestSchema, DenoiserManifestSchema, locateModel, readManifest, type ClassifierManifest, type DenoiserManifest } from './manifest.js';
import { openOnnxSession, type ModelSession, type OnnxSessionOptions } from './onnx.js';
import { createSampler, type Sampler } from './sampler.js';
import { createClassifier, type Classifier } from './classifier.js';

/** The default generator shipped in models/. */
export const DEFAULT_GENERATOR = 'synth-unet-32';
/** The classifier that judges it. */
export const DEFAULT_JUDGE = 'synth-classifier-32';

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
    return { manifest, dir, session, classifier: createClassifier({ session, manifest }) };
  } catch (err) {
    await session.release();
    throw err;
  }
}
