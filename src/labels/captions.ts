/**
 * Captions built from the factors: "a red checkered mug to the left of a blue chair on grass".
 * Pure: colour names and environment phrases are passed in by the caller that knows the assets.
 */
import type { SceneDescription, ObjectDescription } from '../spec/sample.js';
import { dominantRelation, type Relation } from './relations.js';

/** Adjectives for the procedural textures (`default` and `plain` add none). */
export const TEXTURE_ADJECTIVES: Readonly<Record<string, string>> = {
  checker: 'checkered', stripes: 'striped', dots: 'polka-dot', noise: 'mottled', wood: 'wooden', marble: 'marble',
  brick: 'brick', grass: 'grassy', asphalt: 'asphalt', fabric: 'fabric', camouflage: 'camouflage', metal: 'metallic',
};

/** Phrases for environments; others read "in a <name> scene". */
export const ENVIRONMENT_PHRASES: Readonly<Record<string, string>> = {
  studio: 'in a studio', 'studio-dark': 'in a dark studio', meadow: 'on grass', street: 'on a street',
  sunset: 'at sunset', night: 'at night',
};

const RELATION_WORDS: Record<Relation, string> = { left: 'to the left of', right: 'to the right of', front: 'in front of', behind: 'behind' };

/** How the caller names things the description only refers to. */
export interface CaptionContext {
  /** Colour word of an object as rendered (its colour factor, or its asset's own colour). */
  colorName(o: ObjectDescription): string;
  /** Phrase for an environment ("on grass"); defaults to ENVIRONMENT_PHRASES. */
  environmentPhrase?(name: string): string;
}

function article(phrase: string): string {
  return /^[aeiou]/i.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

/** "red checkered mug" for one object. */
export function objectPhrase(o: ObjectDescription, ctx: CaptionContext): string {
  const words = [ctx.colorName(o)];
  const adj = TEXTURE_ADJECTIVES[o.texture];
  if (adj) words.push(adj);
  words.push(o.class.replace(/-/g, ' '));
  return words.filter(Boolean).join(' ');
}

/** The caption of a scene: first object, its relation to the second, the count of the rest, where. */
export function captionFor(desc: Pick<SceneDescription, 'objects' | 'camera' | 'environment'>, ctx: CaptionContext): string {
  const where = ctx.environmentPhrase?.(desc.environment) ?? ENVIRONMENT_PHRASES[desc.environment] ?? `in a ${desc.environment.replace(/^image:/, '').replace(/-/g, ' ')} scene`;
  const [first, second] = desc.objects;
  let text = article(objectPhrase(first, ctx));
  if (second) {
    const rel = dominantRelation(desc, 0, 1);
    text += rel ? ` ${RELATION_WORDS[rel]} ${article(objectPhrase(second, ctx))}` : ` next to ${article(objectPhrase(second, ctx))}`;
    const rest = desc.objects.length - 2;
    if (rest > 0) text += `, with ${rest} more object${rest > 1 ? 's' : ''},`;
  }
  return `${text} ${where}`;
}
