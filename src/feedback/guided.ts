/**
 * The `guided` strategy: a session's samples made by the diffusion sampler with classifier-feedback
 * guidance from the session's classifier (the trainer's current model), as in Deliberate Practice.
 * Classes come from the session's class mixture (prepare), and within its class each image is steered
 * towards what the classifier finds hard. The noise of a sample is rngFor(session seed, sample number,
 * 'noise'), so a served id always maps back to its image. Images are made at the generator's size and
 * resized to the spec's resolution.
 */
import sharp from 'sharp';
import { inputError } from '../core/errors.js';
import { sha256 } from '../pipeline/digest.js';
import type { SampleRecord } from '../pipeline/records.js';
import type { LoadedClassifier } from '../diffusion/load.js';
import { guidanceWith } from '../diffusion/load.js';
import type { DenoiserManifest } from '../diffusion/manifest.js';
import type { ModelSession } from '../diffusion/onnx.js';
import { createSampler, resolveSettings, toPixels, type Sampler, type SampleSettings, type SamplerGuidance } from '../diffusion/sampler.js';
import { guidanceLabel, type GuidanceLabel } from '../diffusion/generate.js';
import { GUIDED_DEFAULTS } from './guided-options.js';
import type { BatchItem, PreparedBatch, Session } from './session.js';
import { classLabels } from '../spec/schema.js';

/** A generator and guidance ready for a session's guided batches. */
export interface GuidedRun {
  modelRef: string;
  model: DenoiserManifest;
  sampler: Sampler;
  settings: SampleSettings;
  guidance: SamplerGuidance & { classifierRef: string };
  /** Model class index of each session class. */
  classIds: number[];
}

/**
 * Resolve a session's guided options against a loaded generator and the session's classifier.
 * @throws InputError naming `options.guided.*` or `strategy` (a class the generator lacks, a mode the classifier cannot serve)
 */
export function guidedRun(session: Session, model: { manifest: DenoiserManifest; session: ModelSession }, classifier: Pick<LoadedClassifier, 'manifest' | 'session'>, modelRef: string): GuidedRun {
  const o = session.options.guided ?? {};
  const classes = session.binning.classes;
  const missing = classes.filter((c) => !model.manifest.classes.includes(c));
  if (missing.length > 0) {
    throw inputError('strategy', `guided: a generator that knows every class of the session (${model.manifest.name} has ${model.manifest.classes.join(', ')})`, 'guided', `missing ${missing.join(', ')}`);
  }
  const criterion = o.criterion ?? GUIDED_DEFAULTS.criterion;
  const mode = o.mode ?? (classifier.manifest.outputs.gradients?.[criterion] ? 'gradient' : 'svdd');
  const steps = o.steps ?? GUIDED_DEFAULTS.steps;
  const base = mode === 'gradient' ? { steps } : { scheduler: 'ddim' as const, eta: 1, steps };
  const settings = resolveSettings(model.manifest, { ...base, ...(o.cfg !== undefined ? { cfg: o.cfg } : {}), seed: session.seed });
  const guidance = guidanceWith(model.manifest, { criterion, mode, scale: o.scale, candidates: o.candidates }, settings, classes, classifier, `session:${session.id}`);
  return {
    modelRef, model: model.manifest, settings, guidance,
    sampler: createSampler({ session: model.session, manifest: model.manifest }),
    classIds: classes.map((c) => model.manifest.classes.indexOf(c)),
  };
}

/** A guided sample's record: the tar/json fields of a rendered one where they apply, plus its provenance. */
export interface GuidedRecord extends Omit<SampleRecord, 'objects' | 'camera' | 'light'> {
  session: string;
  batch: number;
  strategy: 'guided';
  hardness?: number;
  generator: { model: string; scheduler: string; steps: number; cfg: number; eta: number; noiseIndex: number; size: [number, number] };
  guidance: GuidanceLabel;
  /** The session classifier's criterion on the final image. */
  criterion: number;
}

/**
 * Generate a committed guided batch's images in order (chunks of GUIDED_DEFAULTS.batch), as PNG at
 * the spec's resolution with their records.
 * @throws an Error named AbortError when `signal` fires
 */
export async function* generateGuided(session: Session, batch: PreparedBatch, run: GuidedRun, signal?: AbortSignal): AsyncGenerator<{ item: BatchItem; image: Buffer; record: GuidedRecord }> {
  const [width, height] = session.spec.resolution;
  const { image: img } = run.model;
  for (let first = 0; first < batch.items.length; first += GUIDED_DEFAULTS.batch) {
    if (signal?.aborted) throw Object.assign(new Error('the batch was cancelled'), { name: 'AbortError' });
    const chunk = batch.items.slice(first, first + GUIDED_DEFAULTS.batch);
    const requests = chunk.map((item) => ({ classId: run.classIds[item.classIndex], noiseIndex: item.number }));
    const x = await run.sampler.sampleBatch(requests, run.settings, () => signal?.throwIfAborted(), run.guidance);
    const criteria = (await run.guidance.guide.evaluate(x, requests.map((r) => r.classId), run.guidance.settings.criterion)).values;
    for (let i = 0; i < chunk.length; i++) {
      const item = chunk[i];
      const raw = sharp(Buffer.from(toPixels(x, i, img)), { raw: { width: img.width, height: img.height, channels: img.channels } });
      const image = await (img.width === width && img.height === height ? raw : raw.resize(width, height, { kernel: 'cubic' })).png({ compressionLevel: 4 }).toBuffer();
      const { settings } = run;
      yield {
        item, image,
        record: {
          id: item.id, index: item.number, seed: session.seed, file: `${item.id}.png`, class: session.binning.classes[item.classIndex], label: classLabels(session.spec.classes).get(session.binning.classes[item.classIndex]) ?? -1,
          factors: item.factors, sha256: sha256(image), bytes: image.length,
          session: session.id, batch: batch.batch, strategy: 'guided', ...(item.hardness !== undefined ? { hardness: item.hardness } : {}),
          generator: { model: run.modelRef, scheduler: settings.scheduler, steps: settings.steps, cfg: settings.cfg, eta: settings.eta, noiseIndex: item.number, size: [img.width, img.height] },
          guidance: guidanceLabel(run.guidance), criterion: Number(criteria[i].toFixed(6)),
        },
      };
    }
  }
}
