/**
 * One sample from plan to pixels: describe, render with the asked label passes, enforce the
 * minimum-visible-pixels rule for multi-object scenes by redrawing the layout (bounded and
 * deterministic), and annotate with CLEVR relations and a caption.
 */
import type { SamplingPlan, SceneDescription } from '../spec/sample.js';
import { describeSample } from '../spec/sample.js';
import type { LabelPass } from '../spec/schema.js';
import { computeRelations, type Relations } from '../labels/relations.js';
import { captionFor } from '../labels/captions.js';
import type { Frame, SceneRenderer } from './renderer.js';

/** Layouts tried per sample before keeping the best one. */
export const MAX_LAYOUT_ATTEMPTS = 8;

/** A rendered sample with its annotations. */
export interface RenderedSample {
  desc: SceneDescription;
  frame: Frame;
  relations: Relations;
  caption: string;
  /** Layouts tried (1 unless an object was too hidden). */
  layoutAttempts: number;
}

/**
 * Render sample `index` of `plan`. With several objects and `minVisiblePixels` > 0, layouts where an
 * object shows fewer pixels are redrawn (up to MAX_LAYOUT_ATTEMPTS; then the best layout is kept).
 */
export async function renderSample(renderer: SceneRenderer, plan: SamplingPlan, index: number, passes: readonly LabelPass[] = [], minVisiblePixels = plan.spec.minVisiblePixels ?? 0): Promise<RenderedSample> {
  let best: { desc: SceneDescription; frame: Frame; worst: number; attempts: number } | null = null;
  for (let attempt = 0; attempt < MAX_LAYOUT_ATTEMPTS; attempt++) {
    const desc = describeSample(plan, index, attempt);
    const check = desc.objects.length > 1 && minVisiblePixels > 0;
    // The check counts each object's pixels: from label passes when some are asked anyway (boxes
    // added), else from instance ids the colour pass writes beside the image (no second render).
    const asked: LabelPass[] = check && passes.length > 0 && !passes.includes('boxes') ? [...passes, 'boxes'] : [...passes];
    const frame = await renderer.render(desc, asked.length > 0 ? { labels: asked } : check ? { instanceAreas: true } : undefined);
    const worst = check && frame.labels ? Math.min(...frame.labels.objects.map((o) => o.area)) : Infinity;
    if (!best || worst > best.worst) best = { desc, frame, worst, attempts: attempt + 1 };
    else best.attempts = attempt + 1;
    if (worst >= minVisiblePixels) break;
  }
  const { desc, frame, attempts } = best!;
  if (frame.labels && passes.length === 0) delete frame.labels;
  return {
    desc, frame, layoutAttempts: attempts, relations: computeRelations(desc),
    caption: captionFor(desc, { colorName: (o) => renderer.library?.colorName(o) ?? (o.color === 'default' ? '' : o.color) }),
  };
}
