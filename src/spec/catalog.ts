/**
 * The catalog as plain data: what classes, textures, colours and environments exist. The spec
 * module validates and samples against it without knowing how any of them are built (assets/ does).
 */

/** One object class, as the sampler sees it. */
export interface ClassInfo {
  name: string;
  /** Family: animal, vehicle, furniture, household, plant, building, shape, user. */
  family: string;
  /** Variant (asset) names; the `asset` factor indexes this list. */
  variants: readonly string[];
  /** Continuous shape parameters sampled per image, each uniform in [min, max]. */
  params: Readonly<Record<string, readonly [number, number]>>;
}

/** Everything the spec can name. */
export interface Catalog {
  classes: readonly ClassInfo[];
  textures: readonly string[];
  colors: readonly string[];
  environments: readonly string[];
}

/** Look up a class by name. */
export function classInfo(catalog: Catalog, name: string): ClassInfo | undefined {
  return catalog.classes.find((c) => c.name === name);
}

/** File names accepted as background images (a spec's `backgrounds`). */
export const BACKGROUND_FILE = /\.(png|jpe?g|webp)$/i;

/** The environment name of a background image file: `image:` and its file name without extension. */
export function backgroundEnvironmentName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return `image:${base.replace(/\.[^.]*$/, '')}`;
}
