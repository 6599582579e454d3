import * as THREE from 'three';
import { cameraPosition } from '../src/render/directions.js';
import type { SceneDescription } from '../src/spec/sample.js';
/** Shared test fixtures: a plain-data catalog for spec tests, and a spec builder. */
import { parseSpec, type Spec } from '../src/spec/schema.js';
import type { Catalog } from '../src/spec/catalog.js';
import { TEXTURE_NAMES } from '../src/assets/textures.js';
import { ENVIRONMENT_NAMES } from '../src/assets/environments.js';
import { NAMED_COLORS } from '../src/core/color.js';

/** A catalog of the five geometric shapes and the real textures, colours and environments. */
export const catalog: Catalog = {
  classes: ['cube', 'sphere', 'cylinder', 'cone', 'torus'].map((name) => ({
    name, family: 'shape', variants: ['rubber', 'metal', 'plastic'], params: { size: [0.9, 1.1] as const },
  })),
  textures: TEXTURE_NAMES,
  colors: Object.keys(NAMED_COLORS),
  environments: ENVIRONMENT_NAMES,
};

/** A validated spec from a partial object. */
export function spec(partial: Record<string, unknown>): Spec {
  return parseSpec(partial, catalog);
}

/** Every file under `dir` (relative path -> sha256), sorted by path: compares whole datasets. */
export async function fileTree(dir: string): Promise<Record<string, string>> {
  const { readdir, readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { createHash } = await import('node:crypto');
  const out: Record<string, string> = {};
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = createHash('sha256').update(await readFile(join(d, e.name))).digest('hex');
    }
  };
  await walk(dir, '');
  return Object.fromEntries(Object.entries(out).sort());
}

/** Pixel coordinates (x right, y down, not rounded) of a world point seen by a description's camera. */
export function projectPoint(desc: SceneDescription, p: [number, number, number]): [number, number] {
  const cam = new THREE.PerspectiveCamera(desc.camera.fov, desc.resolution[0] / desc.resolution[1], 0.05, 400);
  cam.position.set(...cameraPosition(desc.camera));
  cam.lookAt(...desc.camera.target);
  cam.updateMatrixWorld(true);
  const v = new THREE.Vector3(...p).project(cam);
  return [(v.x + 1) / 2 * desc.resolution[0], (1 - v.y) / 2 * desc.resolution[1]];
}
