/** Options of the `guided` session strategy (its generator and guidance), as a session stores them. */
import { z } from 'zod';
import { CRITERIA, GUIDANCE_MODES, MAX_CANDIDATES } from '../diffusion/guidance.js';
import { DEFAULT_GENERATOR } from '../diffusion/load.js';

/** Defaults of a guided batch. */
export const GUIDED_DEFAULTS = {
  model: DEFAULT_GENERATOR,
  /** Deliberate Practice steers by the classifier's entropy. */
  criterion: 'entropy' as const,
  /** Sampling steps (the papers' 30 cost more than a trainer's batch is worth on a CPU). */
  steps: 20,
  /** Images per sampler batch. */
  batch: 16,
};

export const GuidedOptionsSchema = z.strictObject({
  model: z.string().min(1).max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/).optional().describe(`generator under models/ (default ${GUIDED_DEFAULTS.model})`),
  criterion: z.enum(CRITERIA).optional().describe(`what guidance ascends (default ${GUIDED_DEFAULTS.criterion})`),
  mode: z.enum(GUIDANCE_MODES).optional().describe('default: gradient when the session\'s classifier has an input-gradient output for the criterion, else svdd (on DDIM with eta 1)'),
  scale: z.number().min(0).max(1000).optional().describe('the guidance scale of the mode (see POST /v1/generate)'),
  candidates: z.number().int().min(2).max(MAX_CANDIDATES).optional().describe('svdd candidates or particles per image'),
  steps: z.number().int().min(1).max(1000).optional().describe(`sampling steps (default ${GUIDED_DEFAULTS.steps})`),
  cfg: z.number().min(0).max(50).optional().describe('classifier-free guidance weight (default: the model\'s)'),
});
/** Options of the guided strategy as given. */
export type GuidedOptions = z.infer<typeof GuidedOptionsSchema>;
